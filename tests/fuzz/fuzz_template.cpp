// Templates: a text template (also as a topic template) and a YAML-shaped
// payload template, compiled and rendered against a fuzzed payload.
// Input: TEMPLATE, then "\n%%\n" and the payload bytes.
#include <chrono>

#include "fuzz_input.h"
#include "rules/payload_template.h"
#include "rules/template.h"

using namespace edgegw;

namespace {

rules::PayloadSpec string_spec(std::string_view text) {
  rules::PayloadSpec s;
  s.value = std::string(text);
  s.pos = {"fuzz.yaml", 1, 1};
  return s;
}

// {a: TEMPLATE, list: [TEMPLATE, 1.5, true, null]}: the typed slots in a map and a list.
rules::PayloadSpec map_spec(std::string_view text) {
  rules::PayloadSpec list;
  list.value = rules::PayloadSpec::List{string_spec(text), {1.5, {}}, {true, {}}, {}};
  rules::PayloadSpec map;
  map.value = rules::PayloadSpec::Map{{"a", string_spec(text)}, {"list", list}};
  return map;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parts = fuzz::split_parts(fuzz::as_text(data, size), 2);
  Event event;
  event.topic = "sensors/kitchen/freezer";
  event.payload = std::string(parts[1]);
  rules::JsonParser parser;
  rules::EvalContext ctx(event, parser, "pi-fuzz", TimePoint{std::chrono::seconds(1'795'000'000)});

  if (auto t = rules::Template::compile(parts[0])) {
    (void)t.value().render(ctx);
    (void)t.value().render_value(ctx).to_json();
  }
  if (auto t = rules::Template::compile_topic(parts[0])) (void)t.value().render_topic(ctx);
  for (const auto& spec : {string_spec(parts[0]), map_spec(parts[0])}) {
    Diagnostics diags;
    if (auto p = rules::PayloadTemplate::compile(spec, diags, "payload")) (void)p->render(ctx);
    (void)diags.format_all();
  }
  return 0;
}
