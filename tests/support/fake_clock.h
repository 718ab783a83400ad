// tests/support/fake_clock.h — a Clock that moves only when the test says so.
//
// advance() moves the wall and the monotonic clock together, as real time
// passing does; step_wall() moves the wall clock alone, as NTP or a manual
// `date` does. Header-only; not thread-safe (tests drive it from one thread).
#pragma once

#include "core/clock.h"

namespace edgegw::testing {

class FakeClock final : public Clock {
 public:
  // 2026-01-01T00:00:00Z on the wall; the monotonic clock starts at an
  // arbitrary non-zero point, as steady_clock does.
  explicit FakeClock(TimePoint wall = from_unix_ms(1'767'225'600'000), MonoTime mono = MonoTime(std::chrono::hours(1)))
      : wall_(wall), mono_(mono) {}

  TimePoint now() const override { return wall_; }
  MonoTime mono() const override { return mono_; }

  void advance(Duration d) {
    wall_ += d;
    mono_ += d;
  }
  void step_wall(Duration d) { wall_ += d; }
  void set_wall(TimePoint t) { wall_ = t; }

 private:
  TimePoint wall_;
  MonoTime mono_;
};

}  // namespace edgegw::testing
