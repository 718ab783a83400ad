// gateway/engine/batch_pacer.h — lets a stream's rows gather before the
// engine's next turn.
//
// A turn costs about the same whatever it carries: a SQLite transaction
// (file locks, WAL frames of the same few pages, later checkpointed), a
// read transaction per forwarder page, the wake-up itself. Under a
// full-speed stream the engine woke for every ~6 rows, about 1,700
// commits a second at 10,000 msg/s (perf trace of the routes bench). After
// a turn that moved a stream's worth of rows (journal records taken plus
// acknowledged rows removed, kStreamRows or more), the next turn starts no
// sooner than kGather after that one ended. A trickle is taken at once, so
// the latency at a few messages a second, or at 1,000, is unchanged;
// under a stream a row waits at most kGather longer.
//
// Pure: the caller passes the time, so it is tested without a clock.
#pragma once

#include <chrono>
#include <cstddef>

#include "core/clock.h"

namespace edgegw::gateway {

class BatchPacer {
 public:
  // Rows a committed batch moved; a turn may commit several batches.
  void committed(size_t rows) { rows_ += rows; }
  // The turn ended at `now`.
  void turn_done(MonoTime now) {
    gather_until_ = rows_ >= kStreamRows ? now + kGather : MonoTime{};
    rows_ = 0;
  }
  // How long to let rows gather before the next turn; zero: go now.
  Duration wait(MonoTime now) const { return now < gather_until_ ? gather_until_ - now : Duration::zero(); }

  static constexpr size_t kStreamRows = 8;                           // rows in a turn that make a stream
  static constexpr Duration kGather = std::chrono::milliseconds(1);  // how long its next rows may gather

 private:
  size_t rows_ = 0;
  MonoTime gather_until_{};
};

}  // namespace edgegw::gateway
