// Device profiles and the registry: payload samples as zigbee2mqtt, Tasmota,
// Shelly Gen2 and Home Assistant document them.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "devices/registry.h"

using namespace edgegw;
using namespace edgegw::devices;
using namespace std::chrono_literals;

namespace {

TimePoint t0() { return from_unix_ms(1'790'000'000'000); }

struct Fixture {
  explicit Fixture(ProfileConfig cfg = {}) : registry(Profiles::compile(std::move(cfg))) {}

  // Feeds one message at t0() + `after`; returns the changes as "id:event" strings.
  std::vector<std::string> feed(std::string_view topic, std::string_view payload, Duration after = 0s,
                                bool retained = false) {
    changes.clear();
    last = registry.observe({topic, payload, retained, t0() + after}, changes);
    return names();
  }
  std::vector<std::string> silence(Duration after) {
    changes.clear();
    registry.check_silence(t0() + after, changes);
    return names();
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& c : changes) out.push_back(c.device->id + ":" + std::string(change_name(c.change)));
    return out;
  }
  const Device& device(std::string_view id) const {
    const Device* d = registry.find(id);
    REQUIRE(d != nullptr);
    return *d;
  }

  Registry registry;
  std::vector<DeviceChange> changes;
  Device* last = nullptr;
};

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("Which topics does each profile claim, and as what?", "[devices][profiles]") {
  auto p = Profiles::compile({});
  auto kind = [&p](std::string_view topic) -> std::string {
    auto m = p.match(topic);
    if (!m) return "none";
    static const char* kKinds[] = {"state", "availability", "discovery", "meta", "command"};
    return std::string(m->profile) + " " + kKinds[static_cast<int>(m->kind)] + " " + m->id;
  };
  CHECK(kind("zigbee2mqtt/hallway_motion") == "zigbee2mqtt state hallway_motion");
  CHECK(kind("zigbee2mqtt/living/lamp") == "zigbee2mqtt state living/lamp");
  CHECK(kind("zigbee2mqtt/living/lamp/availability") == "zigbee2mqtt availability living/lamp");
  CHECK(kind("zigbee2mqtt/hallway_motion/set") == "zigbee2mqtt command hallway_motion");
  CHECK(kind("zigbee2mqtt/bridge/devices") == "zigbee2mqtt discovery ");
  CHECK(kind("zigbee2mqtt/bridge/state") == "zigbee2mqtt meta ");
  CHECK(kind("tele/tasmota_1A2B3C/SENSOR") == "tasmota state tasmota_1A2B3C");
  CHECK(kind("tele/tasmota_1A2B3C/LWT") == "tasmota availability tasmota_1A2B3C");
  CHECK(kind("tele/tasmota_1A2B3C/INFO1") == "tasmota meta tasmota_1A2B3C");
  CHECK(kind("stat/tasmota_1A2B3C/POWER") == "tasmota state tasmota_1A2B3C");
  CHECK(kind("cmnd/tasmota_1A2B3C/POWER") == "tasmota command tasmota_1A2B3C");
  CHECK(kind("shellyplus1-a8032ab12345/online") == "shelly availability shellyplus1-a8032ab12345");
  CHECK(kind("shellyplus1-a8032ab12345/status/switch:0") == "shelly state shellyplus1-a8032ab12345");
  CHECK(kind("kitchen/online") == "none");  // not a Shelly default prefix
  CHECK(kind("homeassistant/sensor/freezer_temp/config") == "homeassistant discovery freezer_temp");
  CHECK(kind("homeassistant/sensor/node1/freezer_temp/config") == "homeassistant discovery freezer_temp");
  CHECK(kind("sites/a/temp") == "none");
}

TEST_CASE("Are base topics and profile lists configurable?", "[devices][profiles]") {
  ProfileConfig cfg;
  cfg.profiles = {"zigbee2mqtt", "tasmota"};
  cfg.zigbee2mqtt_base_topic = "z2m";
  cfg.tasmota_full_topic = "home/%prefix%/%topic%/";
  auto p = Profiles::compile(cfg);
  CHECK(p.match("z2m/door")->id == "door");
  CHECK_FALSE(p.match("zigbee2mqtt/door"));
  CHECK(p.match("home/tele/plug1/STATE")->id == "plug1");
  CHECK_FALSE(p.match("tele/plug1/STATE"));
  CHECK_FALSE(p.match("shellyplus1-a8032ab12345/online"));
  CHECK(p.filters() == std::vector<std::string>{"z2m/#", "home/tele/+/+", "home/stat/+/+"});
}

