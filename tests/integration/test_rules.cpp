// Rules in the daemon: real brokers, the real binary, rule files on disk.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "support/http_get.h"
#include "support/site.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const char* kLightRule =
    "rules:\n"
    "  - id: hallway-light\n"
    "    when:\n"
    "      topic: zigbee2mqtt/hallway_motion\n"
    "      if: payload.occupancy and payload.illuminance < 30\n"
    "    then:\n"
    "      - publish:\n"
    "          to: local\n"
    "          topic: zigbee2mqtt/hallway_light/set\n"
    "          payload: {state: \"ON\", brightness: \"{{ payload.illuminance }}\"}\n"
    "      - publish:\n"
    "          to: upstream\n"
    "          topic: \"alerts/{{ gateway.id }}/motion\"\n"
    "          payload: \"motion in {{ topic[1] }}\"\n"
    "          priority: high\n";

}  // namespace

TEST_CASE("Does a rule fire through real brokers, publishing locally and upstream?", "[integration][rules]") {
  Site site({.rule_files = {{"light.yaml", kLightRule}},
             .cloud = SiteClient{"cloud", {"alerts/#"}},
             .watcher = SiteClient{"light", {"zigbee2mqtt/hallway_light/set"}},
             .devices = SiteClient{"sensor"}});
  REQUIRE(site.start().ok());
  TestClient& cloud = site.cloud();
  TestClient& light = site.watcher();
  TestClient& sensor = site.devices();
  REQUIRE(sensor.publish("zigbee2mqtt/hallway_motion", "{\"occupancy\":true,\"illuminance\":80}", 1, false).ok());
  REQUIRE(sensor.publish("zigbee2mqtt/hallway_motion", "{\"occupancy\":true,\"illuminance\":12}", 1, false).ok());
  REQUIRE(light.wait_for_count(1, 10s));
  CHECK(light.received()[0].payload == "{\"state\":\"ON\",\"brightness\":12}");  // typed: 12 stays a number
  REQUIRE(cloud.wait_for_count(1, 10s));
  CHECK(cloud.received()[0].topic == "alerts/it-gw/motion");
  CHECK(cloud.received()[0].payload == "motion in hallway_motion");
  CHECK(light.count() == 1);  // the bright event did not fire
  REQUIRE(site.gw().stop().ok());
}

