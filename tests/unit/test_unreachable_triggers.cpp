// Unreachable topic triggers: `edgegw check` warns when a rule's trigger
// only matches topics the gateway publishes itself (No Local).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/cli/check.h"
#include "gateway/config/rule_loader.h"
#include "rules/unreachable_triggers.h"
#include "support/temp_dir.h"

using namespace edgegw;
using namespace edgegw::rules;

namespace {

std::vector<RuleSpec> load(const std::string& text) {
  Diagnostics diags;
  auto specs = gateway::load_rule_text("r.yaml", text, diags);
  INFO(diags.format_all());
  REQUIRE_FALSE(diags.has_errors());
  return specs;
}

std::string warnings(const std::vector<RuleSpec>& specs, const std::vector<RouteSpec>& routes = {},
                     bool local_no_local = true, bool upstream_no_local = true) {
  Diagnostics diags;
  warn_unreachable_triggers(specs, own_topics(specs, routes), local_no_local, upstream_no_local, diags);
  CHECK_FALSE(diags.has_errors());
  return diags.format_all();
}

// Rule 0 publishes `topic` on `to`; rule 1 triggers on `filter` (from `from`).
std::string chain(const std::string& to, const std::string& topic, const std::string& from, const std::string& filter) {
  return "rules:\n"
         "  - id: scene\n"
         "    when: {topic: phones/leave}\n"
         "    then:\n"
         "      - publish: {to: " +
         to + ", topic: \"" + topic +
         "\", payload: 'ON'}\n"
         "  - id: follow\n"
         "    when: {topic: \"" +
         filter + "\", from: " + from +
         "}\n"
         "    then: [{log: seen}]\n";
}

}  // namespace

TEST_CASE("Does a rule triggered by the topic another rule publishes locally get a warning at its filter?",
          "[rules][check]") {
  const auto text = warnings(load(chain("local", "home/alarm/set", "local", "home/alarm/set")));
  CHECK(text ==
        "r.yaml:7:20: warning: rules[1].when.topic: 'home/alarm/set' only matches topics that rules[0] ('scene') "
        "then[0] publishes on the local broker, and the gateway never receives its own publishes (No Local): "
        "they do not fire this rule, only other clients' messages do\n");
}

TEST_CASE("Does a trigger that also matches device topics stay without a warning?", "[rules][check]") {
  CHECK(warnings(load(chain("local", "home/alarm/set", "local", "home/#"))).empty());
  CHECK(warnings(load(chain("local", "home/alarm/set", "local", "home/+/state"))).empty());
  CHECK(warnings(load(chain("local", "home/alarm/set", "local", "home/alarm"))).empty());
}

TEST_CASE("Is the link compared: a local publish does not shadow an upstream trigger?", "[rules][check]") {
  CHECK(warnings(load(chain("local", "cmd/x", "upstream", "cmd/x"))).empty());
  CHECK_FALSE(warnings(load(chain("upstream", "cmd/x", "upstream", "cmd/x"))).empty());
}

TEST_CASE("Does a templated publish topic count as '+' for each level with an expression?", "[rules][check]") {
  CHECK_FALSE(warnings(load(chain("upstream", "alerts/{{ gateway.id }}/leak", "upstream", "alerts/pi/leak"))).empty());
  CHECK_FALSE(warnings(load(chain("upstream", "alerts/{{ gateway.id }}/leak", "upstream", "alerts/+/leak"))).empty());
  CHECK(warnings(load(chain("upstream", "alerts/{{ gateway.id }}/leak", "upstream", "alerts/#"))).empty());
  CHECK(template_filter("a/{{ payload.x / 2 }}/b") == "a/+/b");
  CHECK(template_filter("a/b{{ x }}c") == "a/+");
  CHECK(template_filter("{{ topic }}") == "+");
  CHECK(template_filter("plain/topic") == "plain/topic");
  CHECK_FALSE(template_filter("a/{{ x"));
}

TEST_CASE("Does a local trigger on an in route's destination get a warning naming the route?", "[rules][check]") {
  RouteSpec in;
  in.from = "cmd/pi/#";
  in.direction = Direction::in;
  const auto specs = load("rules:\n  - id: light\n    when: {topic: cmd/pi/light}\n    then: [{log: x}]\n");
  const auto text = warnings(specs, {in});
  CHECK(text.find("r.yaml:3:19: warning: rules[0].when.topic: 'cmd/pi/light' only matches topics that forward[0] "
                  "publishes on the local broker") == 0);
  in.to = "devices/{{ topic[2] }}";
  CHECK(warnings(specs, {in}).empty());  // "devices/+" does not cover cmd/pi/light
}

TEST_CASE("Does a forward without a topic publish the trigger's own topics upstream?", "[rules][check]") {
  const auto specs = load(
      "rules:\n"
      "  - {id: up, when: {topic: \"sensors/+/t\"}, then: [{forward: {}}]}\n"
      "  - {id: back, when: {topic: sensors/kitchen/t, from: upstream}, then: [{log: x}]}\n");
  CHECK(warnings(specs).find("rules[1].when.topic: 'sensors/kitchen/t' only matches topics that rules[0] ('up') "
                             "then[0] publishes on the upstream broker") != std::string::npos);
}

TEST_CASE("Without No Local (MQTT 3.1.1) or with a disabled rule, is there no warning?", "[rules][check]") {
  const auto specs = load(chain("local", "home/alarm/set", "local", "home/alarm/set"));
  CHECK(warnings(specs, {}, /*local_no_local=*/false, true).empty());
  auto disabled = specs;
  disabled[0].enabled = false;
  CHECK(warnings(disabled).empty());
  disabled = specs;
  disabled[1].enabled = false;
  CHECK(warnings(disabled).empty());
}

TEST_CASE("Does edgegw check print the warning and still pass?", "[rules][check]") {
  testing::TempDir dir;
  REQUIRE(dir.ok());
  // No http.listen: the unit test binary has no HTTP module next to it.
  std::ofstream(dir / "gateway.yaml")
      << "gateway: {id: pi, state_dir: .}\nrules: {paths: [r.yaml]}\nhttp: {listen: \"\"}\n";
  std::ofstream(dir / "r.yaml") << chain("local", "home/alarm/set", "local", "home/alarm/set");
  std::ostringstream out, err;
  CHECK(gateway::run_check(dir.file("gateway.yaml"), out, err, dir.file("no-mosquitto.conf")) == 0);
  CHECK(err.str() == dir.file("r.yaml") +
                         ":7:20: warning: rules[1].when.topic: 'home/alarm/set' only matches "
                         "topics that rules[0] ('scene') then[0] publishes on the local broker, and "
                         "the gateway never receives its own publishes (No Local): they do not fire "
                         "this rule, only other clients' messages do\n");
  CHECK(out.str().find(": ok (0 route(s), 2 rule(s) in 1 file(s))") != std::string::npos);

  std::ofstream(dir / "gateway.yaml", std::ios::app) << "local: {mqtt_version: 3}\n";
  std::ostringstream out3, err3;
  CHECK(gateway::run_check(dir.file("gateway.yaml"), out3, err3, dir.file("no-mosquitto.conf")) == 0);
  CHECK(err3.str().empty());
}
