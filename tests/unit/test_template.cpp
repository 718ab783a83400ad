#include <catch2/catch.hpp>

#include "rules/payload_template.h"
#include "rules/template.h"
#include "test_rules_support.h"

using namespace edgegw;
using namespace edgegw::rules;
using namespace edgegw::rules::testing;

namespace {

std::string render(std::string_view text, Env& env) {
  auto t = Template::compile(text);
  INFO("template: " << text);
  REQUIRE(t.ok());
  auto ctx = env.ctx();
  return t.value().render(ctx);
}

std::string template_error(std::string_view text, bool topic = false) {
  auto t = topic ? Template::compile_topic(text) : Template::compile(text);
  if (t) return "compiled";
  return std::to_string(t.error().column) + ": " + t.error().message;
}

// The topic, or "error: MESSAGE".
std::string render_topic(std::string_view text, Env& env) {
  auto t = Template::compile_topic(text);
  INFO("template: " << text);
  REQUIRE(t.ok());
  auto ctx = env.ctx();
  auto topic = t.value().render_topic(ctx);
  return topic ? topic.value() : "error: " + topic.status().detail();
}

PayloadSpec scalar(std::string s, int column = 0) {
  return PayloadSpec{std::move(s), SourcePos{"rules.yaml", 7, column}};
}
PayloadSpec scalar(double d) { return PayloadSpec{d, {}}; }
PayloadSpec map(PayloadSpec::Map m) { return PayloadSpec{std::move(m), {}}; }
PayloadSpec list(PayloadSpec::List l) { return PayloadSpec{std::move(l), {}}; }

std::string render_payload(const PayloadSpec& spec, Env& env) {
  Diagnostics diag;
  auto p = PayloadTemplate::compile(spec, diag, "payload");
  INFO(diag.format_all());
  REQUIRE(p.has_value());
  auto ctx = env.ctx();
  return p->render(ctx);
}

}  // namespace

TEST_CASE("Do string templates render values as text?", "[rules][template]") {
  Env env(R"({"temp": 3, "f": 21.5, "on": true, "obj": {"a": [1, "x"]}, "name": "kitchen"})");
  CHECK(render("plain text", env) == "plain text");
  CHECK(render("", env).empty());
  CHECK(render("t={{ payload.temp }}", env) == "t=3");
  CHECK(render("{{payload.f}}/{{ payload.on }}", env) == "21.5/true");
  CHECK(render("room {{ upper(payload.name) }}!", env) == "room KITCHEN!");
  CHECK(render("{{ payload.obj }}", env) == R"({"a":[1,"x"]})");
  CHECK(render("[{{ payload.missing }}]", env) == "[]");
  CHECK(render("{{ gateway.id }}-{{ topic[1] }}", env) == "pi-1-kitchen");
  CHECK(render("{{ '}}' + payload.name }}", env) == "}}kitchen");
  CHECK(render("a }} b", env) == "a }} b");
}

TEST_CASE("Are template errors reported at their column in the template?", "[rules][template]") {
  CHECK(template_error("a/{{ payload.x") == "3: '{{' is not closed by '}}'");
  CHECK(template_error("a/{{  }}/b") == "3: empty '{{ }}'");
  CHECK(template_error("alerts/{{ avg(payload.t) }}") == "11: unknown function 'avg' (did you mean 'abs'?)");
  CHECK(template_error("x{{payload.a >}}") == "15: expected an expression, found end of expression");
  CHECK(template_error("{{ '}}' }}") == "compiled");
}

TEST_CASE("Does typed rendering keep a lone expression's type?", "[rules][template]") {
  Env env(R"({"temp": 3, "obj": {"k": 1}})");
  auto ctx = env.ctx();
  const auto value = [&](std::string_view text) {
    auto t = Template::compile(text);
    REQUIRE(t);
    return t.value().render_value(ctx);
  };
  CHECK(value("{{ payload.temp }}") == num(3));
  CHECK(value("{{ payload.missing }}").is_null());
  CHECK(value("{{ payload.obj }}").to_json() == R"({"k":1})");
  CHECK(value(" {{ payload.temp }}") == str(" 3"));
  CHECK(value("{{ payload.temp }}{{ payload.temp }}") == str("33"));
  CHECK(value("text") == str("text"));
}

TEST_CASE("Does a YAML payload render as compact JSON with typed values?", "[rules][template][payload]") {
  Env env(R"({"temp": 21.5, "count": 3, "obj": {"a": 1}, "name": "freezer"})", "sensors/garage/freezer");
  const PayloadSpec spec = map({
      {"temp", scalar("{{ payload.temp }}")},
      {"count", scalar("{{ payload.count }}")},
      {"room", scalar("{{ topic[1] }}")},
      {"missing", scalar("{{ payload.nope }}")},
      {"label", scalar("{{ payload.name }} at {{ payload.temp }}")},
      {"nested", map({{"obj", scalar("{{ payload.obj }}")}, {"list", list({scalar(1), scalar("x")})}})},
      {"fixed", PayloadSpec{true, {}}},
      {"none", PayloadSpec{}},
      {"brightness", scalar(180)},
  });
  CHECK(render_payload(spec, env) ==
        R"({"temp":21.5,"count":3,"room":"garage","missing":null,"label":"freezer at 21.5",)"
        R"("nested":{"obj":{"a":1},"list":[1,"x"]},"fixed":true,"none":null,"brightness":180})");
}

