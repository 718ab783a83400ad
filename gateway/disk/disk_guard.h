// gateway/disk/disk_guard.h — the gateway on a small or full state_dir.
//
// Three things keep a full disk from wedging the gateway (docs/reliability.md,
// "A full disk"):
// - Intake is held before the disk fills: before each batch the engine asks
//   admit(), which looks (statvfs, SQLite's free pages) whenever what was
//   written since the last look could reach the hold line (DiskBudget), so a
//   burst is seen however fast it comes, and a disk far from full costs no
//   system call. Below buffer.journal_max of usable space the local link is
//   held down; the journal's append failing stays the last resort.
// - Records wait in the journal when SQLite has no room for them: a batch
//   then commits only the deletes of delivered rows (the drain), which
//   never needs new room once the reserve is released.
// - A reserve file (state_dir/disk.reserve) is taken up front and released
//   when SQLite reports SQLITE_FULL, so deletes and the checkpoint get
//   through; free pages go back to the file system (incremental vacuum)
//   while space is short; the reserve is taken again once there is room.
//
// Logs one line per change of state. Threads: the engine's only; the
// metrics it sets are atomics read by the HTTP thread.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "gateway/disk/disk_budget.h"
#include "gateway/disk/disk_reserve.h"
#include "gateway/journal/journal.h"
#include "gateway/base/metrics.h"
#include "gateway/store/sqlite_outbox.h"

namespace edgegw::gateway {

struct DiskGuardOptions {
  std::string state_dir;
  uint64_t hold_below = 64ull << 20;  // buffer.journal_max
  uint64_t reserve_bytes = 16ull << 20;
  int vacuum_pages = 128;  // per step; bounded so its WAL stays small
};

// The sizes that follow from buffer.journal_max, so a small disk gets a
// small WAL, small journal segments and small batches (daemon.cpp).
struct DiskSizing {
  uint64_t reserve_bytes;        // journal_max / 4, from 512 KiB to 16 MiB
  uint64_t batch_bytes;          // reserve / 2, at most 8 MiB
  uint64_t segment_bytes;        // journal_max / 4, from 64 KiB to 16 MiB
  int wal_autocheckpoint_pages;  // reserve / 4 in 4 KiB pages, from 16 to 1000
  int64_t journal_size_limit;    // reserve / 4, at most 4 MiB
  static DiskSizing for_journal_max(uint64_t journal_max);
};

class DiskGuard {
 public:
  DiskGuard(DiskGuardOptions o, SqliteOutbox& outbox, Journal& journal, Metrics& metrics,
            std::shared_ptr<spdlog::logger> log);

  // Takes the reserve (as much as fits) and looks once.
  void start(MonoTime now);
  // Before a batch of journal records: looks when due. Returns how many of
  // them, from the first, fit (all, some, or 0: commit only the drain; the
  // rest wait in the journal).
  size_t admit(const std::vector<JournalRecord>& records, MonoTime now);
  // After a successful commit (with or without records).
  void committed(uint64_t record_bytes, bool with_records);
  // After a failed commit: true when it failed for lack of space; then the
  // reserve is released.
  bool commit_failed();
  // Every loop turn: looks, gives free pages back, restores the reserve,
  // at most every few hundred ms.
  void maintain(MonoTime now);

  bool hold_intake() const { return budget_.hold_intake(); }
  // Any thread: the reserve's path, for Ingress's last resort (the file is
  // truncated; the next look counts its debt).
  const std::string& reserve_path() const { return reserve_.path(); }
  // /healthz reason disk_full: intake held, records waiting, or the reserve spent.
  bool full() const { return budget_.hold_intake() || deferred_ || reserve_out_; }

 private:
  void look(MonoTime now);
  void note_hold_change();
  void keep_window(MonoTime now);
  void on_full();

  DiskGuardOptions o_;
  SqliteOutbox& outbox_;
  Journal& journal_;
  Metrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  DiskBudget budget_;
  DiskReserve reserve_;
  uint64_t journal_seen_ = 0;  // journal.appended_bytes() at the last look
  MonoTime last_look_{};
  MonoTime next_maintain_{};
  bool deferred_ = false;     // records wait for room
  bool reserve_out_ = false;  // released, not yet restored
  bool keep_paused_ = false;  // the journal keeps no window: space is short
};

}  // namespace edgegw::gateway
