// gateway/disk/disk_budget.h — how much of the state_dir's file system the
// gateway may still fill, and what that means for intake and commits.
// Pure logic: the readings (statvfs, SQLite's free pages) come from
// DiskGuard (disk_guard.h), which owns the I/O. Unit-tested without a disk.
//
// Terms, all in bytes:
//   free       the file system's available space at the last look, minus
//              what was written since (journal appends, SQLite commits);
//   debt       what the reserve file lacks of its target size (released on
//              a full disk, not yet recreated): space owed to it;
//   usable     free - debt: what the gateway may fill. Releasing the reserve
//              leaves it unchanged (free and debt grow alike), so the reserve
//              is only ever spent on the drain, never on intake.
//
// Decisions:
//   hold_intake()  usable < hold_below (buffer.journal_max): the local link
//                  is held down, with hysteresis (resume at hold_below plus
//                  a quarter): each reconnect costs the broker's replay of
//                  its in-flight window, so the link must not flap;
//   room()         the record bytes a batch may commit: usable plus SQLite's
//                  free pages covers their estimated writes and leaves half
//                  of hold_below to the journal (what the broker still sends
//                  once intake is held lands there); halved after
//                  each SQLITE_FULL in a row (the estimate was wrong), until
//                  a batch lands;
//   need_look(n)   a look is due before writing n more bytes: once what was
//                  written since the last look plus n reaches half of the
//                  distance to the hold line. The distance halves at each
//                  look, so however fast the bursts come, a look happens
//                  before the line is crossed, and far from it none is paid.
// Threads: one (the engine's).
#pragma once

#include <algorithm>
#include <cstdint>

namespace edgegw::gateway {

struct DiskBudgetOptions {
  uint64_t hold_below = 64ull << 20;  // buffer.journal_max
  uint64_t reserve = 0;               // the reserve file's target size
};

class DiskBudget {
 public:
  explicit DiskBudget(DiskBudgetOptions o) : o_(o) {}

  // A look: the file system's available bytes, the reserve file's current
  // size, and the bytes SQLite can reuse without growing its file.
  void observe(uint64_t fs_free, uint64_t reserve_held, uint64_t db_free);
  // Bytes written (or about to be) since the last look.
  void wrote(uint64_t bytes) { written_ += bytes; }

  uint64_t free() const { return fs_free_ > written_ ? fs_free_ - written_ : 0; }
  uint64_t debt() const { return o_.reserve > reserve_held_ ? o_.reserve - reserve_held_ : 0; }
  uint64_t usable() const { return free() > debt() ? free() - debt() : 0; }
  uint64_t db_free() const { return db_free_; }

  bool need_look(uint64_t bytes) const;
  // Re-evaluates the hold with hysteresis; true when it changed.
  bool update_hold();
  bool hold_intake() const { return held_; }
  uint64_t room() const;
  bool can_commit(uint64_t record_bytes) const { return record_bytes <= room(); }
  // SQLite said the disk is full while committing.
  void commit_failed_full() { full_streak_ = std::min(full_streak_ + 1, 16); }
  // A batch with records committed: the estimate holds again.
  void commit_succeeded() { full_streak_ = 0; }
  // The reserve may be recreated: `free` covers it with room to spare.
  bool can_restore_reserve() const { return debt() > 0 && free() >= debt() + o_.hold_below / 2; }
  // Space is low enough that SQLite's free pages should go back to the
  // file system (incremental vacuum): the journal needs file system bytes.
  bool want_vacuum() const { return db_free_ > 0 && usable() < 2 * o_.hold_below; }

  // What a commit of `record_bytes` of journal records writes, at most: the
  // WAL frames (whole 4 KiB pages, the row and its index entries), then the
  // same pages again into the database at the checkpoint.
  static uint64_t commit_estimate(uint64_t record_bytes) { return 3 * record_bytes + (64u << 10); }

 private:
  DiskBudgetOptions o_;
  uint64_t fs_free_ = UINT64_MAX;  // no look yet: nothing is held
  uint64_t reserve_held_ = 0;
  uint64_t db_free_ = 0;
  uint64_t written_ = 0;
  int full_streak_ = 0;
  bool held_ = false;
};

}  // namespace edgegw::gateway