TEST_CASE("Does the daemon tell why a rule did not fire: debug lines, /api/rules, and a warned drop?",
          "[integration][rules][notes]") {
  const std::string drop_rule =
      "  - id: room-light\n"
      "    when: {topic: zigbee2mqtt/+}\n"
      "    then:\n"
      "      - publish: {to: local, topic: \"lights/{{ payload.room }}/set\", payload: \"ON\"}\n";
  Site site({.rule_files = {{"light.yaml", std::string(kLightRule) + drop_rule}},
             .http = true,
             .cloud = {},
             .devices = SiteClient{"sensor"}});
  REQUIRE(site.start().ok());
  REQUIRE(
      site.devices().publish("zigbee2mqtt/hallway_motion", R"({"occupancy":true,"illuminance":80})", 1, false).ok());
  auto& gw = site.gw();
  const std::string why =
      "rule hallway-light stopped: if_false: payload.occupancy and payload.illuminance < 30 was false; "
      "payload.occupancy = true, payload.illuminance = 80 [zigbee2mqtt/hallway_motion]";
  REQUIRE(wait_until([&] { return gw.log().find(why) != std::string::npos; }, 10s));
  CHECK(gw.log().find("rule room-light dropped action 0: bad_topic: topic template") != std::string::npos);

  nlohmann::json rules;
  REQUIRE(wait_until(
      [&] {
        rules = nlohmann::json::parse(http_get(site.http_port(), "/api/rules").body, nullptr, false);
        return rules.is_array() && rules.size() == 2 && rules[1]["drops"]["bad_topic"] == 1;
      },
      10s));
  CHECK(rules[0]["stops"]["if_false"] == 1);
  CHECK(rules[0]["last_stop"] == "if_false");
  CHECK(rules[1]["last_stop"] == "bad_topic");
  const std::string metrics = http_get(site.http_port(), "/metrics").body;
  CHECK(metrics.find("edgegw_rule_drops_total{rule=\"room-light\",reason=\"bad_topic\"} 1\n") != std::string::npos);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does SIGHUP with a broken rule file keep the old rules working, and a fixed one take effect?",
          "[integration][rules][reload]") {
  Site site({.rule_files = {{"light.yaml", kLightRule}},
             .cloud = {},
             .watcher = SiteClient{"light", {"zigbee2mqtt/+/set"}},
             .devices = SiteClient{"sensor"}});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& light = site.watcher();
  TestClient& sensor = site.devices();
  const std::string dark = "{\"occupancy\":true,\"illuminance\":5}";

  // A broken file: reported, and the old rule keeps firing.
  std::ofstream(gw.dir() / "rules.d" / "light.yaml") << "rules:\n  - id: x\n    when: {topic: [\n";
  REQUIRE(gw.signal(SIGHUP).ok());
  REQUIRE(wait_until([&] { return gw.log().find("the old rules stay in force") != std::string::npos; }, 10s));
  // Its errors read as `edgegw check` prints them: the line starts with FILE:LINE:COL.
  CHECK(std::regex_search(gw.log(), std::regex(R"((^|\n)[^ \n]*/light\.yaml:[0-9]+:[0-9]+: error: )")));
  REQUIRE(sensor.publish("zigbee2mqtt/hallway_motion", dark, 1, false).ok());
  REQUIRE(light.wait_for_count(1, 10s));
  CHECK(light.received()[0].topic == "zigbee2mqtt/hallway_light/set");

  // A valid new file replaces it.
  std::ofstream(gw.dir() / "rules.d" / "light.yaml")
      << "rules:\n  - id: porch\n    when: {topic: zigbee2mqtt/hallway_motion}\n    then:\n"
         "      - publish: {to: local, topic: zigbee2mqtt/porch_light/set, payload: \"ON\"}\n";
  REQUIRE(gw.signal(SIGHUP).ok());
  REQUIRE(wait_until([&] { return gw.log().find("SIGHUP: 1 rule(s) loaded") != std::string::npos; }, 10s));
  REQUIRE(sensor.publish("zigbee2mqtt/hallway_motion", dark, 1, false).ok());
  REQUIRE(light.wait_for_count(2, 10s));
  CHECK(light.received()[1].topic == "zigbee2mqtt/porch_light/set");
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does a pending delay still fire after the gateway is killed with -9 and restarted?",
          "[integration][rules][state]") {
  const std::string night =
      "rules:\n  - id: night-light\n    when: {topic: hall/motion}\n    then:\n"
      "      - publish: {to: local, topic: hall/light/set, payload: \"ON {{ payload }}\"}\n"
      "      - delay: 4s\n"
      "      - publish: {to: local, topic: hall/light/set, payload: \"OFF {{ payload }}\"}\n";
  Site site({.rule_files = {{"night.yaml", night}},
             .cloud = {},
             .watcher = SiteClient{"light", {"hall/light/set"}},
             .devices = SiteClient{"sensor"}});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& light = site.watcher();
  REQUIRE(site.devices().publish("hall/motion", "m1", 1, false).ok());
  REQUIRE(light.wait_for_count(1, 10s));
  CHECK(light.received()[0].payload == "ON m1");

  REQUIRE(gw.kill9().ok());  // the delay is pending: only the database remembers it
  REQUIRE(gw.start().ok());
  // At-least-once: the ON row may come again if its ack was not committed
  // before the kill; the OFF must come, once, with the event the run carried.
  auto offs = [&] {
    auto got = light.received();
    return std::count_if(got.begin(), got.end(), [](const auto& m) { return m.payload == "OFF m1"; });
  };
  REQUIRE(wait_until([&] { return offs() >= 1; }, 15s));
  CHECK(gw.log().find("restored the timers and windows of 1 rule(s)") != std::string::npos);
  REQUIRE(gw.stop().ok());
  CHECK(offs() == 1);
}

