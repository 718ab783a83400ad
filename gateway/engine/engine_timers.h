// gateway/engine/engine_timers.h — the engine loop's own deadlines: the
// checkpoint tick, the expiry sweep, the quiet wait before a rule reload,
// and the pause after a failed commit; and the loop's next wake-up.
//
// Pure: every call takes `now` (monotonic, sampled once by the loop), so a
// test drives it with a FakeClock or plain values. Engine thread only.
#pragma once

#include <initializer_list>
#include <optional>

#include "core/clock.h"

namespace edgegw::gateway {

class EngineTimers {
 public:
  static constexpr Duration kCheckpointEvery = std::chrono::seconds(1);
  static constexpr Duration kExpiryEvery = std::chrono::seconds(10);
  static constexpr Duration kCommitRetry = std::chrono::milliseconds(500);
  // A save is often several file events (write, rename, a second file):
  // wait until the rule files have been quiet this long, then reload once.
  static constexpr Duration kReloadQuiet = std::chrono::milliseconds(300);

  // The first checkpoint one interval from now; the first expiry sweep now.
  void start(MonoTime now);
  // True when the tick is due; then schedules the next one.
  bool checkpoint_due(MonoTime now);
  bool expiry_due(MonoTime now);

  // A rule file changed: reload once they have been quiet for kReloadQuiet.
  void files_changed(MonoTime now) { reload_due_ = now + kReloadQuiet; }
  bool reload_due(MonoTime now) const { return reload_due_ && now >= *reload_due_; }
  void reloaded() { reload_due_.reset(); }

  // A commit failed: no commit before kCommitRetry from now.
  void commit_failed(MonoTime now) { commit_retry_at_ = now + kCommitRetry; }
  bool commit_held(MonoTime now) const { return now < commit_retry_at_; }

  // The earliest of these deadlines and `others` (none: not waiting on
  // time), never before now.
  MonoTime next_deadline(MonoTime now, std::initializer_list<std::optional<MonoTime>> others) const;

 private:
  MonoTime next_checkpoint_{};
  MonoTime next_expiry_{};
  MonoTime commit_retry_at_{};
  std::optional<MonoTime> reload_due_;
};

}  // namespace edgegw::gateway
