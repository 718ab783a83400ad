// The ESPHome profile (issue 21, devices item 3), with payloads as ESPHome
// 2023.x publishes them through its native MQTT component, node
// "livingroom" (friendly name "Living Room"), default topic prefix:
// - birth/will on livingroom/status: "online" / "offline", retained;
// - states on livingroom/<component>/<object_id>/state, retained;
// - Home Assistant discovery on homeassistant/<component>/livingroom/<object_id>/config,
//   abbreviated keys, retained.
// One node is one device, whatever order these arrive in.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "devices/registry.h"

using namespace edgegw;
using namespace edgegw::devices;
using namespace std::chrono_literals;

namespace {

TimePoint t0() { return from_unix_ms(1'790'000'000'000); }

const char* kTemperatureConfig =
    R"({"dev_cla":"temperature","unit_of_meas":"°C","stat_cla":"measurement","name":"Temperature",)"
    R"("stat_t":"livingroom/sensor/temperature/state","avty_t":"livingroom/status",)"
    R"("uniq_id":"ESPsensortemperature","dev":{"ids":"a4cf12ab34cd","name":"Living Room",)"
    R"("sw":"esphome v2023.12.5 Dec 18 2023, 10:12:01","mdl":"esp32dev","mf":"espressif",)"
    R"("cns":[["mac","a4cf12ab34cd"]]}})";
const char* kMotionConfig =
    R"({"dev_cla":"motion","name":"Motion","stat_t":"livingroom/binary_sensor/motion/state",)"
    R"("avty_t":"livingroom/status","uniq_id":"ESPbinary_sensormotion","dev":{"ids":"a4cf12ab34cd",)"
    R"("name":"Living Room","sw":"esphome v2023.12.5 Dec 18 2023, 10:12:01","mdl":"esp32dev","mf":"espressif"}})";
const char* kRelayConfig =
    R"({"name":"Relay","stat_t":"livingroom/switch/relay/state","cmd_t":"livingroom/switch/relay/command",)"
    R"("avty_t":"livingroom/status","uniq_id":"ESPswitchrelay","dev":{"ids":"a4cf12ab34cd",)"
    R"("name":"Living Room","sw":"esphome v2023.12.5 Dec 18 2023, 10:12:01","mdl":"esp32dev","mf":"espressif"}})";

struct Node {
  explicit Node(ProfileConfig cfg = {}) : registry(Profiles::compile(std::move(cfg))) {}
  // One message at t0() + after; returns the changes as "id:event".
  std::vector<std::string> feed(std::string_view topic, std::string_view payload, Duration after = 0s,
                                bool retained = false) {
    changes.clear();
    last = registry.observe({topic, payload, retained, t0() + after}, changes);
    std::vector<std::string> out;
    for (const auto& c : changes) out.push_back(c.device->id + ":" + std::string(change_name(c.change)));
    return out;
  }
  // What a broker replays at subscribe time, in the order given.
  void discovery() {
    feed("homeassistant/sensor/livingroom/temperature/config", kTemperatureConfig, 0s, true);
    feed("homeassistant/binary_sensor/livingroom/motion/config", kMotionConfig, 0s, true);
    feed("homeassistant/switch/livingroom/relay/config", kRelayConfig, 0s, true);
  }
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const Device& d : registry.devices()) out.push_back(d.id);
    return out;
  }
  Registry registry;
  std::vector<DeviceChange> changes;
  Device* last = nullptr;
};

using Names = std::vector<std::string>;

std::string claim(const Profiles& p, std::string_view topic) {
  auto m = p.match(topic);
  if (!m) return "none";
  static const char* kKinds[] = {"state", "availability", "discovery", "meta", "command"};
  return std::string(m->profile) + " " + kKinds[static_cast<int>(m->kind)] + " " + m->id;
}

}  // namespace