TEST_CASE("Does saving a rule file apply it without SIGHUP, and a broken save keep the old rules?",
          "[integration][rules][reload]") {
  Site site({.extra = "rules:\n  paths: [rules.d]\n", .cloud = {}, .watcher = SiteClient{"light", {"porch/+/set"}}});
  REQUIRE(site.prepare().ok());
  Gateway& gw = site.gw();
  TestClient& light = site.watcher();
  const auto dir = gw.dir() / "rules.d";
  std::filesystem::create_directories(dir);
  auto save = [&](const std::string& name, const std::string& text) {  // as editors do: write, then rename
    std::ofstream(dir / (name + ".tmp")) << text;
    std::filesystem::rename(dir / (name + ".tmp"), dir / name);
  };
  auto rule = [](const std::string& lamp) {
    return "rules:\n  - id: porch\n    when: {topic: porch/motion}\n    then:\n"
           "      - publish: {to: local, topic: porch/" +
           lamp + "/set, payload: \"ON\"}\n";
  };
  save("porch.yaml", rule("a"));
  REQUIRE(site.start_gateway().ok());
  TestClient sensor(site.local.uri(), "sensor");
  REQUIRE(sensor.connect().ok());
  REQUIRE(sensor.publish("porch/motion", "1", 1, false).ok());
  REQUIRE(light.wait_for_count(1, 10s));
  CHECK(light.received()[0].topic == "porch/a/set");

  save("porch.yaml", rule("b"));
  REQUIRE(wait_until([&] { return gw.log().find("rule files changed: 1 rule(s) loaded") != std::string::npos; }, 5s));
  REQUIRE(sensor.publish("porch/motion", "2", 1, false).ok());
  REQUIRE(light.wait_for_count(2, 10s));
  CHECK(light.received()[1].topic == "porch/b/set");

  save("porch.yaml", "rules:\n  - id: porch\n    when: {topic: [\n");  // broken: the old rule stays
  REQUIRE(wait_until(
      [&] { return gw.log().find("rule files changed: the rule files have errors") != std::string::npos; }, 5s));
  REQUIRE(sensor.publish("porch/motion", "3", 1, false).ok());
  REQUIRE(light.wait_for_count(3, 10s));
  CHECK(light.received()[2].topic == "porch/b/set");
  REQUIRE(gw.stop().ok());
}

// An `every` rule added by a reload starts at the reload, not at the next
// MQTT message: nothing else arrives in this test.
TEST_CASE("Does an every rule that a reload adds start at the reload, with no message arriving?",
          "[integration][rules][reload]") {
  Site site({.extra = "rules:\n  paths: [rules.d]\n", .cloud = {}, .watcher = SiteClient{"pump", {"garden/pump/#"}}});
  REQUIRE(site.prepare().ok());
  Gateway& gw = site.gw();
  const auto dir = gw.dir() / "rules.d";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "none.yaml") << "rules: []\n";
  REQUIRE(site.start_gateway().ok());
  std::ofstream(dir / "pump.yaml.tmp") << "rules:\n  - id: pump\n    when: {every: 1s}\n    then:\n"
                                          "      - publish: {to: local, topic: garden/pump/tick, payload: \"1\"}\n";
  std::filesystem::rename(dir / "pump.yaml.tmp", dir / "pump.yaml");
  REQUIRE(wait_until([&] { return gw.log().find("rule files changed: 1 rule(s) loaded") != std::string::npos; }, 5s));
  CHECK(site.watcher().wait_for_count(2, 10s));  // ticks a second apart, from the reload on
  REQUIRE(gw.stop().ok());
}

