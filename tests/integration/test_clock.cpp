// Clock steps (reliability matrix: "clock jumps"): a Pi has no real-time
// clock, so NTP may step it by days, forwards or back. The gateway runs under
// libfaketime (Debian's libfaketime), whose offset the test changes while it
// runs; the monotonic clock stays real. Nothing may expire wrongly by
// buffer.max_age, and the links keep working.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "support/log_text.h"
#include "support/site.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const char* kFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
const std::string kRoutes = "  - from: \"dev/+\"\n    to: \"sites/{{ topic }}\"\n";
const std::string kBuffer = "buffer:\n  max_age: 1h\n";

// The gateway's clock: `offset` in libfaketime's syntax ("+30d", "-1d",
// "@1970-01-02 00:00:00"), re-read by the gateway every second.
class FakeClock {
 public:
  FakeClock(Gateway& gw, const std::string& offset) : file_(gw.dir() / "faketime") {
    set(offset);
    gw.set_env({std::string("LD_PRELOAD=") + kFaketime, "FAKETIME_TIMESTAMP_FILE=" + file_.string(),
                "FAKETIME_CACHE_DURATION=1", "FAKETIME_DONT_FAKE_MONOTONIC=1"});
  }
  void set(const std::string& offset) {
    std::ofstream(file_.string() + ".tmp") << offset << "\n";
    std::filesystem::rename(file_.string() + ".tmp", file_);
  }

 private:
  std::filesystem::path file_;
};

void publish(TestClient& c, int first, int count) {
  for (int i = first; i < first + count; ++i)
    REQUIRE(c.publish("dev/" + std::to_string(i % 5), std::to_string(i), 1, false).ok());
}

}  // namespace

TEST_CASE("Does a clock step of +30 days, then back a day, expire nothing wrongly and keep the uplink working?",
          "[integration][faults][clock]") {
  REQUIRE(std::filesystem::exists(kFaketime));
  Site site(cloud_session({.upstream = {.persistence = true}, .routes = kRoutes, .extra = kBuffer}));
  REQUIRE(site.prepare().ok());
  Gateway& gw = site.gw();
  FakeClock clock(gw, "+0");
  REQUIRE(site.start_gateway().ok());
  REQUIRE(site.upstream.stop().ok());
  TestClient devices(site.local.uri(), "devices");
  REQUIRE(devices.connect().ok());
  publish(devices, 0, 100);
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 100; }, 20s));

  clock.set("+30d");  // 30 days past max_age, if the rows did not move with the clock
  REQUIRE(wait_until([&] { return count_of(gw.log(), "system clock stepped by") == 1; }, 10s));
  CHECK(gw.log().find("system clock stepped by +2592") != std::string::npos);
  // Expiry runs every 10 s: give it more than one pass to (wrongly) expire.
  CHECK_FALSE(wait_until([&] { return gw.buffer_stat("upstream", "expired") != 0; }, 12s));
  CHECK(gw.upstream_backlog() == 100);

  clock.set("-1d");  // corrected back past the real time
  REQUIRE(wait_until([&] { return count_of(gw.log(), "system clock stepped by") == 2; }, 10s));
  publish(devices, 100, 100);
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 200; }, 20s));
  REQUIRE(site.upstream.start().ok());
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 30s));  // reconnected after both steps
  CHECK(gw.buffer_stat("upstream", "expired") == 0);
  auto joined = site.session().join();
  REQUIRE(joined.ok());
  REQUIRE((*joined)->wait_for_count(200, 20s));
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does a gateway that booted with its clock in 1970 keep its rows when NTP corrects it?",
          "[integration][faults][clock]") {
  REQUIRE(std::filesystem::exists(kFaketime));
  Site site(cloud_session(
      {.upstream = {.persistence = true}, .routes = kRoutes, .extra = kBuffer, .devices = SiteClient{"devices"}},
      /*upstream_down=*/true));
  REQUIRE(site.prepare().ok());
  Gateway& gw = site.gw();
  FakeClock clock(gw, "@1970-01-02 00:00:00");
  REQUIRE(site.start_gateway().ok());
  publish(site.devices(), 0, 50);
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 50; }, 20s));

  clock.set("+0");  // the real time: 56 years later
  REQUIRE(wait_until([&] { return count_of(gw.log(), "system clock stepped by") == 1; }, 10s));
  CHECK_FALSE(wait_until([&] { return gw.buffer_stat("upstream", "expired") != 0; }, 12s));
  REQUIRE(site.upstream.start().ok());
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 30s));
  auto joined = site.session().join();
  REQUIRE(joined.ok());
  REQUIRE((*joined)->wait_for_count(50, 20s));
  REQUIRE(gw.stop().ok());
}
