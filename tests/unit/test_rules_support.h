// tests/unit/test_rules_support.h — small helpers for the rules/ unit tests.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>

#include "core/event.h"
#include "rules/eval_context.h"
#include "rules/expression.h"
#include "rules/payload.h"

namespace edgegw::rules::testing {

// Answers previous.* from a raw previous payload and state.* from a map.
class FakeLookups : public Lookups {
 public:
  std::optional<std::string> previous_payload;
  std::map<std::string, Value> states;

  Value previous(const Event&, std::span<const PathKey> path) const override {
    if (!previous_payload) return {};
    return Payload(*previous_payload, parser_).get(path);
  }
  Value state(std::string_view name) const override {
    auto it = states.find(std::string(name));
    return it == states.end() ? Value() : it->second;
  }

 private:
  mutable JsonParser parser_;  // its own, so the current event's document stays parsed
};

// One event and everything needed to evaluate against it.
struct Env {
  Event event;
  JsonParser parser;
  std::string gateway_id = "pi-1";
  TimePoint now = from_unix_ms(1768400000000);
  FakeLookups lookups;

  Env() { event.topic = "sensors/kitchen/temp"; }
  explicit Env(std::string payload, std::string topic = "sensors/kitchen/temp") {
    event.payload = std::move(payload);
    event.topic = std::move(topic);
  }

  EvalContext ctx() { return EvalContext(event, parser, gateway_id, now, lookups); }
};

// Compiles `text` (the test fails if it does not compile) and evaluates it.
inline Value eval(std::string_view text, Env& env) {
  auto e = Expression::compile(text);
  INFO("expression: " << text);
  REQUIRE(e.ok());
  auto ctx = env.ctx();
  return e.value().evaluate(ctx);
}

inline Value eval(std::string_view text) {
  Env env;
  return eval(text, env);
}

// "COLUMN: MESSAGE" of a failed compile, or "compiled" if it did not fail.
inline std::string compile_error(std::string_view text) {
  auto e = Expression::compile(text);
  if (e) return "compiled";
  return std::to_string(e.error().column) + ": " + e.error().message;
}

inline Value num(double d) { return Value::from_number(d); }
inline Value str(std::string s) { return Value::from_string(std::move(s)); }
inline Value boolean(bool b) { return Value::from_bool(b); }

}  // namespace edgegw::rules::testing

namespace Catch {
template <>
struct StringMaker<edgegw::rules::Value> {
  static std::string convert(const edgegw::rules::Value& v) { return v.is_null() ? "null" : v.to_json(); }
};
}  // namespace Catch
