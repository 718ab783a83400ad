#include <catch2/catch.hpp>

#include "gateway/mqtt/backoff.h"

using namespace edgegw;
using namespace std::chrono_literals;
using edgegw::gateway::Backoff;

TEST_CASE("Does the reconnect backoff start at min, grow, and stay within [min, max]?", "[runtime][backoff]") {
  Backoff b(Duration(100ms), Duration(2s), 42);
  CHECK(b.next() == Duration(100ms));
  Duration largest{0};
  for (int i = 0; i < 200; ++i) {
    Duration d = b.next();
    REQUIRE(d >= Duration(100ms));
    REQUIRE(d <= Duration(2s));
    largest = std::max(largest, d);
  }
  CHECK(largest > Duration(1s));  // it does grow towards the cap
}

TEST_CASE("Does a successful connect reset the backoff to min?", "[runtime][backoff]") {
  Backoff b(Duration(1s), Duration(30s), 7);
  for (int i = 0; i < 10; ++i) (void)b.next();
  b.reset();
  CHECK(b.next() == Duration(1s));
}

TEST_CASE("Is the jitter random, so many gateways do not reconnect in step?", "[runtime][backoff]") {
  Backoff a(Duration(1s), Duration(60s), 1);
  Backoff c(Duration(1s), Duration(60s), 2);
  (void)a.next();
  (void)c.next();
  bool differ = false;
  for (int i = 0; i < 5; ++i) differ = differ || a.next() != c.next();
  CHECK(differ);
}

TEST_CASE("Does min == max give a fixed delay?", "[runtime][backoff]") {
  Backoff b(Duration(500ms), Duration(500ms), 3);
  for (int i = 0; i < 5; ++i) CHECK(b.next() == Duration(500ms));
}