TEST_CASE("Which ESPHome topics does the esphome profile claim, and as what?", "[devices][esphome]") {
  auto p = Profiles::compile({});
  CHECK(claim(p, "livingroom/status") == "esphome availability livingroom");
  CHECK(claim(p, "livingroom/sensor/temperature/state") == "esphome state livingroom");
  CHECK(claim(p, "livingroom/binary_sensor/motion/state") == "esphome state livingroom");
  CHECK(claim(p, "livingroom/switch/relay/command") == "esphome command livingroom");
  CHECK(claim(p, "livingroom/climate/thermostat/mode/command") == "esphome command livingroom");
  CHECK(claim(p, "livingroom/climate/thermostat/current_temperature/state") == "esphome meta livingroom");
  CHECK(claim(p, "livingroom/widget/x/state") == "none");  // not an ESPHome component
  CHECK(claim(p, "homeassistant/status") == "none");       // Home Assistant's own birth
  CHECK(claim(p, "homeassistant/sensor/livingroom/temperature/config") == "homeassistant discovery temperature");
  CHECK(p.match("livingroom/sensor/temperature/state")->component == "temperature");

  ProfileConfig off;
  off.profiles = {"zigbee2mqtt", "homeassistant"};
  CHECK(claim(Profiles::compile(off), "livingroom/status") == "none");
  CHECK(intern_profile("esphome") == kEsphome);  // restored rows keep their profile
}

TEST_CASE("Is an ESPHome node one device, named after the node, with {object_id: value} states?",
          "[devices][esphome]") {
  Node n;
  // At subscribe time the broker replays the retained birth and states.
  CHECK(n.feed("livingroom/status", "online", 0s, true) == Names{"livingroom:online"});
  CHECK(n.feed("livingroom/sensor/temperature/state", "21.5", 0s, true) == Names{"livingroom:state"});
  CHECK(n.feed("livingroom/binary_sensor/motion/state", "OFF", 0s, true) == Names{"livingroom:state"});
  n.feed("livingroom/sensor/wifi_signal/state", "-67", 1s);
  n.feed("livingroom/text_sensor/version/state", "2023.12.5 Dec 18 2023, 10:12:01", 1s);
  n.feed("livingroom/light/desk_lamp/state", R"({"state":"ON","color_mode":"brightness","brightness":180})", 1s);
  CHECK(n.feed("livingroom/binary_sensor/motion/state", "ON", 2s) == Names{"livingroom:state"});
  CHECK(n.ids() == Names{"livingroom"});
  const Device& d = *n.registry.find("livingroom");
  CHECK(d.profile == "esphome");
  CHECK(d.state == R"({"temperature":21.5,"motion":"ON","wifi_signal":-67,)"
                   R"("version":"2023.12.5 Dec 18 2023, 10:12:01",)"
                   R"("desk_lamp":{"state":"ON","color_mode":"brightness","brightness":180}})");
  CHECK(d.previous_state.find(R"("motion":"OFF")") != std::string::npos);
  CHECK(d.bad_payloads == 0);
  // A sensor that has no reading yet publishes "nan": kept as text, not a bad payload.
  n.feed("livingroom/sensor/temperature/state", "nan", 3s);
  CHECK(d.state.starts_with(R"({"temperature":"nan")"));
  // Commands to the node are not messages from it.
  uint64_t before = d.messages;
  CHECK(n.feed("livingroom/switch/relay/command", "ON", 4s).empty());
  CHECK(d.messages == before);
}

TEST_CASE("Do ESPHome's birth and will set availability, and do other status topics stay out?", "[devices][esphome]") {
  Node n;
  CHECK(n.feed("livingroom/status", "online", 0s) == Names{"livingroom:online"});
  CHECK(n.feed("livingroom/status", "offline", 5s) == Names{"livingroom:offline"});  // the will
  const Device& d = *n.registry.find("livingroom");
  CHECK(d.reason == Reason::last_will);
  // A retained state replayed while it is down does not bring it back: its will is the authority.
  CHECK(n.feed("livingroom/sensor/temperature/state", "21.4", 6s, true) == Names{"livingroom:state"});
  CHECK_FALSE(d.online);
  CHECK(n.feed("livingroom/status", "online", 7s) == Names{"livingroom:online"});

  // Home Assistant's own birth message, and status topics with other payloads, are no node.
  CHECK(n.feed("homeassistant/status", "online", 8s).empty());
  CHECK(n.feed("garage/status", "open", 8s).empty());
  CHECK(n.feed("edgegw/status", R"({"state":"online"})", 8s).empty());
  CHECK(n.ids() == Names{"livingroom"});
}

