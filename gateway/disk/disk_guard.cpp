// gateway/disk/disk_guard.cpp — see disk_guard.h.
#include "gateway/disk/disk_guard.h"

#include <sys/statvfs.h>

#include <algorithm>

namespace edgegw::gateway {

namespace {
// Looks at least this often even far from the line (space taken by others).
constexpr auto kLookEvery = std::chrono::seconds(1);
constexpr auto kMaintainEvery = std::chrono::milliseconds(200);
}  // namespace

DiskSizing DiskSizing::for_journal_max(uint64_t journal_max) {
  DiskSizing s{};
  s.reserve_bytes = std::clamp<uint64_t>(journal_max / 4, 512u << 10, 16u << 20);
  s.batch_bytes = std::min<uint64_t>(s.reserve_bytes / 2, 8u << 20);
  s.segment_bytes = std::clamp<uint64_t>(journal_max / 4, 64u << 10, 16u << 20);
  s.wal_autocheckpoint_pages = static_cast<int>(std::clamp<uint64_t>(s.reserve_bytes / 4 / 4096, 16, 1000));
  s.journal_size_limit = static_cast<int64_t>(std::min<uint64_t>(s.reserve_bytes / 4, 4u << 20));
  return s;
}

DiskGuard::DiskGuard(DiskGuardOptions o, SqliteOutbox& outbox, Journal& journal, Metrics& metrics,
                     std::shared_ptr<spdlog::logger> log)
    : o_(std::move(o)),
      outbox_(outbox),
      journal_(journal),
      metrics_(metrics),
      log_(std::move(log)),
      budget_({o_.hold_below, o_.reserve_bytes}),
      reserve_(o_.state_dir + "/disk.reserve", o_.reserve_bytes) {}

void DiskGuard::start(MonoTime now) {
  if (Status s = reserve_.restore(); !s.ok()) {
    reserve_out_ = true;
    log_->warn("state_dir: the {}-byte reserve could not be taken whole ({}); it is taken once there is room",
               reserve_.target(), s.message());
  }
  look(now);
  note_hold_change();
}

void DiskGuard::look(MonoTime now) {
  struct statvfs fs {};
  if (::statvfs(o_.state_dir.c_str(), &fs) != 0) return;  // keep the last reading
  const uint64_t fs_free = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  auto db_free = outbox_.free_page_bytes();
  budget_.observe(fs_free, reserve_.held(), db_free.ok() ? *db_free : 0);
  journal_seen_ = journal_.appended_bytes();
  last_look_ = now;
  metrics_.state_dir_free_bytes.store(fs_free, std::memory_order_relaxed);
}

void DiskGuard::note_hold_change() {
  if (!budget_.update_hold()) {
    metrics_.disk_full.store(full(), std::memory_order_relaxed);
    return;
  }
  if (budget_.hold_intake()) {
    log_->warn("state_dir '{}': {} bytes usable, under buffer.journal_max ({}): holding intake", o_.state_dir,
               budget_.usable(), o_.hold_below);
  } else {
    log_->info("state_dir '{}': {} bytes usable again: intake may resume", o_.state_dir, budget_.usable());
  }
  metrics_.disk_full.store(full(), std::memory_order_relaxed);
}

size_t DiskGuard::admit(const std::vector<JournalRecord>& records, MonoTime now) {
  const uint64_t appended = journal_.appended_bytes();
  budget_.wrote(appended - std::min(appended, journal_seen_));
  journal_seen_ = appended;
  uint64_t record_bytes = 0;
  for (const auto& r : records) record_bytes += r.topic.size() + r.payload.size();
  const uint64_t estimate = DiskBudget::commit_estimate(record_bytes);
  if (budget_.need_look(estimate) || now - last_look_ >= kLookEvery) look(now);
  note_hold_change();
  const uint64_t room = budget_.room();
  size_t take = 0;
  for (uint64_t bytes = 0; take < records.size(); ++take) {
    bytes += records[take].topic.size() + records[take].payload.size();
    if (bytes > room) break;
  }
  // A change of state: nothing fits, or everything fits again (a batch cut
  // short in between is neither, so the log does not follow each batch).
  const bool change = deferred_ ? take == records.size() : take == 0;
  if (change) {
    deferred_ = !deferred_;
    if (deferred_) {
      log_->warn(
          "outbox: no room in state_dir for new rows ({} bytes usable, {} free inside outbox.db); "
          "records wait in the journal while delivered rows are deleted",
          budget_.usable(), budget_.db_free());
    } else {
      log_->info("outbox: room for new rows again; taking the journal's records");
    }
    metrics_.disk_full.store(full(), std::memory_order_relaxed);
  }
  return take;
}

void DiskGuard::committed(uint64_t record_bytes, bool with_records) {
  if (with_records) {
    budget_.wrote(DiskBudget::commit_estimate(record_bytes));
    budget_.commit_succeeded();
  }
}

bool DiskGuard::commit_failed() {
  if (!outbox_.take_disk_full()) return false;
  budget_.commit_failed_full();
  on_full();
  return true;
}

void DiskGuard::on_full() {
  const uint64_t freed = reserve_.release();
  if (freed > 0) {
    log_->warn("state_dir '{}' is full: released the {}-byte reserve so delivered rows can be deleted", o_.state_dir,
               freed);
  }
  reserve_out_ = true;
  last_look_ = MonoTime{};  // look again at the next chance
  metrics_.disk_full.store(true, std::memory_order_relaxed);
}

// The journal's kept window (gateway.journal_keep) is the first thing to go
// when space runs short: it is history, the rows and records are not. Below
// twice journal_max of usable space it is dropped and nothing is kept; above
// four times it is kept again (apart, so a disk near the line does not flap).
void DiskGuard::keep_window(MonoTime now) {
  const uint64_t usable = budget_.usable();
  const bool pause = keep_paused_ ? usable < o_.hold_below * 4 : usable < o_.hold_below * 2;
  if (pause == keep_paused_) return;
  const uint64_t kept = journal_.kept_bytes();
  keep_paused_ = pause;
  if (!journal_.pause_keeping(pause).ok()) return;  // the unlink is retried at the next trim
  if (pause) {
    log_->warn(
        "state_dir '{}' is low on space: the journal keeps no window for backtesting until there is room "
        "(dropped {} bytes)",
        o_.state_dir, kept);
    look(now);
  } else {
    log_->info("state_dir '{}' has room again: the journal keeps its window for backtesting again", o_.state_dir);
  }
}

void DiskGuard::maintain(MonoTime now) {
  if (now < next_maintain_) return;
  next_maintain_ = now + kMaintainEvery;
  look(now);
  keep_window(now);
  // Each page moved is a WAL frame: a step never takes more than half of
  // what is left above the journal's share.
  const uint64_t spare = budget_.usable() > o_.hold_below / 2 ? budget_.usable() - o_.hold_below / 2 : 0;
  const int pages = static_cast<int>(std::min<uint64_t>(o_.vacuum_pages, spare / 2 / 4096));
  if (budget_.want_vacuum() && pages > 0) {
    auto freed = outbox_.vacuum_step(pages);
    if (!freed.ok() && outbox_.take_disk_full()) on_full();
    if (freed.ok() && *freed > 0) look(now);
  }
  if (budget_.can_restore_reserve()) {
    if (reserve_.restore().ok() && reserve_out_) {
      reserve_out_ = false;
      log_->info("state_dir '{}': the {}-byte reserve is taken again", o_.state_dir, reserve_.target());
    }
    look(now);
  }
  note_hold_change();
}

}  // namespace edgegw::gateway
