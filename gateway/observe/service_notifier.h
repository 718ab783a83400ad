// gateway/observe/service_notifier.h — what the engine loop tells systemd while it runs.
//
// WATCHDOG=1: the engine loop calls on_loop() at every turn, idle or busy
// (each batch of a busy loop is a turn), and the notifier sends WATCHDOG=1
// once half of WatchdogUsec has passed since the last one, as
// sd_watchdog_enabled(3) asks. A loop that hangs stops calling, systemd's
// WatchdogSec= runs out and it restarts the service; a loop that is only busy
// keeps feeding it. next_due() is when the loop must call again at the
// latest, for its poll timeout.
//
// STATUS=: one line with the link states and the upstream backlog
// ("local: connected; upstream: down; backlog: 1234 rows"), sent only when a
// link state or the backlog's level (0, 1-9, 10-99, ... rows) changes, so it
// is a state change, never a per-message line. `systemctl status edgegw`
// shows the last one.
//
// Thread: the engine thread only. `send` receives the text of one
// notification (sd_notify in the daemon, a capture in tests); failures to
// send are ignored (no systemd listening is normal).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "gateway/base/metrics.h"

namespace edgegw::gateway {

class ServiceNotifier {
 public:
  using Send = std::function<void(std::string_view)>;

  // watchdog_interval: WatchdogUsec; zero means no watchdog. has_upstream:
  // without one the status says "upstream: none" and has no backlog.
  ServiceNotifier(Send send, Duration watchdog_interval, bool has_upstream);
  // sd_notify() as `send`, the interval from sd_watchdog_enabled() (zero when
  // systemd did not ask for a watchdog, or outside systemd).
  static ServiceNotifier from_systemd(bool has_upstream);

  // Engine thread, every loop turn: the watchdog ping when due, and the
  // STATUS line when the links' state (read from `metrics`) changed.
  void on_loop(MonoTime now, const Metrics& metrics);
  // Engine thread: the upstream backlog in rows, as last counted.
  void set_backlog(uint64_t rows) { backlog_ = rows; }
  // The latest time on_loop() must run again; MonoTime::max() without a watchdog.
  MonoTime next_due() const;
  bool watchdog_enabled() const { return watchdog_interval_ > Duration::zero(); }

  // The status text for these states (exposed for tests and the docs).
  static std::string status_text(const Metrics& metrics, bool has_upstream, uint64_t backlog);
  // 0 for 0 rows, else the power of ten at or below `rows`.
  static uint64_t backlog_level(uint64_t rows);

 private:
  Send send_;
  Duration watchdog_interval_;
  bool has_upstream_;
  bool pinged_ = false;
  MonoTime last_ping_{};
  uint64_t backlog_ = 0;
  bool status_sent_ = false;
  uint32_t last_links_ = 0;  // packed link states of the last STATUS
  uint64_t last_level_ = 0;
};

}  // namespace edgegw::gateway
