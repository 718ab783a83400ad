// DiskBudget: when intake is held, when a batch may be committed, when a
// look (statvfs) is due. Pure logic, no disk (gateway/disk/disk_budget.h).
#include <catch2/catch.hpp>

#include "gateway/disk/disk_budget.h"
#include "gateway/disk/disk_guard.h"
#include "gateway/observe/health.h"

using edgegw::gateway::DiskBudget;
using edgegw::gateway::DiskSizing;

namespace {
constexpr uint64_t KiB = 1024, MiB = 1024 * 1024;
}  // namespace

TEST_CASE("Does the budget hold intake under journal_max of usable space, and resume only above it plus a quarter?",
          "[disk]") {
  DiskBudget b({.hold_below = 1 * MiB, .reserve = 512 * KiB});
  b.observe(3 * MiB, 512 * KiB, 0);
  CHECK_FALSE(b.update_hold());
  CHECK_FALSE(b.hold_intake());
  b.wrote(2 * MiB + 1);  // usable 1 MiB - 1
  CHECK(b.update_hold());
  CHECK(b.hold_intake());
  b.observe(1 * MiB + 128 * KiB, 512 * KiB, 0);  // above the line, under the hysteresis
  CHECK_FALSE(b.update_hold());
  CHECK(b.hold_intake());
  b.observe(1 * MiB + 256 * KiB, 512 * KiB, 0);
  CHECK(b.update_hold());
  CHECK_FALSE(b.hold_intake());
}

TEST_CASE("Does releasing the reserve leave the usable space as it was, so intake never spends it?", "[disk]") {
  DiskBudget b({.hold_below = 1 * MiB, .reserve = 512 * KiB});
  b.observe(400 * KiB, 512 * KiB, 0);
  const uint64_t before = b.usable();
  b.observe(400 * KiB + 512 * KiB, 0, 0);  // released: the file system has it, the reserve is owed it
  CHECK(b.debt() == 512 * KiB);
  CHECK(b.usable() == before);
  b.update_hold();
  CHECK(b.hold_intake());
  CHECK_FALSE(b.can_restore_reserve());  // not before there is room beyond the line's half
  b.observe(512 * KiB + 600 * KiB, 0, 0);
  CHECK(b.can_restore_reserve());
}

TEST_CASE("Is a batch committed only when usable space plus SQLite's free pages covers it?", "[disk]") {
  DiskBudget b({.hold_below = 1 * MiB, .reserve = 0});
  const uint64_t batch = 100 * KiB;
  const uint64_t journal_keeps = 512 * KiB;  // half the hold line
  b.observe(DiskBudget::commit_estimate(batch) + journal_keeps - 1, 0, 0);
  CHECK_FALSE(b.can_commit(batch));
  b.observe(DiskBudget::commit_estimate(batch) + journal_keeps - 1, 0, 1);  // one byte free inside outbox.db
  CHECK(b.can_commit(batch));
  SECTION("room is what fits, halved after each SQLITE_FULL in a row, until a batch lands") {
    b.observe(DiskBudget::commit_estimate(batch) + journal_keeps, 0, 0);
    CHECK(b.room() == batch);
    b.commit_failed_full();
    CHECK(b.room() == batch / 2);
    CHECK_FALSE(b.can_commit(batch));
    b.commit_failed_full();
    CHECK(b.room() == batch / 4);
    b.commit_succeeded();
    CHECK(b.room() == batch);
  }
  SECTION("no room at all under the fixed part of the estimate") {
    b.observe(DiskBudget::commit_estimate(0) + journal_keeps, 0, 0);
    CHECK(b.room() == 0);
  }
}

TEST_CASE("Does a burst of any size get a look before it crosses the hold line?", "[disk]") {
  const uint64_t line = 1 * MiB;
  for (uint64_t chunk :
       {uint64_t{1}, 4 * KiB, 64 * KiB, 256 * KiB, 512 * KiB}) {  // a batch is at most line / 2 (DiskSizing)
    DiskBudget b({.hold_below = line, .reserve = 0});
    uint64_t disk_free = 64 * MiB;  // the real file system
    b.observe(disk_free, 0, 0);
    uint64_t looks = 0;
    // Write `chunk` at a time, looking whenever the budget asks, until held.
    while (!b.hold_intake() && disk_free > chunk) {
      if (b.need_look(chunk)) {
        b.observe(disk_free, 0, 0);
        ++looks;
        b.update_hold();
        if (b.hold_intake()) break;
      }
      disk_free -= chunk;
      b.wrote(chunk);
      b.update_hold();
    }
    INFO("chunk " << chunk << " looks " << looks);
    CHECK(b.hold_intake());
    // Held with at least half the line still free: the journal's headroom.
    CHECK(disk_free >= line / 2);
    if (chunk <= 4 * KiB) CHECK(looks < 40);  // far from the line no look is paid
  }
}

TEST_CASE("Does a look come due when nothing was observed yet, and not for nothing written?", "[disk]") {
  DiskBudget b({.hold_below = 1 * MiB, .reserve = 0});
  CHECK(b.need_look(0));
  b.observe(10 * MiB, 0, 0);
  CHECK_FALSE(b.need_look(0));
  CHECK(b.need_look(5 * MiB));
}

TEST_CASE("Are the WAL, segments and batches small on a small journal_max and as before on the default?", "[disk]") {
  auto small = DiskSizing::for_journal_max(1 * MiB);
  CHECK(small.reserve_bytes == 512 * KiB);
  CHECK(small.segment_bytes == 256 * KiB);
  CHECK(small.batch_bytes == 256 * KiB);
  CHECK(small.wal_autocheckpoint_pages == 32);
  CHECK(small.journal_size_limit == 128 * KiB);
  auto def = DiskSizing::for_journal_max(64 * MiB);
  CHECK(def.reserve_bytes == 16 * MiB);
  CHECK(def.segment_bytes == 16 * MiB);
  CHECK(def.batch_bytes == 8 * MiB);
  CHECK(def.wal_autocheckpoint_pages == 1000);
  CHECK(def.journal_size_limit == 4 * MiB);
}

TEST_CASE("Is /healthz degraded with reason disk_full, also when intake is held from the start?", "[disk][health]") {
  using namespace edgegw::gateway;
  HealthInput in;
  in.started = false;
  in.journal_paused = true;
  in.disk_full = true;
  Health h = evaluate_health(in);
  CHECK(h.http_status() == 200);
  CHECK(h.json() == R"({"reason":"disk_full","status":"degraded"})");
  in.started = true;
  in.local_connected = true;
  in.journal_paused = false;
  CHECK(evaluate_health(in).reason == "disk_full");
  in.disk_full = false;
  in.upstream_configured = false;
  CHECK(evaluate_health(in).state == HealthState::ok);
  in.local_connected = false;  // a broker away is not a full disk
  in.disk_full = true;
  CHECK(evaluate_health(in).http_status() == 503);
}
