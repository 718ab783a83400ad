// gateway/engine/clock_watch.h — notices when the wall clock steps.
//
// The Pi has no real-time clock: it may boot in the past and be stepped
// forward by NTP, or be corrected backwards. The engine moves the rows this
// process created and the rule timers with a step, so buffer.max_age counts
// real time (design.md, Delivery) and a `delay: 2m` stays two minutes. This
// class only detects the step: the wall clock moving kStepMs more or less
// than the monotonic clock between two looks (drift is far smaller).
//
// Reads its Clock only; engine thread only.
#pragma once

#include <cstdint>
#include <optional>

#include "core/clock.h"

namespace edgegw::gateway {

class ClockWatch {
 public:
  static constexpr int64_t kStepMs = 2000;

  struct Step {
    int64_t delta_ms;      // wall minus what the monotonic clock expected
    int64_t expected_ms;   // the wall time without the step
    int64_t era_start_ms;  // when (old wall time) this process's rows began
    int64_t wall_ms;       // the wall time now
  };

  explicit ClockWatch(const Clock& clock);
  // Looks at both clocks; a step since the last look is returned once, and
  // the era start moves with it.
  std::optional<Step> check();

 private:
  const Clock& clock_;
  int64_t wall_ms_;
  MonoTime mono_;
  int64_t era_start_ms_;
};

}  // namespace edgegw::gateway
