// The daemon and `edgegw test` run one event pipeline (gateway/engine/event_pipeline.h):
// the same events through both must give the same effects. Real brokers and
// the real binary for the daemon; the same config and rule file for the dry run.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/site.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

// Every stage: a route, a rule with `set`, `previous`, state.NAME and a
// delay, a rule reading the state another rule set for the same event, and
// a device trigger with `changed()`.
const char* kRules = R"(rules:
  - id: too-warm
    mode: parallel
    when:
      topic: sensors/+/temp
      if: payload.t > 25
    then:
      - set: {last_warm: "{{ topic[1] }}"}
      - publish: {to: local, topic: "alerts/{{ topic[1] }}", payload: "warm {{ payload.t }} after {{ previous.t }}"}
      - delay: 3s
      - publish:
          to: upstream
          topic: "alerts/{{ gateway.id }}/{{ topic[1] }}/later"
          payload: "still {{ payload.t }}, last warm {{ state.last_warm }}"
  - id: echo
    when: {topic: sensors/+/temp}
    then:
      - publish: {to: local, topic: "echo/{{ topic[1] }}", payload: "{{ state.last_warm }}|{{ previous.t }}"}
  - id: motion
    when: {device: hallway_motion, event: state, if: changed(payload.occupancy)}
    then:
      - publish: {to: local, topic: lights/hallway, payload: "{{ payload.occupancy }} was {{ previous.occupancy }}"}
)";

struct Input {
  std::string topic, payload;
};
const std::vector<Input> kEvents = {
    {"sensors/kitchen/temp", R"({"t":21})"},
    {"sensors/kitchen/temp", R"({"t":27})"},
    {"zigbee2mqtt/hallway_motion", R"({"occupancy":true})"},
    {"sensors/hall/temp", R"({"t":30})"},
    {"sensors/kitchen/temp", R"({"t":26})"},
    {"zigbee2mqtt/hallway_motion", R"({"occupancy":true})"},
    {"zigbee2mqtt/hallway_motion", R"({"occupancy":false})"},
    {"sensors/hall/temp", R"({"t":22})"},
};

// "to topic" -> payloads in the order they were published there.
using Effects = std::map<std::string, std::vector<std::string>>;

Effects dry_run_effects(const Gateway& gw) {
  const auto events = gw.dir() / "events.jsonl";
  {
    std::ofstream out(events);
    bool first = true;
    for (const auto& e : kEvents) {
      nlohmann::json line = {{"topic", e.topic}, {"payload", e.payload}};
      if (first) line["at"] = "2026-12-01T00:00:00Z";
      first = false;
      out << line.dump() << '\n';
    }
  }
  auto r = gw.command({"test", "--events", events.string(), "--until", "2026-12-01T00:00:10Z"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  Effects fx;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    const std::string action = j["action"];
    if (action != "publish" && action != "forward") continue;
    fx[j["to"].get<std::string>() + " " + j["topic"].get<std::string>()].push_back(j["payload"]);
  }
  return fx;
}

void add_received(Effects& fx, const std::string& to, const TestClient& c) {
  for (const auto& m : c.received()) fx[to + " " + m.topic].push_back(m.payload);
}

// One line per destination, for a readable failure.
std::string describe(const Effects& fx) {
  std::string out;
  for (const auto& [to, payloads] : fx) out += to + ": " + nlohmann::json(payloads).dump() + "\n";
  return out;
}

size_t count(const Effects& fx) {
  size_t n = 0;
  for (const auto& [k, v] : fx) n += v.size();
  return n;
}

}  // namespace

TEST_CASE("Do the daemon and `edgegw test` give the same effects for the same events, timers included?",
          "[integration][pipeline]") {
  Site site({.routes = "  - from: \"sensors/#\"\n    to: \"sites/{{ gateway.id }}/{{ topic }}\"\n",
             .rule_files = {{"rules.yaml", kRules}},
             .cloud = SiteClient{"cloud", {"alerts/#", "sites/#"}},
             .watcher = SiteClient{"watcher", {"alerts/#", "echo/#", "lights/#"}}});
  REQUIRE(site.prepare().ok());
  Gateway& gw = site.gw();

  const Effects expected = dry_run_effects(gw);
  // What the rules above must make of kEvents, so the comparison is not of two empty sets.
  REQUIRE(count(expected) == 18);
  CHECK(expected.at("upstream alerts/it-gw/kitchen/later") ==
        std::vector<std::string>{"still 27, last warm kitchen", "still 26, last warm kitchen"});
  CHECK(expected.at("local lights/hallway") == std::vector<std::string>{"true was ", "false was true"});

  TestClient& cloud = site.cloud();
  TestClient& watcher = site.watcher();
  REQUIRE(site.start_gateway().ok());

  TestClient sensors(site.local.uri(), "sensors");
  REQUIRE(sensors.connect().ok());
  for (const auto& e : kEvents) REQUIRE(sensors.publish(e.topic, e.payload, 1, false).ok());
  REQUIRE(wait_until([&] { return cloud.count() + watcher.count() >= count(expected); }, 20s));
  REQUIRE(gw.stop().ok());

  Effects daemon;
  add_received(daemon, "upstream", cloud);
  add_received(daemon, "local", watcher);
  CHECK(describe(daemon) == describe(expected));
}
