// The webhook circuit breaker and retry schedule: pure logic, a fake clock.
#include <catch2/catch.hpp>

#include "gateway/http/circuit_breaker.h"

using namespace edgegw;
using namespace std::chrono_literals;
using edgegw::gateway::CircuitBreaker;
using edgegw::gateway::CircuitBreakers;
using edgegw::gateway::host_key;
using edgegw::gateway::retry_delay;

namespace {

MonoTime at(Duration d) { return MonoTime(d); }

void fail_times(CircuitBreaker& b, int n, MonoTime now) {
  for (int i = 0; i < n; ++i) {
    REQUIRE(b.allow(now));
    b.on_failure(now);
  }
}

}  // namespace

TEST_CASE("Does the breaker stay closed through four failures and open at the fifth in a row?", "[http][breaker]") {
  CircuitBreaker b;
  fail_times(b, 4, at(1s));
  CHECK(b.state() == CircuitBreaker::State::closed);
  CHECK(b.allow(at(1s)));
  b.on_failure(at(2s));
  CHECK(b.state() == CircuitBreaker::State::open);
  CHECK_FALSE(b.allow(at(2s)));
  CHECK_FALSE(b.allow(at(31s)));  // 29 s later: still open
  REQUIRE(b.reopens_at());
  CHECK(*b.reopens_at() == at(32s));
}

TEST_CASE("Does a success in between reset the count of consecutive failures?", "[http][breaker]") {
  CircuitBreaker b;
  fail_times(b, 4, at(0s));
  REQUIRE(b.allow(at(0s)));
  b.on_success();
  fail_times(b, 4, at(1s));
  CHECK(b.state() == CircuitBreaker::State::closed);
}

TEST_CASE("After 30 s does the breaker let exactly one trial through, and does its success close it?",
          "[http][breaker]") {
  CircuitBreaker b;
  fail_times(b, 5, at(0s));
  REQUIRE(b.state() == CircuitBreaker::State::open);
  CHECK(b.allow(at(30s)));  // the trial
  CHECK(b.state() == CircuitBreaker::State::half_open);
  CHECK_FALSE(b.allow(at(30s)));  // only one while the trial runs
  CHECK_FALSE(b.allow(at(40s)));
  b.on_success();
  CHECK(b.state() == CircuitBreaker::State::closed);
  CHECK(b.allow(at(41s)));
  CHECK(b.allow(at(41s)));
  CHECK_FALSE(b.reopens_at());
}

TEST_CASE("Does a failed trial open the breaker again for another 30 s?", "[http][breaker]") {
  CircuitBreaker b;
  fail_times(b, 5, at(0s));
  REQUIRE(b.allow(at(35s)));
  b.on_failure(at(36s));
  CHECK(b.state() == CircuitBreaker::State::open);
  CHECK_FALSE(b.allow(at(65s)));
  CHECK(b.allow(at(66s)));
}

TEST_CASE("Is each host's breaker its own, and does next_reopen name the earliest open one?", "[http][breaker]") {
  CircuitBreakers all;
  fail_times(all.of("http://a:80"), 5, at(10s));
  fail_times(all.of("http://b:80"), 5, at(5s));
  CHECK(all.of("http://c:80").allow(at(11s)));
  CHECK_FALSE(all.of("http://a:80").allow(at(11s)));
  REQUIRE(all.next_reopen());
  CHECK(*all.next_reopen() == at(35s));
}

TEST_CASE("Is a breaker kept per scheme, host and port, whatever the path or case?", "[http][breaker]") {
  CHECK(host_key("http://Example.COM/hook?x=1") == "http://example.com:80");
  CHECK(host_key("https://example.com/a") == "https://example.com:443");
  CHECK(host_key("http://127.0.0.1:8080/a/b") == "http://127.0.0.1:8080");
  CHECK(host_key("http://user:pw@host:81") == "http://host:81");
  CHECK(host_key("http://[::1]/x") == "http://[::1]:80");
  CHECK(host_key("http://[::1]:9000/x") == "http://[::1]:9000");
  CHECK(host_key("https://example.com") != host_key("http://example.com"));
}

TEST_CASE("Does the retry delay double from the base up to the cap, jittered to 75-100 %?", "[http][retry]") {
  const Duration base = 1s, cap = 5min;
  CHECK(retry_delay(1, base, cap, 0.999999) <= Duration(1s));
  CHECK(retry_delay(1, base, cap, 0.0) == Duration(750ms));
  CHECK(retry_delay(2, base, cap, 0.0) == Duration(1500ms));
  CHECK(retry_delay(3, base, cap, 0.0) == Duration(3s));
  CHECK(retry_delay(4, base, cap, 0.5) == Duration(7s));      // 8 s x 0.875
  CHECK(retry_delay(9, base, cap, 0.0) == Duration(192s));    // 256 s x 0.75
  CHECK(retry_delay(10, base, cap, 0.0) == Duration(225s));   // capped at 300 s
  CHECK(retry_delay(100, base, cap, 0.0) == Duration(225s));  // no overflow far out
  for (int n = 1; n < 30; ++n) {
    REQUIRE(retry_delay(n, base, cap, 0.99) <= cap);
    REQUIRE(retry_delay(n + 1, base, cap, 0.5) >= retry_delay(n, base, cap, 0.5));
  }
}