TEST_CASE("Does ESPHome's Home Assistant discovery name the node's device instead of adding one per entity?",
          "[devices][esphome][homeassistant]") {
  SECTION("configs replayed before the node speaks") {
    Node n;
    n.discovery();
    CHECK(n.registry.size() == 0);  // configs describe; they create nothing
    n.feed("livingroom/status", "online", 0s, true);
    n.feed("livingroom/sensor/temperature/state", "21.5", 0s, true);
    n.feed("livingroom/switch/relay/state", "OFF", 0s, true);
    CHECK(n.ids() == Names{"livingroom"});
    const Device& d = *n.registry.find("livingroom");
    CHECK(d.profile == "esphome");
    CHECK(d.name == "Living Room");
    CHECK(d.model == "espressif esp32dev");
    CHECK(d.state == R"({"temperature":21.5,"relay":"OFF"})");
  }
  SECTION("configs after the node spoke") {
    Node n;
    n.feed("livingroom/status", "online");
    n.discovery();
    CHECK(n.ids() == Names{"livingroom"});
    CHECK(n.registry.find("livingroom")->name == "Living Room");
  }
  SECTION("a node whose discovery uses object_id_generator: device_name") {
    Node n;
    n.feed("homeassistant/sensor/livingroom/temperature/config",
           R"({"name":"Temperature","obj_id":"livingroom_temperature",)"
           R"("stat_t":"livingroom/sensor/temperature/state","avty_t":"livingroom/status",)"
           R"("dev":{"ids":"a4cf12ab34cd","name":"Living Room","mdl":"esp32dev","mf":"espressif"}})");
    n.feed("livingroom/sensor/temperature/state", "21.5", 1s);
    CHECK(n.ids() == Names{"livingroom"});
  }
  SECTION("with the esphome profile off, discovery alone makes no device of the node") {
    ProfileConfig cfg;
    cfg.profiles = {"homeassistant"};
    Node n(cfg);
    n.discovery();
    CHECK(n.registry.size() == 0);
    CHECK(n.feed("livingroom/debug", "[D][sensor:094]: 'Temperature': Sending state 21.50000", 1s).empty());
  }
}

TEST_CASE("Does a discovery config for a zigbee2mqtt device keep the names bridge/devices gave it?",
          "[devices][homeassistant][zigbee2mqtt]") {
  Node n;
  n.feed("zigbee2mqtt/bridge/devices",
         R"([{"friendly_name":"hallway_motion","type":"EndDevice","power_source":"Battery",)"
         R"("definition":{"model":"RTCGQ11LM","vendor":"Xiaomi","description":"Aqara motion sensor"}}])");
  n.feed("homeassistant/binary_sensor/0x00158d0001dc126a/occupancy/config",
         R"({"availability":[{"topic":"zigbee2mqtt/bridge/state","value_template":"{{ value_json.state }}"}],)"
         R"("device":{"identifiers":["zigbee2mqtt_0x00158d0001dc126a"],"manufacturer":"Xiaomi",)"
         R"("model":"Aqara human body movement and illuminance sensor, RTCGQ11LM","name":"hallway_motion"},)"
         R"("name":"Occupancy","object_id":"hallway_motion_occupancy","state_topic":"zigbee2mqtt/hallway_motion",)"
         R"("unique_id":"0x00158d0001dc126a_occupancy_zigbee2mqtt"})");
  n.feed("zigbee2mqtt/hallway_motion", R"({"occupancy":true,"battery":97})", 1s);
  CHECK(n.ids() == Names{"hallway_motion"});
  const Device& d = *n.registry.find("hallway_motion");
  CHECK(d.name == "Aqara motion sensor");
  CHECK(d.model == "Xiaomi RTCGQ11LM");
  CHECK(d.battery);
}
