// gateway/store/wal_checkpointer.h — WAL checkpoints of outbox.db on a thread of
// their own, with a connection of their own.
//
// Under synchronous=NORMAL a commit is durable against power loss only once
// a checkpoint has copied it into the database file, and the ingress journal
// behind it may be released only then. A checkpoint costs two fsyncs (the
// WAL, then the database), 5 to 20 ms on an SD card or this VM's disk. Run
// on the engine thread, as SQLite's automatic checkpoint and the engine's
// one-second tick did, every checkpoint held up the messages arriving
// meanwhile: that was the p99 latency at 1,000 msg/s (docs/performance.md).
// Here the engine only publishes what it committed; this thread checkpoints
// (PASSIVE: it never waits for the engine's writes, nor they for it) once a
// second when there is something new, and at once when the WAL passes
// `wake_frames` frames, so the WAL stays bounded at full speed as SQLite's
// wal_autocheckpoint kept it. The owner's connection sets wal_autocheckpoint
// to 0 and calls wal_grew() after its commits.
//
// Threads: committed(), wal_grew(), durable() and status() from the engine
// thread; the rest is internal. The destructor stops and joins.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"
#include "gateway/store/sqlite_db.h"

namespace edgegw::gateway {

class WalCheckpointer {
 public:
  // Opens its own connection to the existing database at `path`.
  static Result<std::unique_ptr<WalCheckpointer>> start(const std::string& path, const sql::DbOptions& options,
                                                        int wake_frames,
                                                        std::chrono::milliseconds every = std::chrono::seconds(1));
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Every commit up to now is tagged `mark` (the journal position it holds).
  void committed(uint64_t mark) { committed_.store(mark, std::memory_order_release); }
  // After a commit: the WAL holds `frames` frames; past wake_frames, checkpoint now.
  void wal_grew(int frames);
  // Checkpoint soon even though no commit moved the mark (an incremental
  // vacuum: the checkpoint is what shrinks the file).
  void poke() {
    woken_.store(true, std::memory_order_release);
    cv_.notify_one();
  }
  // The highest mark a completed checkpoint covers: durable on disk (0: none yet).
  uint64_t durable() const { return durable_.load(std::memory_order_acquire); }
  // The last checkpoint's failure (ok when it succeeded). Corruption it finds
  // is StatusCode::corrupt, and shows on the owner's connection too when
  // `options` share a corrupt_flag with it (sqlite_db.h).
  Status status() const;
  // Checkpoints run (complete or not), for tests.
  uint64_t runs() const { return runs_.load(std::memory_order_relaxed); }

 private:
  WalCheckpointer(std::unique_ptr<sql::Db> db, int wake_frames, std::chrono::milliseconds every);
  void run();

  std::unique_ptr<sql::Db> db_;  // used on the thread only
  const int wake_frames_;
  const std::chrono::milliseconds every_;
  std::atomic<uint64_t> committed_{0};
  std::atomic<uint64_t> durable_{0};
  std::atomic<uint64_t> runs_{0};
  std::atomic<bool> woken_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // under mu_
  Status status_;          // under mu_
  std::thread thread_;     // last: starts once the members above exist
};

}  // namespace edgegw::gateway
