#include <catch2/catch.hpp>

#include "gateway/base/system_clock.h"
#include "support/fake_clock.h"

using namespace edgegw;

TEST_CASE("Does the FakeClock move only when told, wall and monotonic apart?", "[core][clock]") {
  testing::FakeClock clock;
  const TimePoint wall0 = clock.now();
  const MonoTime mono0 = clock.mono();
  CHECK(clock.now() == wall0);
  clock.advance(std::chrono::seconds(5));
  CHECK(clock.now() - wall0 == std::chrono::seconds(5));
  CHECK(clock.mono() - mono0 == std::chrono::seconds(5));
  clock.step_wall(std::chrono::hours(-1));  // NTP corrects backwards
  CHECK(clock.now() - wall0 == std::chrono::seconds(5) - std::chrono::hours(1));
  CHECK(clock.mono() - mono0 == std::chrono::seconds(5));
  clock.set_wall(from_unix_ms(42));
  CHECK(to_unix_ms(clock.now()) == 42);
}

TEST_CASE("Does the SystemClock read the system's clocks?", "[core][clock]") {
  gateway::SystemClock clock;
  const auto before = std::chrono::system_clock::now();
  const TimePoint wall = clock.now();
  const auto after = std::chrono::system_clock::now();
  CHECK(wall.time_since_epoch() >= before.time_since_epoch());
  CHECK(wall.time_since_epoch() <= after.time_since_epoch());
  const MonoTime a = clock.mono();
  const MonoTime b = clock.mono();
  CHECK(b >= a);
  CHECK(a.time_since_epoch() > Duration::zero());
}