TEST_CASE("Does a zigbee2mqtt device appear with its first message and merge partial states?",
          "[devices][zigbee2mqtt]") {
  Fixture f;
  CHECK(f.feed("zigbee2mqtt/hallway_motion", R"({"battery":97,"occupancy":true,"linkquality":120})") ==
        Names{"hallway_motion:online", "hallway_motion:state"});
  CHECK(f.feed("zigbee2mqtt/hallway_motion", R"({"occupancy":false,"illuminance":31})", 5s) ==
        Names{"hallway_motion:state"});
  const Device& d = f.device("hallway_motion");
  CHECK(d.profile == "zigbee2mqtt");
  CHECK(d.state == R"({"battery":97,"occupancy":false,"linkquality":120,"illuminance":31})");
  CHECK(d.previous_state == R"({"battery":97,"occupancy":true,"linkquality":120})");
  CHECK(d.messages == 2);
  CHECK(d.last_seen == t0() + 5s);
  CHECK(d.online);
  CHECK(d.reason == Reason::message);
}

TEST_CASE("Does zigbee2mqtt availability work in both its JSON and legacy forms?", "[devices][zigbee2mqtt]") {
  Fixture f;
  CHECK(f.feed("zigbee2mqtt/plug/availability", R"({"state":"online"})") == Names{"plug:online"});
  CHECK(f.device("plug").reason == Reason::availability);
  CHECK(f.feed("zigbee2mqtt/plug/availability", R"({"state":"offline"})", 1s) == Names{"plug:offline"});
  CHECK(f.feed("zigbee2mqtt/plug", R"({"state":"ON"})", 2s) == Names{"plug:state"});  // still offline
  CHECK_FALSE(f.device("plug").online);
  CHECK(f.feed("zigbee2mqtt/plug/availability", "online", 3s) == Names{"plug:online"});
  CHECK(f.feed("zigbee2mqtt/plug/availability", "online", 4s).empty());  // no repeat
  CHECK(f.feed("zigbee2mqtt/plug/availability", "offline", 5s) == Names{"plug:offline"});
  CHECK(f.feed("zigbee2mqtt/plug/availability", "maybe", 6s).empty());
  CHECK(f.device("plug").bad_payloads == 1);
}

TEST_CASE("Does bridge/devices add names and models without creating devices?", "[devices][zigbee2mqtt]") {
  Fixture f;
  f.feed("zigbee2mqtt/bridge/devices",
         R"([{"ieee_address":"0x00124b0022aa","type":"Coordinator","friendly_name":"Coordinator"},
             {"ieee_address":"0x00158d0001","type":"EndDevice","friendly_name":"hallway_motion",
              "model_id":"lumi.sensor_motion.aq2",
              "definition":{"model":"RTCGQ11LM","vendor":"Aqara","description":"Motion sensor"}}])");
  CHECK(f.registry.size() == 0);
  f.feed("zigbee2mqtt/hallway_motion", R"({"occupancy":true})");
  CHECK(f.device("hallway_motion").model == "Aqara RTCGQ11LM");
  CHECK(f.device("hallway_motion").name == "Motion sensor");
}

TEST_CASE("Does a non-JSON zigbee2mqtt payload count as bad and leave the state alone?", "[devices][zigbee2mqtt]") {
  Fixture f;
  f.feed("zigbee2mqtt/door", R"({"contact":true})");
  CHECK(f.feed("zigbee2mqtt/door", "garbage", 1s).empty());
  CHECK(f.last != nullptr);  // still the device's message (and routed as raw by the caller)
  CHECK(f.device("door").bad_payloads == 1);
  CHECK(f.device("door").messages == 2);
  CHECK(f.device("door").state == R"({"contact":true})");
}

TEST_CASE("Does Tasmota telemetry merge and its LWT set availability?", "[devices][tasmota]") {
  Fixture f;
  CHECK(f.feed("tele/tasmota_1A2B3C/LWT", "Online", 0s, /*retained=*/true) == Names{"tasmota_1A2B3C:online"});
  CHECK(f.device("tasmota_1A2B3C").reason == Reason::last_will);
  f.feed(
      "tele/tasmota_1A2B3C/SENSOR",
      R"({"Time":"2026-11-22T07:00:00","AM2301":{"Temperature":21.3,"Humidity":45.2,"DewPoint":8.9},"TempUnit":"C"})",
      1s);
  f.feed("tele/tasmota_1A2B3C/STATE", R"({"Time":"2026-11-22T07:00:05","Uptime":"0T01:02:03","POWER":"OFF"})", 2s);
  CHECK(f.feed("stat/tasmota_1A2B3C/POWER", "ON", 3s) == Names{"tasmota_1A2B3C:state"});
  CHECK(f.device("tasmota_1A2B3C").state ==
        R"({"Time":"2026-11-22T07:00:05","AM2301":{"Temperature":21.3,"Humidity":45.2,"DewPoint":8.9},)"
        R"("TempUnit":"C","Uptime":"0T01:02:03","POWER":"ON"})");
  CHECK(f.feed("cmnd/tasmota_1A2B3C/POWER", "TOGGLE", 4s).empty());
  CHECK(f.device("tasmota_1A2B3C").messages == 4);  // the command is not from it
  CHECK(f.feed("tele/tasmota_1A2B3C/LWT", "Offline", 5s) == Names{"tasmota_1A2B3C:offline"});
  CHECK(f.device("tasmota_1A2B3C").reason == Reason::last_will);
}

