// core/clock.h — the one narrow interface to time.
//
// Pure logic (rules/, devices/) never reads a real clock: it takes `now` as an
// argument. The Clock interface is the seam for code that must read the time
// itself: the engine loop and its parts take a `const Clock&`. The daemon
// passes a SystemClock (gateway/base/system_clock.h); unit tests pass a
// FakeClock (tests/support/fake_clock.h), which moves only when told.
#pragma once

#include <chrono>
#include <cstdint>

namespace edgegw {

using Duration = std::chrono::nanoseconds;
// Wall-clock time (system_clock). Time of day, cron and RFC 3339 output use it.
using TimePoint = std::chrono::time_point<std::chrono::system_clock, Duration>;
// Monotonic time, for timers, backoff and ages that must survive clock jumps.
using MonoTime = std::chrono::time_point<std::chrono::steady_clock, Duration>;

// Any thread may call an implementation's methods; neither fails.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;  // wall clock: may step (NTP, a manual date)
  virtual MonoTime mono() const = 0;  // never goes back
};

inline int64_t to_unix_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint from_unix_ms(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

}  // namespace edgegw
