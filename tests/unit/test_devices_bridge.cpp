// zigbee2mqtt's retained bridge lists, as zigbee2mqtt 1.x publishes them
// (trimmed of `endpoints` and `exposes`), and what the device layer takes
// from them (issue 21):
// - bridge/devices: the power source. Battery-powered devices get 25 h of
//   silence, mains 10 min, as zigbee2mqtt's own availability check; `never`
//   and per-device overrides for any profile.
// - bridge/groups: a group's state on <base>/<name> makes no device; one
//   tracked before the list arrived is forgotten, in memory and in outbox.db.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "devices/registry.h"
#include "gateway/config/config.h"
#include "gateway/engine/device_tracker.h"
#include "gateway/store/sqlite_devices.h"
#include "gateway/store/sqlite_outbox.h"
#include "support/temp_dir.h"

using namespace edgegw;
using namespace edgegw::devices;
using namespace std::chrono_literals;

namespace {

TimePoint t0() { return from_unix_ms(1'790'000'000'000); }

const char* kBridgeDevices = R"json([
 {"ieee_address":"0x00124b0022ebac5c","type":"Coordinator","network_address":0,"supported":false,
  "disabled":false,"friendly_name":"Coordinator","interview_completed":true,"interviewing":false},
 {"ieee_address":"0x00158d0001dc126a","type":"EndDevice","network_address":21425,"supported":true,
  "disabled":false,"friendly_name":"hallway_motion","description":null,"power_source":"Battery",
  "model_id":"lumi.sensor_motion.aq2","manufacturer":"LUMI","date_code":"20170627",
  "definition":{"model":"RTCGQ11LM","vendor":"Xiaomi","description":"Aqara human body movement and illuminance sensor",
  "exposes":[],"options":[]},"interview_completed":true,"interviewing":false},
 {"ieee_address":"0x680ae2fffe5f3a1b","type":"Router","network_address":5566,"supported":true,
  "disabled":false,"friendly_name":"kitchen_plug","power_source":"Mains (single phase)","model_id":"TS011F",
  "manufacturer":"_TZ3000_w0qqde0g","definition":{"model":"TS011F_plug_1","vendor":"TuYa",
  "description":"Smart plug (with power monitoring)","exposes":[],"options":[]},
  "interview_completed":true,"interviewing":false}
])json";

struct Site {
  explicit Site(ProfileConfig cfg = {}) : registry(Profiles::compile(std::move(cfg))) {}
  void feed(std::string_view topic, std::string_view payload, Duration after = 0s) {
    registry.observe({topic, payload, false, t0() + after}, changes);
  }
  // The ids that went offline by silence at t0() + after.
  std::vector<std::string> silent_at(Duration after) {
    changes.clear();
    registry.check_silence(t0() + after, changes);
    std::vector<std::string> out;
    for (const auto& c : changes) out.push_back(c.device->id);
    return out;
  }
  Registry registry;
  std::vector<DeviceChange> changes;
};

using Ids = std::vector<std::string>;

const char* kBridgeGroups = R"json([
 {"id":1,"friendly_name":"living_room_lights","description":null,
  "scenes":[{"id":1,"name":"evening"}],
  "members":[{"ieee_address":"0x680ae2fffe5f3a1b","endpoint":1},{"ieee_address":"0x0017880104e45517","endpoint":11}]},
 {"id":2,"friendly_name":"upstairs/all_blinds","description":"every blind","scenes":[],"members":[]}
])json";

std::vector<std::string> ids(const Registry& r) {
  std::vector<std::string> out;
  for (const Device& d : r.devices()) out.push_back(d.id);
  return out;
}

}  // namespace

TEST_CASE("Does a battery-powered zigbee2mqtt sensor get 25 h of silence and a mains plug 10 min?",
          "[devices][silence][zigbee2mqtt]") {
  Site s;
  s.feed("zigbee2mqtt/bridge/devices", kBridgeDevices);  // retained: arrives at subscribe
  s.feed("zigbee2mqtt/hallway_motion", R"({"occupancy":false,"battery":97,"illuminance":12})");
  s.feed("zigbee2mqtt/kitchen_plug", R"({"state":"ON","power":3.2})");
  CHECK(s.registry.find("hallway_motion")->battery);
  CHECK_FALSE(s.registry.find("kitchen_plug")->battery);
  CHECK(s.silent_at(10min) == Ids{"kitchen_plug"});
  CHECK(s.silent_at(24h).empty());
  CHECK(s.silent_at(25h) == Ids{"hallway_motion"});
}

TEST_CASE("Does a sensor heard before bridge/devices get its battery limit once the list arrives?",
          "[devices][silence][zigbee2mqtt]") {
  Site s;
  s.feed("zigbee2mqtt/hallway_motion", R"({"occupancy":true})");
  CHECK(s.registry.find("hallway_motion")->offline_after == 10min);
  s.feed("zigbee2mqtt/bridge/devices", kBridgeDevices, 1min);
  CHECK(s.registry.find("hallway_motion")->offline_after == 25h);
  CHECK(s.silent_at(10min).empty());  // the deadline armed for 10 min is checked and moved on
  CHECK(s.silent_at(25h) == Ids{"hallway_motion"});
}