TEST_CASE("Does a Shelly Gen2 device merge status per component and NotifyStatus deltas?", "[devices][shelly]") {
  Fixture f;
  const std::string id = "shellyplus1-a8032ab12345";
  CHECK(f.feed(id + "/online", "true") == Names{id + ":online"});
  f.feed(id + "/status/switch:0", R"({"id":0,"source":"init","output":false,"temperature":{"tC":45.1,"tF":113.2}})",
         1s);
  f.feed(id + "/status/sys", R"({"mac":"A8032AB12345","restart_required":false,"uptime":120})", 2s);
  f.feed(id + "/events/rpc",
         R"({"src":"shellyplus1-a8032ab12345","dst":"shellyplus1-a8032ab12345/events","method":"NotifyStatus",)"
         R"("params":{"ts":1790000003.5,"switch:0":{"id":0,"output":true,"source":"button"}}})",
         3s);
  CHECK(f.device(id).state ==
        R"({"switch:0":{"id":0,"source":"button","output":true,"temperature":{"tC":45.1,"tF":113.2}},)"
        R"("sys":{"mac":"A8032AB12345","restart_required":false,"uptime":120}})");
  CHECK(
      f.feed(
           id + "/events/rpc",
           R"({"src":"x","method":"NotifyEvent","params":{"ts":1.0,"events":[{"component":"input:0","event":"single_push"}]}})",
           4s)
          .empty());
  CHECK(f.feed(id + "/online", "false", 5s) == Names{id + ":offline"});
  CHECK(f.device(id).reason == Reason::last_will);
}

TEST_CASE("Does a Home Assistant discovery config announce state and availability topics?",
          "[devices][homeassistant]") {
  Fixture f;
  f.feed("homeassistant/sensor/garage/freezer_temp/config",
         R"({"~":"garage/freezer","name":"Freezer temperature","stat_t":"~/temp","avty_t":"~/status",)"
         R"("pl_avail":"up","pl_not_avail":"down","unit_of_meas":"°C",)"
         R"("dev":{"ids":["freezer1"],"name":"Freezer","mf":"Acme","mdl":"F-1"}})");
  CHECK(f.registry.size() == 0);  // known from its first own message
  CHECK(f.feed("garage/freezer/temp", "-18.5", 1s) == Names{"freezer_temp:online", "freezer_temp:state"});
  const Device& d = f.device("freezer_temp");
  CHECK(d.profile == "homeassistant");
  CHECK(d.name == "Freezer temperature");
  CHECK(d.model == "Acme F-1");
  CHECK(d.state == "-18.5");
  CHECK(f.feed("garage/freezer/status", "down", 2s) == Names{"freezer_temp:offline"});
  CHECK(d.reason == Reason::availability);
  CHECK(f.feed("garage/freezer/status", "up", 3s) == Names{"freezer_temp:online"});
}

TEST_CASE("Does a discovery config's object_id and availability list win?", "[devices][homeassistant]") {
  Fixture f;
  f.feed("homeassistant/binary_sensor/0x00158d0001/occupancy/config",
         R"({"object_id":"hallway_presence","state_topic":"sensors/hallway",)"
         R"("availability":[{"topic":"sensors/hallway/avail"}]})");
  f.feed("sensors/hallway/avail", "online");
  CHECK(f.device("hallway_presence").online);
  f.feed("sensors/hallway", R"({"occupancy":true})", 1s);
  CHECK(f.device("hallway_presence").state == R"({"occupancy":true})");
  f.feed("homeassistant/binary_sensor/0x00158d0001/occupancy/config", "", 2s);  // removed
  CHECK(f.feed("sensors/hallway", R"({"occupancy":false})", 3s).empty());
  CHECK(f.last == nullptr);
}

