#include <catch2/catch.hpp>

#include "gateway/engine/clock_watch.h"
#include "gateway/engine/engine_timers.h"
#include "support/fake_clock.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace std::chrono_literals;

TEST_CASE("Is the loop's next deadline the earliest of its timers, and never in the past?", "[runtime][timers]") {
  testing::FakeClock clock;
  const MonoTime t0 = clock.mono();
  EngineTimers timers;
  timers.start(t0);
  CHECK(timers.next_deadline(t0, {}) == t0);  // the first expiry sweep is due at once
  CHECK(timers.expiry_due(t0));
  CHECK_FALSE(timers.expiry_due(t0));
  CHECK(timers.next_deadline(t0, {}) == t0 + 1s);  // the checkpoint
  CHECK(timers.next_deadline(t0, {std::nullopt, t0 + 50ms, t0 + 2s}) == t0 + 50ms);
  CHECK(timers.next_deadline(t0 + 5s, {}) == t0 + 5s);  // overdue: now, not before

  clock.advance(999ms);
  CHECK_FALSE(timers.checkpoint_due(clock.mono()));
  clock.advance(1ms);
  CHECK(timers.checkpoint_due(clock.mono()));
  CHECK(timers.next_deadline(clock.mono(), {}) == t0 + 2s);
  clock.advance(9s);  // t0 + 10s: checkpoint overdue, expiry due
  CHECK(timers.expiry_due(clock.mono()));
  CHECK(timers.next_deadline(clock.mono(), {}) == clock.mono());
}

TEST_CASE("Does a rule reload wait until the files have been quiet?", "[runtime][timers]") {
  testing::FakeClock clock;
  EngineTimers timers;
  timers.start(clock.mono());
  REQUIRE(timers.checkpoint_due(clock.mono() + 1s));
  REQUIRE(timers.expiry_due(clock.mono()));
  timers.files_changed(clock.mono());
  clock.advance(200ms);
  timers.files_changed(clock.mono());  // a second event of the same save
  CHECK(timers.next_deadline(clock.mono(), {}) == clock.mono() + 300ms);
  clock.advance(299ms);
  CHECK_FALSE(timers.reload_due(clock.mono()));
  clock.advance(1ms);
  CHECK(timers.reload_due(clock.mono()));
  timers.reloaded();
  CHECK_FALSE(timers.reload_due(clock.mono() + 1h));
}

TEST_CASE("Does a failed commit hold the next one for half a second?", "[runtime][timers]") {
  testing::FakeClock clock;
  EngineTimers timers;
  timers.start(clock.mono());
  REQUIRE(timers.expiry_due(clock.mono()));
  CHECK_FALSE(timers.commit_held(clock.mono()));
  timers.commit_failed(clock.mono());
  CHECK(timers.commit_held(clock.mono()));
  CHECK(timers.next_deadline(clock.mono(), {}) == clock.mono() + 500ms);
  clock.advance(500ms);
  CHECK_FALSE(timers.commit_held(clock.mono()));
  CHECK(timers.next_deadline(clock.mono(), {}) == clock.mono() + 500ms);  // the checkpoint, no longer the retry
}

TEST_CASE("Does the clock watch report a wall-clock step once, and not drift?", "[runtime][clock]") {
  testing::FakeClock clock;
  const int64_t start_ms = to_unix_ms(clock.now());
  ClockWatch watch(clock);
  clock.advance(10s);
  CHECK_FALSE(watch.check());
  clock.step_wall(1999ms);  // under the threshold: drift
  CHECK_FALSE(watch.check());
  clock.advance(1s);
  clock.step_wall(1h);  // NTP's first sync
  auto step = watch.check();
  REQUIRE(step);
  CHECK(step->delta_ms == 3'600'000);
  CHECK(step->era_start_ms == start_ms);
  CHECK(step->wall_ms == to_unix_ms(clock.now()));
  CHECK(step->expected_ms == step->wall_ms - 3'600'000);
  CHECK_FALSE(watch.check());  // reported once
  clock.step_wall(-1h);
  step = watch.check();
  REQUIRE(step);
  CHECK(step->delta_ms == -3'600'000);
  CHECK(step->era_start_ms == start_ms + 3'600'000);  // moved with the first step
}
