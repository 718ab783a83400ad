// The TLS probe's log limiter (gateway/mqtt/tls_probe.h). The probe itself needs
// a TLS server: tests/integration/test_tls.cpp `[tls-probe]` drives it.
#include <catch2/catch.hpp>

#include "gateway/mqtt/tls_probe.h"

using namespace edgegw;
using namespace std::chrono_literals;
using edgegw::gateway::ReasonLimiter;

TEST_CASE("Is a TLS refusal logged once per reason, again when it changes, and an unchanged one once a minute?",
          "[runtime][tls-probe]") {
  ReasonLimiter limit(Duration(60s));
  const MonoTime t0{};
  CHECK(limit.should_log("certificate has expired", t0));
  for (Duration at : {Duration(100ms), Duration(500ms), Duration(10s), Duration(59s)}) {
    CHECK_FALSE(limit.should_log("certificate has expired", t0 + at));
  }
  CHECK(limit.should_log("connection refused", t0 + 59s));           // a change: at once
  CHECK(limit.should_log("certificate has expired", t0 + 59500ms));  // and back: a change too
  CHECK_FALSE(limit.should_log("certificate has expired", t0 + 119s));
  CHECK(limit.should_log("certificate has expired", t0 + 119500ms));  // a minute unchanged
  CHECK(limit.last() == "certificate has expired");
}

TEST_CASE("After a connect, is the same TLS refusal news again?", "[runtime][tls-probe]") {
  ReasonLimiter limit(Duration(60s));
  const MonoTime t0{};
  CHECK(limit.should_log("self-signed certificate", t0));
  limit.reset();
  CHECK(limit.last().empty());
  CHECK(limit.should_log("self-signed certificate", t0 + 1s));
}