TEST_CASE("Do static devices use their own topics, payloads and offline_after?", "[devices][static]") {
  ProfileConfig cfg;
  StaticSpec spec;
  spec.id = "boiler";
  spec.topic = "plant/boiler/+";
  spec.availability_topic = "plant/boiler/conn";
  spec.payload_online = "1";
  spec.payload_offline = "0";
  spec.offline_after = 2s;
  cfg.static_devices.push_back(spec);
  Fixture f(cfg);
  CHECK(f.feed("plant/boiler/conn", "1") == Names{"boiler:online"});
  CHECK(f.feed("plant/boiler/temp", R"({"flow":61})", 1s) == Names{"boiler:state"});
  CHECK(f.device("boiler").profile == "static");
  CHECK(f.silence(2900ms).empty());
  CHECK(f.silence(3s) == Names{"boiler:offline"});
  CHECK(f.device("boiler").reason == Reason::silence);
  CHECK(f.feed("plant/boiler/conn", "0", 4s).empty());  // already offline
  CHECK(f.device("boiler").reason == Reason::availability);
}

TEST_CASE("Does a silent device go offline once and come back online once?", "[devices][silence]") {
  ProfileConfig cfg;
  cfg.offline_after = 10min;
  Fixture f(cfg);
  f.feed("zigbee2mqtt/freezer", R"({"temperature":-18})");
  f.feed("zigbee2mqtt/kitchen", R"({"temperature":21})", 5min);
  CHECK(f.registry.next_silence_due() == t0() + 10min);
  CHECK(f.silence(9min).empty());
  CHECK(f.silence(10min) == Names{"freezer:offline"});
  CHECK(f.silence(11min).empty());  // reported once
  CHECK(f.registry.next_silence_due() == t0() + 15min);
  CHECK(f.feed("zigbee2mqtt/freezer", R"({"temperature":-17})", 12min) == Names{"freezer:online", "freezer:state"});
  CHECK(f.feed("zigbee2mqtt/freezer", R"({"temperature":-17})", 13min) == Names{"freezer:state"});
  CHECK(f.silence(15min) == Names{"kitchen:offline"});
}

TEST_CASE("Does a retained first message (a replay) leave a device's liveness unknown?", "[devices][silence]") {
  Fixture f;
  CHECK(f.feed("zigbee2mqtt/old_sensor", R"({"temperature":5})", 0s, /*retained=*/true) == Names{"old_sensor:state"});
  CHECK_FALSE(f.device("old_sensor").online);
  CHECK(f.device("old_sensor").reason == Reason::unknown);
  CHECK(f.silence(10min).empty());  // never seen online: no offline event
  CHECK(f.device("old_sensor").reason == Reason::silence);
}

TEST_CASE("Does a device that publishes with retain still count as alive after its first message?",
          "[devices][silence]") {
  Fixture f;
  f.feed("zigbee2mqtt/retainer", R"({"temperature":5})", 0s, /*retained=*/true);
  CHECK(f.feed("zigbee2mqtt/retainer", R"({"temperature":6})", 1min, /*retained=*/true) ==
        Names{"retainer:online", "retainer:state"});
  CHECK(f.silence(10min).empty());
  CHECK(f.silence(11min) == Names{"retainer:offline"});
}

TEST_CASE("Does a restored device count silence from the start, not from its last message?", "[devices][silence]") {
  Fixture f;
  Device d;
  d.id = "freezer";
  std::string profile = "zigbee2mqtt";
  d.profile = profile;
  d.online = true;
  d.reason = Reason::message;
  d.last_seen = t0() - 1h;
  d.state = R"({"temperature":-18})";
  f.registry.restore(std::move(d), t0());
  profile = "overwritten";  // the registry interned its own copy
  CHECK(f.device("freezer").profile == "zigbee2mqtt");
  CHECK(f.silence(9min).empty());
  CHECK(f.silence(10min) == Names{"freezer:offline"});
}

TEST_CASE("Does the dirty list name each changed device once?", "[devices][registry]") {
  Fixture f;
  f.feed("zigbee2mqtt/a", "{}");
  f.feed("zigbee2mqtt/b", "{}");
  f.feed("zigbee2mqtt/a", R"({"x":1})");
  REQUIRE(f.registry.dirty().size() == 2);
  CHECK(f.registry.dirty()[0]->id == "a");
  f.registry.clear_dirty();
  CHECK(f.registry.dirty().empty());
  f.feed("zigbee2mqtt/b", "{}");
  CHECK(f.registry.dirty().size() == 1);
}
