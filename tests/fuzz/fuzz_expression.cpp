// Expression compile from text, then evaluation against a fuzzed payload.
// Input: EXPRESSION, then optionally "\n%%\n" and the payload bytes.
#include <chrono>

#include "fuzz_input.h"
#include "rules/expression.h"

using namespace edgegw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parts = fuzz::split_parts(fuzz::as_text(data, size), 2);
  auto compiled = rules::Expression::compile(parts[0]);
  if (!compiled) return 0;
  Event event;
  event.topic = "zigbee2mqtt/hallway_motion";
  event.payload = std::string(parts[1]);
  rules::JsonParser parser;
  const TimePoint now{std::chrono::seconds(1'795'000'000)};
  rules::EvalContext ctx(event, parser, "pi-fuzz", now);
  const rules::Value v = compiled.value().evaluate(ctx);
  (void)v.to_json();
  (void)v.to_text();
  return 0;
}