// Issue 20, item 5: the filters of deleted rules used to stay in the 7-day
// session. Deterministic without sleeping: the broker delivers one client's
// QoS 1 messages in order, so once the gateway has acted on `b/x`, the
// `a/x` published before it would have been received (and counted) first.
TEST_CASE("Does a reload unsubscribe the filters of deleted rules on both links, so the brokers stop sending them?",
          "[integration][rules][reload]") {
  // A rule on %L/# (local) and one on %U/# (from: upstream), each reporting to seen/<its name>.
  auto rules = [](const std::string& local, const std::string& up) {
    std::string text =
        "rules:\n"
        "  - id: %L\n    when: {topic: \"%L/#\"}\n    then:\n"
        "      - publish: {to: local, topic: seen/%L, payload: \"{{ topic }}\"}\n"
        "  - id: %U\n    when: {topic: \"%U/#\", from: upstream}\n    then:\n"
        "      - publish: {to: local, topic: seen/%U, payload: \"{{ topic }}\"}\n";
    for (size_t at; (at = text.find("%L")) != std::string::npos;) text.replace(at, 2, local);
    for (size_t at; (at = text.find("%U")) != std::string::npos;) text.replace(at, 2, up);
    return text;
  };
  SiteOptions o{.rule_files = {{"r.yaml", rules("a", "ua")}},
                .http = true,
                .cloud = {},
                .watcher = SiteClient{"watcher", {"seen/#"}},
                .devices = SiteClient{"sensor"}};
  // Only what the rules need: the default `subscribe: ["#"]` would cover every filter.
  o.edit = [](std::string& yaml) { yaml.replace(yaml.find("  reconnect:"), 0, "  subscribe: []\n"); };
  Site site(o);
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  INFO(gw.log());
  TestClient& watcher = site.watcher();
  TestClient& sensor = site.devices();
  TestClient cloud(site.upstream.uri(), "cloud-cmd");
  REQUIRE(cloud.connect().ok());
  REQUIRE(wait_until([&] { return gw.log().find("upstream link: subscribed to") != std::string::npos; }, 10s));
  REQUIRE(sensor.publish("a/x", "1", 1, false).ok());  // subscribed at start
  REQUIRE(cloud.publish("ua/x", "1", 1, false).ok());
  REQUIRE(watcher.wait_for_count(2, 10s));

  std::ofstream(gw.dir() / "rules.d" / "r.yaml") << rules("b", "ub");
  REQUIRE(gw.signal(SIGHUP).ok());
  REQUIRE(wait_until([&] { return gw.log().find("local link: unsubscribed from 'a/#'") != std::string::npos; }, 10s));
  REQUIRE(
      wait_until([&] { return gw.log().find("upstream link: unsubscribed from 'ua/#'") != std::string::npos; }, 10s));

  const int port = site.http_port();
  const double local_before = scrape(port, "edgegw_received_total{link=\"local\"}");
  const double upstream_before = scrape(port, "edgegw_received_total{link=\"upstream\"}");
  REQUIRE(sensor.publish("a/x", "2", 1, false).ok());
  REQUIRE(sensor.publish("b/x", "2", 1, false).ok());
  REQUIRE(cloud.publish("ua/x", "2", 1, false).ok());
  REQUIRE(cloud.publish("ub/x", "2", 1, false).ok());
  REQUIRE(watcher.wait_for_count(4, 10s));  // seen/b and seen/ub: the new filters are subscribed
  CHECK(scrape(port, "edgegw_received_total{link=\"local\"}") == local_before + 1);
  CHECK(scrape(port, "edgegw_received_total{link=\"upstream\"}") == upstream_before + 1);

  // Nor does the local broker queue `a/...` for the session while the gateway is away.
  REQUIRE(gw.stop().ok());
  REQUIRE(sensor.publish("a/x", "3", 1, false).ok());
  REQUIRE(sensor.publish("b/x", "3", 1, false).ok());
  REQUIRE(gw.start().ok());
  REQUIRE(watcher.wait_for_count(5, 10s));                            // the queued b/x, after the restart
  CHECK(scrape(port, "edgegw_received_total{link=\"local\"}") == 1);  // a fresh process: b/x alone
  REQUIRE(gw.stop().ok());
  const auto got = watcher.received();
  CHECK(std::count_if(got.begin(), got.end(), [](const auto& m) { return m.topic == "seen/a"; }) == 1);
  CHECK(std::count_if(got.begin(), got.end(), [](const auto& m) { return m.topic == "seen/b"; }) == 2);
}