TEST_CASE("Is a root string payload sent as its text, not as JSON?", "[rules][template][payload]") {
  Env env(R"({"state": "ON"})");
  CHECK(render_payload(scalar("{{ payload.state }}"), env) == "ON");
  CHECK(render_payload(scalar("level {{ 2 + 1 }}"), env) == "level 3");
  CHECK(render_payload(scalar(42), env) == "42");
  CHECK(render_payload(PayloadSpec{}, env).empty());
  CHECK(render_payload(list({scalar("{{ payload.state }}")}), env) == R"(["ON"])");
}

TEST_CASE("Does a constant payload compile to fixed bytes?", "[rules][template][payload]") {
  Diagnostics diag;
  auto p = PayloadTemplate::compile(map({{"state", scalar("ON")}, {"brightness", scalar(180)}}), diag, "payload");
  REQUIRE(p);
  CHECK(p->is_constant());
  Env env;
  auto ctx = env.ctx();
  CHECK(p->render(ctx) == R"({"state":"ON","brightness":180})");
  CHECK(env.parser.parse_count() == 0);
  auto q = PayloadTemplate::compile(map({{"t", scalar("{{ payload.t }}")}}), diag, "payload");
  REQUIRE(q);
  CHECK_FALSE(q->is_constant());
}

TEST_CASE("Are errors in a payload tree reported at each scalar, all of them?", "[rules][template][payload]") {
  Diagnostics diag;
  const PayloadSpec spec = map({
      {"a", scalar("{{ avg(payload.x) }}", 10)},
      {"b", list({scalar("ok"), scalar("x {{ payload.", 20)})},
  });
  CHECK_FALSE(PayloadTemplate::compile(spec, diag, "rules[0].then[0].publish.payload").has_value());
  REQUIRE(diag.error_count() == 2);
  CHECK(diag.items()[0].format() ==
        "rules.yaml:7:13: error: rules[0].then[0].publish.payload.a: unknown function 'avg' (did you mean 'abs'?)");
  CHECK(diag.items()[1].format() ==
        "rules.yaml:7:22: error: rules[0].then[0].publish.payload.b[1]: '{{' is not closed by '}}'");
}

TEST_CASE("Does a rendered topic with wildcards, NUL or a missing level fail?", "[rules][template][topic]") {
  Env env(R"({"room": "kitchen", "plus": "a+b", "hash": "#", "empty": "", "slash": "/x"})", "/dev/1");
  CHECK(render_topic("home/{{ payload.room }}/temp", env) == "home/kitchen/temp");
  CHECK(render_topic("home/{{ payload.plus }}", env) == "error: rendered topic 'home/a+b' contains '+'");
  CHECK(render_topic("home/{{ payload.hash }}", env) == "error: rendered topic 'home/#' contains '#'");
  CHECK(render_topic("home/{{ payload.missing }}/temp", env) ==
        "error: rendered topic 'home//temp' has an empty level: '{{ payload.missing }}' rendered nothing");
  CHECK(render_topic("home/{{ payload.empty }}", env).starts_with("error: rendered topic 'home/' has an empty level"));
  CHECK(render_topic("{{ payload.empty }}/x", env).starts_with("error: rendered topic '/x' has an empty level"));
  CHECK(render_topic("{{ payload.empty }}", env) == "error: rendered an empty topic");
  CHECK(render_topic("home/{{ payload.missing }}x/temp", env) == "home/x/temp");
  // Empty levels that the text or a value wrote stay.
  CHECK(render_topic("a//b", env) == "a//b");
  CHECK(render_topic("fwd/{{ topic }}", env) == "fwd//dev/1");
  CHECK(render_topic("a{{ payload.slash }}", env) == "a/x");
  Env nul(std::string("{\"n\": \"a\\u0000b\"}"));
  CHECK(render_topic("x/{{ payload.n }}", nul) == "error: rendered topic 'x/a\\0b' contains a NUL byte");
  Env huge("{\"long\": \"" + std::string(70000, 'a') + "\"}");
  CHECK(render_topic("{{ payload.long }}", huge) == "error: rendered topic is longer than 65535 bytes");
}

TEST_CASE("Does a value that would write control characters, bad UTF-8 or a '$' level fail the topic?",
          "[rules][template][topic]") {
  Env env(R"({"ctl": "a\u0007b", "sys": "$SYS", "uml": "k\u00fcche"})");
  CHECK(render_topic("x/{{ payload.ctl }}", env) ==
        "error: rendered topic 'x/a\\x07b' contains the control character 0x07");
  CHECK(render_topic("{{ payload.sys }}/x", env) ==
        "error: rendered topic '$SYS/x' starts with '$', which a value may not write");
  CHECK(render_topic("$share/{{ payload.uml }}", env) ==
        "$share/k\xC3\xBC"
        "che");                                                 // the text may write '$'
  CHECK(render_topic("x/{{ payload.sys }}", env) == "x/$SYS");  // not the first level: an ordinary name
  Env raw("");
  raw.event.payload = "\xFF\xFEname";  // not JSON: `payload` is the raw text
  CHECK(render_topic("x/{{ payload }}", raw) ==
        "error: rendered topic 'x/\\xFF\\xFEname' contains malformed UTF-8 or a control character at byte 2");
}

TEST_CASE("Are wildcards in a topic template's text errors at load time?", "[rules][template][topic]") {
  CHECK(template_error("home/+/temp", true) ==
        "6: a topic to publish to cannot contain '+' (wildcards are for filters)");
  CHECK(template_error("{{ topic }}/#", true) ==
        "13: a topic to publish to cannot contain '#' (wildcards are for filters)");
  CHECK(template_error("", true) == "1: empty topic");
  CHECK(template_error("{{ topic + '/+' }}", true) == "compiled");  // the value is checked when rendered
}
