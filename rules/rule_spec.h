// rules/rule_spec.h — one rule as written in a rules.d/*.yaml file, before
// compilation. The rule loader (gateway/config/rule_loader.h) fills it from YAML
// with positions; rules/rule_set.h compiles it. Data only.
//
// Shape (design.md, "Rule files"):
//   rules:
//     - id: ...            unique across all files
//       description: ...
//       when: {topic | device+event | every | cron | gateway, from, if, for}
//       then: [ {publish|forward|set|delay|log|http: ...}, ... ]
//       mode, throttle, debounce, dedupe, key, enabled
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/diag.h"
#include "core/event.h"
#include "rules/payload_template.h"
#include "rules/route_spec.h"

namespace edgegw::rules {

enum class Mode { single, restart, queued, parallel };

// A text written in the file, with the position of its first character (for
// expressions and templates, so errors point inside them).
struct Located {
  std::string text;
  SourcePos pos;
};

struct TriggerSpec {
  std::vector<Located> topics;           // `topic:` one filter or a list; empty if not a topic trigger
  bool from_upstream = false;            // `from: upstream` (default local)
  std::optional<Located> device;         // `device:` id, with `event:`
  std::string device_event;              // online | offline | state
  std::optional<Duration> every;         // `every: 5m`
  std::optional<Located> cron;           // `cron: "0 7 * * 1-5"` (5 fields, local time)
  std::string gateway_event;             // upstream_down | upstream_up | started
  std::optional<Located> condition;      // `if:`
  std::optional<Duration> for_duration;  // `for:`
  SourcePos pos;                         // the `when:` map
  // The loader reported the trigger itself (missing, several, or a value it
  // could not read): the compiler skips its kind and `from`, still compiles `if`.
  bool broken = false;
};

enum class ActionKind { publish, forward, set, delay, log, http };

struct ActionSpec {
  ActionKind kind = ActionKind::log;
  SourcePos pos;  // the list item
  // publish
  Link to = Link::upstream;      // `to: local | upstream` (publish), default upstream
  std::optional<Located> topic;  // publish: required; forward: optional template (default the event's topic)
  PayloadSpec payload;           // publish `payload:` (map, list or scalar; templates inside)
  std::optional<int> qos;        // default 1
  std::optional<bool> retain;    // publish default false; forward default keep (nullopt = keep)
  Priority priority = Priority::normal;
  // set: NAME -> literal or template, typed as in payload maps
  std::vector<std::pair<std::string, PayloadSpec>> values;
  // delay
  Duration delay{};
  // log
  std::string level = "info";  // trace|debug|info|warn|error
  std::optional<Located> message;
  // http
  std::string method = "POST";  // POST | PUT | GET
  std::optional<Located> url;
  std::vector<std::pair<std::string, Located>> headers;  // values are templates
  std::optional<PayloadSpec> body;
  Duration timeout = std::chrono::seconds(5);
  int retries = 3;
  // The loader reported this action (unknown, malformed, a required key
  // missing): kept so that the later actions keep their index `then[i]`; the
  // compiler skips it.
  bool broken = false;
};

struct RuleSpec {
  std::string id;
  SourcePos pos;  // the list item of the rule
  SourcePos id_pos;
  std::string description;
  TriggerSpec when;
  std::vector<ActionSpec> then;
  Mode mode = Mode::single;
  std::optional<Duration> throttle;
  std::optional<Duration> debounce;
  std::optional<Duration> dedupe;
  std::optional<Located> key;  // expression; default: the topic
  bool enabled = true;
  // The loader reported an error inside this rule. It is still compiled, so
  // that its expression and template errors come out in the same pass, but
  // no rule set is ever built from it (RuleSet::compile returns null).
  bool broken = false;
};

}  // namespace edgegw::rules