TEST_CASE("Do never, 0 and per-device overrides of any profile turn silence off or change it?", "[devices][silence]") {
  ProfileConfig cfg;
  cfg.offline_after = Duration::zero();  // never
  cfg.offline_after_battery = 2h;
  cfg.overrides = {{"hallway_motion", Duration::zero()}, {"freezer", 30min}};
  Site s(cfg);
  s.feed("zigbee2mqtt/bridge/devices", kBridgeDevices);
  s.feed("zigbee2mqtt/hallway_motion", R"({"occupancy":false})");         // battery, but overridden: never
  s.feed("zigbee2mqtt/kitchen_plug", R"({"state":"ON"})");                // mains: never
  s.feed("tele/freezer/SENSOR", R"({"DS18B20":{"Temperature":-18.5}})");  // Tasmota, overridden: 30 min
  CHECK(s.registry.find("freezer")->offline_after == 30min);
  CHECK(s.silent_at(30min) == Ids{"freezer"});
  CHECK(s.silent_at(1000h).empty());
}

TEST_CASE("Does the config read offline_after never, offline_after_battery and overrides?", "[devices][config]") {
  testing::TempDir dir;
  REQUIRE(dir.ok());
  const std::string path = dir.file("gateway.yaml");
  std::ofstream(path) << "gateway: {state_dir: .}\n"
                         "devices:\n"
                         "  offline_after: never\n"
                         "  offline_after_battery: 2d\n"
                         "  overrides:\n"
                         "    hallway_motion: {offline_after: 0}\n"
                         "    shellyplus1pm-a8032ab12345: {offline_after: 1h}\n";
  Diagnostics diags;
  auto cfg = gateway::load_config(path, diags);
  REQUIRE(cfg);
  CHECK(cfg->devices.offline_after == Duration::zero());
  CHECK(cfg->devices.offline_after_battery == 48h);
  CHECK(cfg->devices.overrides ==
        std::map<std::string, Duration>{{"hallway_motion", Duration::zero()}, {"shellyplus1pm-a8032ab12345", 1h}});
  auto profiles = Profiles::compile(gateway::profile_config(*cfg));
  CHECK(profiles.offline_after_for("shellyplus1pm-a8032ab12345") == 1h);
  CHECK(profiles.offline_after_for("hallway_motion", /*battery=*/true) == Duration::zero());
  CHECK(profiles.offline_after_for("anything", /*battery=*/true) == 48h);
  CHECK(profiles.offline_after_for("anything") == Duration::zero());
}

TEST_CASE("Is a zigbee2mqtt group's state no device, once bridge/groups named it?", "[devices][zigbee2mqtt][groups]") {
  Registry r(Profiles::compile({}));
  std::vector<DeviceChange> out;
  r.observe({"zigbee2mqtt/bridge/groups", kBridgeGroups, true, t0()}, out);
  CHECK(r.observe({"zigbee2mqtt/living_room_lights", R"({"state":"ON","brightness":180})", false, t0()}, out) ==
        nullptr);
  CHECK(r.observe({"zigbee2mqtt/upstairs/all_blinds", R"({"position":40})", false, t0()}, out) == nullptr);
  CHECK(r.observe({"zigbee2mqtt/kitchen_plug", R"({"state":"ON"})", false, t0()}, out) != nullptr);
  CHECK(ids(r) == std::vector<std::string>{"kitchen_plug"});
  CHECK(r.size() == 1);
  out.clear();
  r.check_silence(t0() + 48h, out);
  CHECK(out.size() == 1);  // only the plug
}

TEST_CASE("Is a group tracked before bridge/groups arrived forgotten, and its row deleted?",
          "[devices][zigbee2mqtt][groups]") {
  testing::TempDir dir;
  REQUIRE(dir.ok());
  auto outbox = gateway::SqliteOutbox::open(dir.file("outbox.db"), {});
  REQUIRE(outbox.ok());
  auto store = gateway::SqliteDevices::open((*outbox)->db(), /*create=*/true);
  REQUIRE(store.ok());
  gateway::DeviceTracker tracker(Profiles::compile({}), store->get());
  auto batch = [&](std::string topic, std::string payload) {
    Event e;
    e.topic = std::move(topic);
    e.payload = std::move(payload);
    e.received_at = t0();
    REQUIRE((*outbox)->begin().ok());
    tracker.observe(e);
    REQUIRE(tracker.save_dirty(0).ok());
    REQUIRE((*outbox)->commit().ok());
    tracker.committed();
  };
  batch("zigbee2mqtt/living_room_lights", R"({"state":"ON"})");
  batch("zigbee2mqtt/kitchen_plug", R"({"state":"ON"})");
  REQUIRE(ids(tracker.registry()) == std::vector<std::string>{"living_room_lights", "kitchen_plug"});

  batch("zigbee2mqtt/bridge/groups", kBridgeGroups);
  CHECK(ids(tracker.registry()) == std::vector<std::string>{"kitchen_plug"});
  CHECK(tracker.registry().find("living_room_lights") == nullptr);
  std::vector<Device> stored;
  REQUIRE((*store)->load(stored).ok());
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].id == "kitchen_plug");
  tracker.check_silence(t0() + 48h);  // the forgotten group never goes offline
  std::vector<std::string> offline;
  tracker.fire(nullptr, t0() + 48h,
               [&](const Event&, std::string_view id, std::string_view) { offline.emplace_back(id); });
  CHECK(offline == std::vector<std::string>{"kitchen_plug"});
  batch("zigbee2mqtt/living_room_lights", R"({"state":"OFF"})");
  CHECK(ids(tracker.registry()) == std::vector<std::string>{"kitchen_plug"});
}
