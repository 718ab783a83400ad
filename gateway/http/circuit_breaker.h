// gateway/http/circuit_breaker.h — one circuit breaker per webhook host, and the
// retry schedule of a failed call. Pure logic: the caller passes the time and
// the random draw, so tests drive them with a fake clock and no sockets.
//
// Breaker (the classic three states, as in Nygard's "Release It!"):
// - closed: calls go through; kFailuresToOpen consecutive failures open it.
// - open: no call is attempted until kOpenFor has passed; the jobs wait and
//   keep their attempts (the host is down, not the call wrong).
// - half_open: exactly one trial call; success closes it, failure opens it
//   again for another kOpenFor.
// Owned and used by the engine thread only; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"

namespace edgegw::gateway {

class CircuitBreaker {
 public:
  static constexpr int kFailuresToOpen = 5;
  static constexpr Duration kOpenFor = std::chrono::seconds(30);

  enum class State { closed, open, half_open };

  // May a call start now? In open state past kOpenFor this moves to
  // half_open and grants the one trial (true); while the trial is out, false.
  bool allow(MonoTime now);
  void on_success();
  void on_failure(MonoTime now);

  State state() const { return state_; }
  // When an open breaker lets a trial through; nullopt unless open.
  std::optional<MonoTime> reopens_at() const;

 private:
  State state_ = State::closed;
  int failures_ = 0;  // consecutive, while closed
  MonoTime open_until_{};
  bool trial_out_ = false;  // half_open: the one trial call is running
};

// The breakers of every host a webhook calls, by host_key().
class CircuitBreakers {
 public:
  CircuitBreaker& of(const std::string& host) { return by_host_[host]; }
  // The earliest time an open breaker lets a trial through; nullopt: none open.
  std::optional<MonoTime> next_reopen() const;

 private:
  std::unordered_map<std::string, CircuitBreaker> by_host_;
};

// "scheme://host:port" of a URL, lower-case scheme and host, the default port
// filled in (80 http, 443 https): what a breaker is kept per.
std::string host_key(std::string_view url);

// The wait before attempt n+1 after n failed attempts (n >= 1): base x 2^(n-1)
// capped at `cap` (1 s, 2 s, 4 s, ... with the defaults), then jittered to
// between 75 % and 100 % of it by `unit_random` in [0, 1), so calls that
// failed together do not retry together.
Duration retry_delay(int failed_attempts, Duration base, Duration cap, double unit_random);

}  // namespace edgegw::gateway
