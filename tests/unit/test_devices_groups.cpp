// zigbee2mqtt groups are not devices (issue 21): bridge/groups as zigbee2mqtt
// 1.x publishes it (retained). A group's state on <base>/<name> makes no
// device; one tracked before the list arrived is forgotten, in memory and in
// outbox.db.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "devices/registry.h"
#include "gateway/engine/device_tracker.h"
#include "gateway/store/sqlite_devices.h"
#include "gateway/store/sqlite_outbox.h"
#include "support/temp_dir.h"

using namespace edgegw;
using namespace edgegw::devices;
using namespace std::chrono_literals;

namespace {

TimePoint t0() { return from_unix_ms(1'790'000'000'000); }

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
