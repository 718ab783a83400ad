// gateway/store/wal_checkpointer.cpp — see wal_checkpointer.h.
#include "gateway/store/wal_checkpointer.h"

namespace edgegw::gateway {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(const std::string& path, const sql::DbOptions& options,
                                                                int wake_frames, std::chrono::milliseconds every) {
  sql::DbOptions mine = options;
  mine.create = false;
  mine.quick_check = false;  // the owner's connection checked it at open
  mine.no_sync = false;      // this one syncs around each checkpoint
  auto db = sql::Db::open(path, mine);
  if (!db.ok()) return db.status();
  // synchronous and journal_size_limit are per connection and decide what a
  // checkpoint syncs and how far the WAL is truncated after it: as the owner's.
  if (Status s = (*db)->configure(mine); !s.ok()) return s;
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(std::move(*db), wake_frames, every));
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<sql::Db> db, int wake_frames, std::chrono::milliseconds every)
    : db_(std::move(db)), wake_frames_(wake_frames), every_(every), thread_([this] { run(); }) {}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void WalCheckpointer::wal_grew(int frames) {
  // One notify per crossing, not per commit while the checkpoint runs.
  if (frames < wake_frames_ || woken_.exchange(true, std::memory_order_acq_rel)) return;
  cv_.notify_one();
}

Status WalCheckpointer::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void WalCheckpointer::run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, every_, [this] { return stopping_ || woken_.load(std::memory_order_acquire); });
      if (stopping_) return;
    }
    const bool woken = woken_.exchange(false, std::memory_order_acq_rel);
    // Read before the checkpoint: every commit tagged with it is in the WAL
    // the checkpoint copies.
    const uint64_t mark = committed_.load(std::memory_order_acquire);
    if (!woken && durable() == mark) continue;  // idle: no fsync for nothing
    auto complete = db_->checkpoint_passive();
    runs_.fetch_add(1, std::memory_order_relaxed);
    if (complete.ok() && *complete) durable_.store(mark, std::memory_order_release);
    std::lock_guard lock(mu_);
    status_ = complete.ok() ? Status() : complete.status();
  }
}

}  // namespace edgegw::gateway
