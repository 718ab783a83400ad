#include "gateway/engine/clock_watch.h"

namespace edgegw::gateway {

ClockWatch::ClockWatch(const Clock& clock)
    : clock_(clock), wall_ms_(to_unix_ms(clock.now())), mono_(clock.mono()), era_start_ms_(wall_ms_) {}

std::optional<ClockWatch::Step> ClockWatch::check() {
  const int64_t wall = to_unix_ms(clock_.now());
  const MonoTime mono = clock_.mono();
  const int64_t expected = wall_ms_ + std::chrono::duration_cast<std::chrono::milliseconds>(mono - mono_).count();
  wall_ms_ = wall;
  mono_ = mono;
  const int64_t delta = wall - expected;
  if (delta < kStepMs && delta > -kStepMs) return std::nullopt;
  Step step{delta, expected, era_start_ms_, wall};
  era_start_ms_ += delta;
  return step;
}

}  // namespace edgegw::gateway
