// rules/rule_set.h — the rules of all rule files, compiled once at load.
//
// RuleSet::compile turns the loader's RuleSpecs into immutable compiled
// rules: expressions, templates, payloads, cron schedules, and the topic
// tries the engine matches events against. Every error is reported, with its
// position, in one pass; a set with any error is not built.
//
// Threads: compile anywhere; the result is immutable and may be shared
// (the engine thread holds it through a shared_ptr).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "core/diag.h"
#include "rules/cron.h"
#include "rules/expression.h"
#include "rules/payload_template.h"
#include "rules/rule_spec.h"
#include "rules/template.h"
#include "rules/topic_trie.h"

namespace edgegw::rules {

// A `set:` value: a constant, a template (typed: "{{ x }}" alone keeps x's
// type), or a map/list payload rendered as JSON and read back as a Value.
struct SetValue {
  std::string name;
  std::variant<Value, Template, PayloadTemplate> value;
};

struct CompiledAction {
  ActionKind kind = ActionKind::log;
  // publish / forward
  Link to = Link::upstream;
  std::optional<Template> topic;  // publish: always; forward: nullopt = the event's topic
  std::optional<PayloadTemplate> payload;
  int qos = 1;
  std::optional<bool> retain;  // nullopt: publish false, forward keep
  Priority priority = Priority::normal;
  // set
  std::vector<SetValue> values;
  // delay
  Duration delay{};
  // log
  std::string level = "info";
  std::optional<Template> message;
  // http
  std::string method = "POST";
  std::optional<Template> url;
  std::vector<std::pair<std::string, Template>> headers;
  std::optional<PayloadTemplate> body;
  Duration timeout{};
  int retries = 3;
};

enum class TriggerKind { topic, device, every, cron, gateway };

struct CompiledRule {
  std::string id;
  std::string description;  // for /api/rules; not part of the fingerprint
  SourcePos pos;
  TriggerKind trigger = TriggerKind::topic;
  std::vector<std::string> topics;  // topic trigger filters
  bool from_upstream = false;
  std::string device;        // device trigger: the device id
  std::string device_event;  // online | offline | state
  Duration every{};          // every trigger (> 0)
  std::optional<Cron> cron;
  std::string gateway_event;  // upstream_down | upstream_up | started
  std::optional<Expression> condition;
  std::optional<Duration> for_duration;
  std::vector<CompiledAction> then;
  Mode mode = Mode::single;
  std::optional<Duration> throttle;
  std::optional<Duration> debounce;
  std::optional<Duration> dedupe;
  std::optional<Expression> key;  // nullopt: the topic
  bool enabled = true;
  // Equal for two specs that differ only in positions and description: a
  // reload keeps the state of a rule whose id and fingerprint are unchanged.
  std::string fingerprint;
};

class RuleSet {
 public:
  // Compiles every spec, reporting every error to `diag` (expression and
  // template errors at their text's position plus the column inside it),
  // then the cross-checks: unique ids (the second names the first's
  // FILE:LINE), exactly one trigger kind, valid device and gateway events,
  // `from: upstream` and upstream publish/forward only when `has_upstream`.
  // Returns null if any error was reported or any spec is `broken` (the
  // loader's errors): broken specs are compiled only for the errors in their
  // expressions, templates, payloads and cron fields, so every error of a
  // file comes out in one pass; their broken parts are skipped, not blamed
  // twice. Disabled rules are compiled and checked, but the engine never
  // fires them.
  static std::shared_ptr<const RuleSet> compile(const std::vector<RuleSpec>& specs, Diagnostics& diag,
                                                bool has_upstream);

  const std::vector<CompiledRule>& rules() const { return rules_; }
  // The index of rule `id` in rules(), or -1.
  int64_t index_of(std::string_view id) const;

  // Enabled topic-trigger rules by filter: local triggers, `from: upstream` triggers.
  const TopicTrie& trie(Link source) const { return source == Link::local ? local_ : upstream_; }

  // The distinct filters of enabled topic triggers on `source`, in rule order
  // (to subscribe; not minimised).
  std::vector<std::string> filters(Link source) const;

 private:
  std::vector<CompiledRule> rules_;
  std::unordered_map<std::string, size_t> by_id_;
  TopicTrie local_;
  TopicTrie upstream_;
};

// The fingerprint of a spec (see CompiledRule::fingerprint).
std::string rule_fingerprint(const RuleSpec& spec);

}  // namespace edgegw::rules
