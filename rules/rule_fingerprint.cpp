// The fingerprint of a rule: every field that changes its behaviour, in a
// fixed order, without positions or the description (design.md: a reload
// keeps the state of rules whose definition did not change).
#include <string>

#include "rules/rule_set.h"

namespace edgegw::rules {

namespace {

void put(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
  out += ';';
}
void put(std::string& out, int64_t v) { put(out, std::to_string(v)); }
void put(std::string& out, const std::optional<Duration>& d) {
  put(out, d ? std::to_string(d->count()) : std::string("-"));
}
void put(std::string& out, const std::optional<Located>& l) { put(out, l ? "+" + l->text : std::string("-")); }

void put(std::string& out, const PayloadSpec& p) {
  struct Visitor {
    std::string& out;
    void operator()(std::monostate) const { put(out, "n"); }
    void operator()(bool b) const { put(out, b ? "t" : "f"); }
    void operator()(double d) const { put(out, "d" + std::to_string(d)); }
    void operator()(const std::string& s) const { put(out, "s" + s); }
    void operator()(const PayloadSpec::List& l) const {
      put(out, "l" + std::to_string(l.size()));
      for (const auto& item : l) put(out, item);
    }
    void operator()(const PayloadSpec::Map& m) const {
      put(out, "m" + std::to_string(m.size()));
      for (const auto& [k, v] : m) {
        put(out, k);
        put(out, v);
      }
    }
  };
  std::visit(Visitor{out}, p.value);
}

void put(std::string& out, const ActionSpec& a) {
  put(out, static_cast<int64_t>(a.kind));
  put(out, static_cast<int64_t>(a.to));
  put(out, a.topic);
  put(out, a.payload);
  put(out, a.qos ? *a.qos : -1);
  put(out, a.retain ? static_cast<int64_t>(*a.retain) : -1);
  put(out, static_cast<int64_t>(a.priority));
  put(out, static_cast<int64_t>(a.values.size()));
  for (const auto& [name, value] : a.values) {
    put(out, name);
    put(out, value);
  }
  put(out, a.delay.count());
  put(out, a.level);
  put(out, a.message);
  put(out, a.method);
  put(out, a.url);
  put(out, static_cast<int64_t>(a.headers.size()));
  for (const auto& [name, value] : a.headers) {
    put(out, name);
    put(out, value.text);
  }
  put(out, a.body ? 1 : 0);
  if (a.body) put(out, *a.body);
  put(out, a.timeout.count());
  put(out, a.retries);
}

}  // namespace

std::string rule_fingerprint(const RuleSpec& spec) {
  std::string out;
  put(out, spec.id);
  const TriggerSpec& w = spec.when;
  put(out, static_cast<int64_t>(w.topics.size()));
  for (const auto& t : w.topics) put(out, t.text);
  put(out, w.from_upstream ? 1 : 0);
  put(out, w.device);
  put(out, w.device_event);
  put(out, w.every);
  put(out, w.cron);
  put(out, w.gateway_event);
  put(out, w.condition);
  put(out, w.for_duration);
  put(out, static_cast<int64_t>(spec.then.size()));
  for (const auto& a : spec.then) put(out, a);
  put(out, static_cast<int64_t>(spec.mode));
  put(out, spec.throttle);
  put(out, spec.debounce);
  put(out, spec.dedupe);
  put(out, spec.key);
  put(out, spec.enabled ? 1 : 0);
  return out;
}

}  // namespace edgegw::rules
