// tests/unit/test_rule_engine_support.h — building RuleSpecs in code and
// driving an Engine with an explicit clock, for the rule engine tests.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "rules/engine.h"
#include "rules/rule_set.h"
#include "test_rules_support.h"

namespace edgegw::rules::testing {

// A minute boundary, so `every` and cron land on round offsets from it.
inline const TimePoint kT0 = from_unix_ms(1768399980000);

inline Located loc(std::string text, int line = 5, int column = 12) {
  return Located{std::move(text), SourcePos{"rules.yaml", line, column}};
}

inline PayloadSpec text_payload(std::string text) {
  PayloadSpec p;
  p.value = std::move(text);
  p.pos = {"rules.yaml", 9, 20};
  return p;
}

inline ActionSpec log_action(std::string message) {
  ActionSpec a;
  a.kind = ActionKind::log;
  a.pos = {"rules.yaml", 8, 9};
  a.message = loc(std::move(message), 8, 16);
  return a;
}

inline ActionSpec publish_action(std::string topic, std::string payload, Link to = Link::local) {
  ActionSpec a;
  a.kind = ActionKind::publish;
  a.pos = {"rules.yaml", 8, 9};
  a.to = to;
  a.topic = loc(std::move(topic), 9, 18);
  a.payload = text_payload(std::move(payload));
  return a;
}

inline ActionSpec delay_action(Duration d) {
  ActionSpec a;
  a.kind = ActionKind::delay;
  a.pos = {"rules.yaml", 8, 9};
  a.delay = d;
  return a;
}

inline RuleSpec topic_rule(std::string id, std::string filter, std::vector<ActionSpec> then, int line = 3) {
  RuleSpec r;
  r.id = std::move(id);
  r.pos = {"rules.yaml", line, 5};
  r.id_pos = {"rules.yaml", line, 9};
  r.when.pos = {"rules.yaml", line + 1, 7};
  r.when.topics.push_back(loc(std::move(filter), line + 1, 14));
  r.then = std::move(then);
  return r;
}

inline std::shared_ptr<const RuleSet> compile_rules(const std::vector<RuleSpec>& specs, bool has_upstream = true) {
  Diagnostics diag;
  auto set = RuleSet::compile(specs, diag, has_upstream);
  INFO(diag.format_all());
  REQUIRE(set != nullptr);
  REQUIRE(diag.items().empty());
  return set;
}

// "SECONDS RULE KIND: DETAIL", SECONDS since kT0 ("1.5" when not whole).
inline std::string describe(const TimedDecision& d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d.at - kT0).count();
  std::string out = ms % 1000 == 0 ? std::to_string(ms / 1000) : std::to_string(ms / 1000.0);
  struct V {
    std::string operator()(const Publish& p) const {
      return p.msg.origin + (p.forward ? " forward " : " publish ") + std::string(link_name(p.msg.link)) + " " +
             p.msg.topic + " " + p.msg.payload;
    }
    std::string operator()(const SetState& s) const { return s.rule + " set " + s.name + "=" + s.value.to_json(); }
    std::string operator()(const LogLine& l) const { return l.rule + " log " + l.message; }
    std::string operator()(const HttpCall& h) const {
      return h.rule + " http " + h.method + " " + h.url + " " + h.body;
    }
    // "RULE note KIND[ action N] [KEY]"; the detail is checked where it matters.
    std::string operator()(const RuleNote& n) const {
      return n.rule + " note " + std::string(note_name(n.kind)) +
             (n.action >= 0 ? " action " + std::to_string(n.action) : "") + " [" + n.key + "]";
    }
  };
  return out + " " + std::visit(V{}, d.decision);
}

// An engine, its clock and what it decided, as describe() lines.
struct Harness {
  explicit Harness(const std::vector<RuleSpec>& specs) : engine(compile_rules(specs)) {
    engine.on_tick(kT0, parser, lookups, "pi-1", out);
  }

  // Fires the timers due until `at`, then delivers the event at `at`.
  void event(Duration at, std::string topic, std::string payload, Link link = Link::local) {
    tick(at);
    Event e;
    e.topic = std::move(topic);
    e.payload = std::move(payload);
    e.link = link;
    e.received_at = kT0 + at;
    engine.on_event(e, parser, lookups, "pi-1", kT0 + at, out);
  }

  void tick(Duration at) { engine.on_tick(kT0 + at, parser, lookups, "pi-1", out); }

  // The decisions since the last call.
  std::vector<std::string> take() {
    std::vector<std::string> lines;
    for (const auto& d : out) lines.push_back(describe(d));
    out.clear();
    return lines;
  }

  Engine engine;
  JsonParser parser;
  FakeLookups lookups;
  std::vector<TimedDecision> out;
};

using Lines = std::vector<std::string>;

}  // namespace edgegw::rules::testing
