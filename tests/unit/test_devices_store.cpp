// The device registry in outbox.db: written in the batch transaction,
// remembered across a restart, read by `edgegw devices`.
#include <catch2/catch.hpp>

#include <sstream>

#include "devices/registry.h"
#include "gateway/engine/device_tracker.h"
#include "gateway/cli/devices_cli.h"
#include "gateway/store/sqlite_devices.h"
#include "gateway/store/sqlite_outbox.h"
#include "support/temp_dir.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace std::chrono_literals;

namespace {

TimePoint t0() { return from_unix_ms(1'790'000'000'000); }

Event local_event(std::string topic, std::string payload, Duration after) {
  Event e;
  e.topic = std::move(topic);
  e.payload = std::move(payload);
  e.received_at = t0() + after;
  return e;
}

// One daemon run: the outbox, the devices table, the tracker.
struct Run {
  explicit Run(const std::string& path) {
    auto ob = SqliteOutbox::open(path, {});
    REQUIRE(ob.ok());
    outbox = std::move(*ob);
    auto st = SqliteDevices::open(outbox->db(), /*create=*/true);
    REQUIRE(st.ok());
    store = std::move(*st);
    tracker = std::make_unique<DeviceTracker>(devices::Profiles::compile({}), store.get());
  }
  // Observes the events and commits them as one batch.
  void batch(std::vector<Event> events) {
    REQUIRE(outbox->begin().ok());
    for (auto& e : events) tracker->observe(e);
    REQUIRE(tracker->save_dirty(0).ok());
    REQUIRE(outbox->commit().ok());
    tracker->committed();
  }
  std::unique_ptr<SqliteOutbox> outbox;
  std::unique_ptr<SqliteDevices> store;
  std::unique_ptr<DeviceTracker> tracker;
};

}  // namespace

TEST_CASE("Does a restart remember each device's state, counts and availability?", "[devices][store]") {
  testing::TempDir dir;
  REQUIRE(dir.ok());
  const std::string path = dir.file("outbox.db");
  {
    Run run(path);
    run.batch({local_event("zigbee2mqtt/hallway_motion", R"({"battery":97,"occupancy":true})", 0s),
               local_event("tele/tasmota_1A2B3C/LWT", "Online", 1s),
               local_event("zigbee2mqtt/hallway_motion", R"({"occupancy":false})", 2s)});
    run.batch({local_event("tele/tasmota_1A2B3C/LWT", "Offline", 3s)});
    CHECK_FALSE(run.tracker->has_dirty());
  }
  Run again(path);
  auto loaded = again.tracker->load(t0() + 1h);
  REQUIRE(loaded.ok());
  CHECK(*loaded == 2);
  const devices::Device* d = again.tracker->registry().find("hallway_motion");
  REQUIRE(d != nullptr);
  CHECK(d->profile == "zigbee2mqtt");
  CHECK(d->state == R"({"battery":97,"occupancy":false})");
  CHECK(d->previous_state == R"({"battery":97,"occupancy":true})");
  CHECK(d->messages == 2);
  CHECK(d->online);
  CHECK(d->last_seen == t0() + 2s);
  const devices::Device* t = again.tracker->registry().find("tasmota_1A2B3C");
  REQUIRE(t != nullptr);
  CHECK_FALSE(t->online);
  CHECK(t->reason == devices::Reason::last_will);

  // The restored device merges on, and comes back once.
  Event e = local_event("tele/tasmota_1A2B3C/LWT", "Online", 2h);
  again.tracker->observe(e);
  CHECK(e.device == t);
  std::vector<std::string> fired;
  again.tracker->fire(&e, e.received_at, [&](const Event&, std::string_view id, std::string_view ev) {
    fired.push_back(std::string(id) + ":" + std::string(ev));
  });
  CHECK(fired == std::vector<std::string>{"tasmota_1A2B3C:online"});
}

TEST_CASE("Does a rolled-back batch leave the stored devices as they were?", "[devices][store]") {
  testing::TempDir dir;
  REQUIRE(dir.ok());
  const std::string path = dir.file("outbox.db");
  Run run(path);
  run.batch({local_event("zigbee2mqtt/door", R"({"contact":true})", 0s)});
  REQUIRE(run.outbox->begin().ok());
  Event e = local_event("zigbee2mqtt/door", R"({"contact":false})", 1s);
  run.tracker->observe(e);
  REQUIRE(run.tracker->save_dirty(0).ok());
  run.outbox->rollback();
  auto list = read_devices(path);
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].state == R"({"contact":true})");
}

TEST_CASE("Does edgegw devices print the registry as a table and as JSON?", "[devices][cli]") {
  testing::TempDir dir;
  REQUIRE(dir.ok());
  const std::string path = dir.file("outbox.db");
  {
    Run run(path);
    run.batch({local_event("zigbee2mqtt/hallway_motion", R"({"occupancy":true})", 0s),
               local_event("zigbee2mqtt/hallway_motion", "not json", 1s)});
  }
  std::ostringstream out, err;
  REQUIRE(devices_command(path, out, err, to_unix_ms(t0() + 90s), /*json=*/false) == 0);
  CHECK(out.str().find("hallway_motion") != std::string::npos);
  CHECK(out.str().find("yes (message)") != std::string::npos);
  CHECK(out.str().find("1m ago") != std::string::npos);
  CHECK(out.str().find("2 (1 bad)") != std::string::npos);
  std::ostringstream js;
  REQUIRE(devices_command(path, js, err, 0, /*json=*/true) == 0);
  CHECK(
      js.str() ==
      R"({"devices":[{"bad_payloads":1,"id":"hallway_motion","last_seen":"2026-09-21T14:13:21Z",)"
      R"("last_seen_ms":1790000001000,"messages":2,"model":"","name":"","online":true,"profile":"zigbee2mqtt","reason":"message",)"
      R"("state":{"occupancy":true}}]})"
      "\n");
}

TEST_CASE("Does edgegw devices fail clearly without a database, and list none without the table?", "[devices][cli]") {
  testing::TempDir dir;
  REQUIRE(dir.ok());
  std::ostringstream out, err;
  CHECK(devices_command(dir.file("missing.db"), out, err, 0, false) == 1);
  CHECK(err.str().find("edgegw devices:") == 0);
  const std::string path = dir.file("outbox.db");
  { REQUIRE(SqliteOutbox::open(path, {}).ok()); }
  auto list = read_devices(path);
  REQUIRE(list.ok());
  CHECK(list->empty());
}
