#include "rules/rule_set.h"

#include <algorithm>
#include <array>

#include "core/topic.h"
#include "core/units.h"

namespace edgegw::rules {

namespace {

constexpr std::array<std::string_view, 3> kDeviceEvents = {"online", "offline", "state"};
constexpr std::array<std::string_view, 3> kGatewayEvents = {"upstream_down", "upstream_up", "started"};
constexpr std::array<std::string_view, 5> kLogLevels = {"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 3> kHttpMethods = {"POST", "PUT", "GET"};

template <size_t N>
bool one_of(const std::array<std::string_view, N>& names, std::string_view s) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

template <size_t N>
std::string list_names(const std::array<std::string_view, N>& names) {
  std::string out;
  for (size_t i = 0; i < N; ++i) out += (i == 0 ? "" : (i + 1 == N ? " or " : ", ")) + std::string(names[i]);
  return out;
}

// Compiles one rule, reporting every error with `where_` ("rules[3]") as context.
class RuleCompiler {
 public:
  RuleCompiler(Diagnostics& diag, bool has_upstream, std::string where)
      : diag_(diag), has_upstream_(has_upstream), where_(std::move(where)) {}

  bool compile(const RuleSpec& spec, CompiledRule& r) {
    enabled_ = spec.enabled;
    r.id = spec.id;
    r.description = spec.description;
    r.pos = spec.pos;
    // A broken spec's missing id or actions were reported by the loader.
    if (spec.id.empty() && !spec.broken) error(spec.pos, "id", "a rule needs an id");
    compile_trigger(spec.when, r);
    for (size_t i = 0; i < spec.then.size(); ++i) {
      if (spec.then[i].broken) continue;
      compile_action(spec.then[i], "then[" + std::to_string(i) + "]", r.then.emplace_back());
    }
    if (spec.then.empty() && !spec.broken) error(spec.pos, "then", "a rule needs at least one action");
    r.key = expression(spec.key, "key");
    r.mode = spec.mode;
    r.throttle = spec.throttle;
    r.debounce = spec.debounce;
    r.dedupe = spec.dedupe;
    r.enabled = spec.enabled;
    r.fingerprint = rule_fingerprint(spec);
    return ok_ && !spec.broken;
  }

 private:
  void error(const SourcePos& pos, std::string_view field, const std::string& message) {
    diag_.error(pos, where_ + "." + std::string(field) + ": " + message);
    ok_ = false;
  }

  // A disabled rule that needs an upstream is only a warning: the shipped
  // examples (disabled) must check cleanly on a gateway without one.
  void needs_upstream(const SourcePos& pos, std::string_view field, const std::string& message) {
    if (enabled_) {
      error(pos, field, message);
    } else {
      diag_.warning(pos, where_ + "." + std::string(field) + ": " + message + " (the rule is disabled)");
    }
  }

  std::optional<Expression> expression(const std::optional<Located>& text, std::string_view field) {
    if (!text) return std::nullopt;
    auto e = Expression::compile(text->text);
    if (e) return std::move(e).value();
    report(diag_, text->pos, where_ + "." + std::string(field), e.error());
    ok_ = false;
    return std::nullopt;
  }

  std::optional<Template> tmpl(const Located& text, std::string_view field, bool topic) {
    auto t = topic ? Template::compile_topic(text.text) : Template::compile(text.text);
    if (t) return std::move(t).value();
    report(diag_, text.pos, where_ + "." + std::string(field), t.error());
    ok_ = false;
    return std::nullopt;
  }

  std::optional<PayloadTemplate> payload(const PayloadSpec& spec, const std::string& field) {
    auto p = PayloadTemplate::compile(spec, diag_, where_ + "." + field);
    if (!p) ok_ = false;
    return p;
  }

  void compile_trigger(const TriggerSpec& w, CompiledRule& r);
  void compile_trigger_source(const TriggerSpec& w, CompiledRule& r);
  void compile_trigger_kind(const TriggerSpec& w, CompiledRule& r);
  void compile_action(const ActionSpec& a, const std::string& field, CompiledAction& c);
  void compile_publish(const ActionSpec& a, const std::string& field, CompiledAction& c);
  void compile_set(const ActionSpec& a, const std::string& field, CompiledAction& c);
  void compile_http(const ActionSpec& a, const std::string& field, CompiledAction& c);

  Diagnostics& diag_;
  bool has_upstream_;
  std::string where_;
  bool ok_ = true;
  bool enabled_ = true;
};

void RuleCompiler::compile_trigger(const TriggerSpec& w, CompiledRule& r) {
  if (!w.broken) compile_trigger_source(w, r);  // a broken one was reported by the loader
  r.condition = expression(w.condition, "when.if");
  r.for_duration = w.for_duration;
}

// The trigger's kind and `from`.
void RuleCompiler::compile_trigger_source(const TriggerSpec& w, CompiledRule& r) {
  const int kinds = (w.topics.empty() ? 0 : 1) + ((w.device || !w.device_event.empty()) ? 1 : 0) + (w.every ? 1 : 0) +
                    (w.cron ? 1 : 0) + (w.gateway_event.empty() ? 0 : 1);
  if (kinds != 1) {
    error(w.pos, "when",
          kinds == 0 ? "a trigger needs one of topic, device, every, cron or gateway"
                     : "a trigger has exactly one of topic, device, every, cron or gateway");
  } else {
    compile_trigger_kind(w, r);
  }
  if (w.from_upstream && w.topics.empty()) {
    error(w.pos, "when.from", "'from: upstream' applies to topic triggers only");
  }
  if (w.from_upstream && !has_upstream_) {
    needs_upstream(w.pos, "when.from", "'from: upstream' needs an upstream section in gateway.yaml");
  }
  r.from_upstream = w.from_upstream;
}

void RuleCompiler::compile_trigger_kind(const TriggerSpec& w, CompiledRule& r) {
  if (!w.topics.empty()) {
    r.trigger = TriggerKind::topic;
    for (const Located& t : w.topics) {
      if (!valid_topic_filter(t.text)) {
        error(t.pos, "when.topic", "'" + t.text + "' is not a valid MQTT topic filter");
      }
      r.topics.push_back(t.text);
    }
  } else if (w.device || !w.device_event.empty()) {
    r.trigger = TriggerKind::device;
    if (!w.device || w.device->text.empty()) error(w.pos, "when.device", "'event' needs a 'device'");
    if (w.device) r.device = w.device->text;
    r.device_event = w.device_event.empty() ? "state" : w.device_event;
    if (!one_of(kDeviceEvents, r.device_event)) {
      error(w.pos, "when.event", "unknown device event '" + w.device_event + "' (" + list_names(kDeviceEvents) + ")");
    }
  } else if (w.every) {
    r.trigger = TriggerKind::every;
    r.every = *w.every;
    if (r.every <= Duration::zero()) error(w.pos, "when.every", "must be more than 0");
  } else if (w.cron) {
    r.trigger = TriggerKind::cron;
    auto c = Cron::parse(w.cron->text);
    if (c) {
      r.cron = std::move(c).value();
    } else {
      report(diag_, w.cron->pos, where_ + ".when.cron", c.error());
      ok_ = false;
    }
  } else {
    r.trigger = TriggerKind::gateway;
    r.gateway_event = w.gateway_event;
    if (!one_of(kGatewayEvents, w.gateway_event)) {
      error(w.pos, "when.gateway",
            "unknown gateway event '" + w.gateway_event + "' (" + list_names(kGatewayEvents) + ")");
    }
  }
}

void RuleCompiler::compile_action(const ActionSpec& a, const std::string& field, CompiledAction& c) {
  c.kind = a.kind;
  switch (a.kind) {
    case ActionKind::publish:
    case ActionKind::forward: compile_publish(a, field, c); break;
    case ActionKind::set: compile_set(a, field, c); break;
    case ActionKind::delay: c.delay = a.delay; break;
    case ActionKind::log:
      c.level = a.level;
      if (!one_of(kLogLevels, a.level)) {
        error(a.pos, field + ".log.level", "unknown level '" + a.level + "' (" + list_names(kLogLevels) + ")");
      }
      if (a.message) {
        c.message = tmpl(*a.message, field + ".log", false);
      } else {
        error(a.pos, field + ".log", "a log action needs a message");
      }
      break;
    case ActionKind::http: compile_http(a, field, c); break;
  }
}

void RuleCompiler::compile_publish(const ActionSpec& a, const std::string& field, CompiledAction& c) {
  const bool forward = a.kind == ActionKind::forward;
  const std::string name = field + (forward ? ".forward" : ".publish");
  c.to = forward ? Link::upstream : a.to;
  if (c.to == Link::upstream && !has_upstream_) {
    needs_upstream(
        a.pos, name,
        std::string(forward ? "forward" : "publish to upstream") + " needs an upstream section in gateway.yaml");
  }
  if (a.topic) {
    c.topic = tmpl(*a.topic, name + ".topic", true);
  } else if (!forward) {
    error(a.pos, name + ".topic", "a publish action needs a topic");
  }
  if (!forward) c.payload = payload(a.payload, name + ".payload");
  c.qos = a.qos.value_or(1);
  if (c.qos < 0 || c.qos > 2) error(a.pos, name + ".qos", "must be 0, 1 or 2, not " + std::to_string(c.qos));
  c.retain = a.retain;
  c.priority = a.priority;
}

void RuleCompiler::compile_set(const ActionSpec& a, const std::string& field, CompiledAction& c) {
  if (a.values.empty()) error(a.pos, field + ".set", "a set action needs at least one NAME: VALUE");
  for (const auto& [name, spec] : a.values) {
    SetValue v;
    v.name = name;
    const std::string where = field + ".set." + name;
    if (const auto* s = std::get_if<std::string>(&spec.value)) {
      auto t = tmpl(Located{*s, spec.pos}, where, false);
      if (t) v.value = std::move(*t);
    } else if (const auto* b = std::get_if<bool>(&spec.value)) {
      v.value = Value::from_bool(*b);
    } else if (const auto* d = std::get_if<double>(&spec.value)) {
      v.value = Value::from_number(*d);
    } else if (std::holds_alternative<std::monostate>(spec.value)) {
      v.value = Value();
    } else if (auto p = payload(spec, where)) {
      v.value = std::move(*p);
    }
    c.values.push_back(std::move(v));
  }
}

void RuleCompiler::compile_http(const ActionSpec& a, const std::string& field, CompiledAction& c) {
  const std::string name = field + ".http";
  c.method = a.method;
  if (!one_of(kHttpMethods, a.method)) {
    error(a.pos, name + ".method", "unknown method '" + a.method + "' (" + list_names(kHttpMethods) + ")");
  }
  if (a.url) {
    c.url = tmpl(*a.url, name + ".url", false);
  } else {
    error(a.pos, name + ".url", "an http action needs a url");
  }
  for (const auto& [header, value] : a.headers) {
    auto t = tmpl(value, name + ".headers." + header, false);
    if (t) c.headers.emplace_back(header, std::move(*t));
  }
  if (a.body) c.body = payload(*a.body, name + ".body");
  c.timeout = a.timeout;
  c.retries = a.retries;
  if (a.retries < 0) error(a.pos, name + ".retries", "must not be negative");
}

// "rules[i]" with i the rule's index inside its own file.
std::string rule_where(const std::vector<RuleSpec>& specs, size_t i) {
  size_t n = 0;
  for (size_t j = 0; j < i; ++j) n += specs[j].pos.file == specs[i].pos.file ? 1 : 0;
  return "rules[" + std::to_string(n) + "]";
}

}  // namespace

std::shared_ptr<const RuleSet> RuleSet::compile(const std::vector<RuleSpec>& specs, Diagnostics& diag,
                                                bool has_upstream) {
  auto set = std::make_shared<RuleSet>();
  std::unordered_map<std::string, size_t> first_spec;  // id -> index in specs
  bool ok = true;
  for (size_t i = 0; i < specs.size(); ++i) {
    const RuleSpec& spec = specs[i];
    const std::string where = rule_where(specs, i);
    CompiledRule rule;
    ok = RuleCompiler(diag, has_upstream, where).compile(spec, rule) && ok;
    if (spec.id.empty()) continue;
    auto [it, fresh] = first_spec.emplace(spec.id, i);
    if (!fresh) {
      const RuleSpec& first = specs[it->second];
      const SourcePos& at = first.id_pos.line > 0 ? first.id_pos : first.pos;
      diag.error(spec.id_pos.line > 0 ? spec.id_pos : spec.pos, where + ".id: duplicate rule id '" + spec.id +
                                                                    "' (first defined at " + at.file + ":" +
                                                                    std::to_string(at.line) + ")");
      ok = false;
      continue;
    }
    set->by_id_.emplace(spec.id, set->rules_.size());
    set->rules_.push_back(std::move(rule));
  }
  if (!ok) return nullptr;
  for (size_t i = 0; i < set->rules_.size(); ++i) {
    const CompiledRule& r = set->rules_[i];
    if (!r.enabled || r.trigger != TriggerKind::topic) continue;
    for (const auto& f : r.topics) (r.from_upstream ? set->upstream_ : set->local_).add(f, static_cast<uint32_t>(i));
  }
  return set;
}

int64_t RuleSet::index_of(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? -1 : static_cast<int64_t>(it->second);
}

std::vector<std::string> RuleSet::filters(Link source) const {
  std::vector<std::string> out;
  for (const CompiledRule& r : rules_) {
    if (!r.enabled || r.trigger != TriggerKind::topic || r.from_upstream != (source == Link::upstream)) continue;
    for (const auto& f : r.topics) {
      if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    }
  }
  return out;
}

}  // namespace edgegw::rules
