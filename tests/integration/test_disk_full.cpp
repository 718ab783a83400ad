// The gateway's own backlog fills a small state_dir (issue 25): a 3 MiB
// tmpfs, buffer.journal_max 1 MiB, the upstream down, a burst of 30,000
// QoS 1 messages of 200 bytes into a local broker that queues a million for
// the gateway's session. Nothing else takes or gives back space: only the
// gateway's drain can free it. Needs root to mount the tmpfs (CI has it).
//
// The local broker allows 100 QoS 1 messages in flight to a client
// (max_inflight_messages, as docs/configuration.md advises): what it still
// sends after the gateway drops the link to hold intake lands in the
// journal's share of the disk.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "support/http_get.h"
#include "support/log_text.h"
#include "support/sequence_check.h"
#include "support/site.h"
#include "support/small_disk.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const std::string kRoutes = "  - from: \"dev/+/state\"\n    to: \"sites/{{ topic[1] }}\"\n";
constexpr size_t kBurst = 30'000;  // issue 25's burst: [disk-burst]
// The drain cases: enough to fill the disk several times over (2.4 MB of
// journal records against about 1 MB usable before the hold), few enough
// to finish within a minute. Each hold drops the local link and the broker
// replays what it had in flight, as duplicates; on this 3 MiB disk that is
// most of the time spent (docs/reliability.md, the figures).
constexpr size_t kDrainBurst = 12'000;
constexpr size_t kDevices = 10;
constexpr const char* kHeld = "holding intake";

std::string payload_of(size_t i) {
  std::string p = seq_payload(i % kDevices, i) + ":";
  p.resize(200, 'x');
  return p;
}

std::string health(int port) {
  HttpReply r = http_get(port, "/healthz");
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status < 0 || j.is_discarded()) return "no answer";
  return std::to_string(r.status) + " " + j.value("status", "") + " " + j.value("reason", "");
}

// Brokers, a cloud session, and the gateway on its 3 MiB disk.
struct FullDiskRig {
  Site site{cloud_session(
      {.local = {.extra_config = {"max_queued_messages 1000000", "max_queued_bytes 0", "max_inflight_messages 100"}},
       // Queues everything for the cloud's session: the backlog reaches it before
       // the test's client has joined (Mosquitto's default keeps 1,000).
       .upstream = {.persistence = true, .extra_config = {"max_queued_messages 0"}},
       .routes = kRoutes,
       .extra = "buffer:\n  journal_max: 1MiB\n",
       .http = true},
      /*upstream_down=*/true)};
  std::unique_ptr<SmallDisk> disk;
  int http_port = 0;

  // False: the tmpfs cannot be mounted (the caller skips).
  bool setup() {
    REQUIRE(site.prepare().ok());
    http_port = site.http_port();
    disk = std::make_unique<SmallDisk>(site.gw().state_dir(), "3m");
    return disk->ok();
  }

  // Starts the gateway and bursts `n` events at it: its backlog fills the
  // disk until it holds intake.
  Gateway& fill(size_t n) {
    Gateway& gw = site.gw();
    REQUIRE(gw.start(false).ok());
    burst(n);
    REQUIRE(wait_until([&] { return gw.log().find(kHeld) != std::string::npos; }, 20s));
    // The kept journal window (gateway.journal_keep) went before intake was held.
    CHECK(wait_until([&] { return gw.log().find("the journal keeps no window") != std::string::npos; }, 5s));
    return gw;
  }

  // The burst, one publisher at Mosquitto's in-flight window; returns once
  // the local broker acknowledged all of it (queued for the gateway).
  void burst(size_t n) {
    TestClient devices(site.local.uri(), "devices");
    REQUIRE(devices.connect().ok());
    BulkPublish spec;
    spec.count = n;
    spec.topic_of = [](size_t i) { return "dev/" + std::to_string(i % kDevices) + "/state"; };
    spec.payload_of = payload_of;
    auto r = devices.publish_many(spec);
    REQUIRE(r.ok());
    REQUIRE(r->acked == n);
  }

  void expect_all_arrived(TestClient& c, size_t n, std::chrono::milliseconds deadline) {
    const auto start = std::chrono::steady_clock::now();
    CHECK(wait_until([&] { return check_sequences(c.received(), "sites/").distinct >= n; }, deadline, 50ms));
    auto report = check_sequences(c.received(), "sites/");
    WARN(report.distinct
         << " of " << n << " arrived, " << report.duplicates << " duplicates, "
         << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()
         << " ms after intake resumed");
    CHECK(report.distinct == n);
    CHECK(report.order_ok);
  }

  // The upstream comes back: intake resumes within 10 s, and all `n` arrive.
  void upstream_returns(size_t n) {
    const Gateway& gw = site.gw();
    const size_t resumes = count_of(gw.log(), "local link: resuming intake");
    REQUIRE(site.upstream.start().ok());
    const auto up = std::chrono::steady_clock::now();
    auto joined = site.session().join();
    REQUIRE(joined.ok());
    REQUIRE(wait_until([&] { return count_of(gw.log(), "local link: resuming intake") > resumes; }, 30s, 20ms));
    const auto resumed = std::chrono::steady_clock::now() - up;
    WARN("intake resumed " << std::chrono::duration_cast<std::chrono::milliseconds>(resumed).count()
                           << " ms after the upstream returned");
    CHECK(resumed < 10s);
    expect_all_arrived(**joined, n, 40s);
  }
};

}  // namespace

TEST_CASE("Does a gateway whose own backlog fills its disk hold intake first, and stay up?",
          "[integration][faults][disk-full][disk-burst]") {
  FullDiskRig rig;
  if (!rig.setup()) return report_skip("cannot mount a tmpfs (needs root)");
  Gateway& gw = rig.fill(kBurst);
  // Held before the disk filled: nothing failed, the process is up, the
  // space left is the journal's headroom.
  REQUIRE(wait_until([&] { return health(rig.http_port) == "200 degraded disk_full"; }, 5s));
  const double free_bytes = scrape(rig.http_port, "edgegw_state_dir_free_bytes");
  WARN("free bytes while held: " << free_bytes << " (statvfs: " << rig.disk->free_bytes() << ")");
  CHECK(free_bytes > 0);
  CHECK(free_bytes < 3 << 20);
  CHECK(scrape(rig.http_port, "edgegw_disk_full") == 1);
  CHECK(rig.disk->free_bytes() > 0);
  // Stays up; one line per change of state, none per retry.
  CHECK_FALSE(wait_until([&] { return !gw.running(); }, 2s));
  CHECK(count_of(gw.log(), "commit failed") <= count_of(gw.log(), "commits succeed again") + 1);
  CHECK(gw.log().find("critical") == std::string::npos);
  REQUIRE(gw.stop().ok());  // SIGTERM on a full disk: flushes what fits, exits 0
  INFO(gw.log());
  CHECK(gw.log().find("critical") == std::string::npos);
}

TEST_CASE("Does a gateway on a disk its backlog filled drain, make room and resume intake by itself, losing nothing?",
          "[integration][faults][disk-full][disk-drain]") {
  FullDiskRig rig;
  if (!rig.setup()) return report_skip("cannot mount a tmpfs (needs root)");
  Gateway& gw = rig.fill(kDrainBurst);
  rig.upstream_returns(kDrainBurst);
  CHECK(gw.running());
  REQUIRE(gw.stop().ok());
  INFO(gw.log());
  CHECK(gw.log().find("critical") == std::string::npos);
  // One line when commits start failing on the full disk, one when they succeed again.
  CHECK(count_of(gw.log(), "commit failed") <= count_of(gw.log(), "commits succeed again") + 1);
}

TEST_CASE("Does a gateway killed on a full disk start on it, drain and lose nothing?",
          "[integration][faults][disk-full][disk-kill]") {
  FullDiskRig rig;
  if (!rig.setup()) return report_skip("cannot mount a tmpfs (needs root)");
  Gateway& gw = rig.fill(kDrainBurst);
  REQUIRE(gw.kill9().ok());
  const size_t held_before = count_of(gw.log(), kHeld);
  // Starts on the full disk with the upstream still down: up, degraded, held.
  REQUIRE(gw.start_until("started: id").ok());
  REQUIRE(wait_until([&] { return count_of(gw.log(), kHeld) > held_before; }, 10s));
  REQUIRE(wait_until([&] { return health(rig.http_port) == "200 degraded disk_full"; }, 5s));
  CHECK(gw.running());
  rig.upstream_returns(kDrainBurst);
  REQUIRE(gw.stop().ok());
  INFO(gw.log());
  CHECK(gw.log().find("critical") == std::string::npos);
}

TEST_CASE("Does `edgegw check` warn when buffer.max_bytes plus journal_max exceeds the state_dir's file system?",
          "[integration][cli][disk-full][disk-check]") {
  Gateway gw(gateway_yaml(1883, 1884, kRoutes, "buffer:\n  max_bytes: 8MiB\n  journal_max: 1MiB\n"));
  SmallDisk disk(gw.state_dir(), "3m");
  if (!disk.ok()) return report_skip("cannot mount a tmpfs (needs root)");
  auto r = gw.command({"check"});
  INFO(r.err);
  CHECK(r.exit_code == 0);  // a warning, not an error
  const std::string want = gw.config_path().string() + ":";
  CHECK(r.err.find(want) != std::string::npos);
  CHECK(r.err.find(": warning: buffer.max_bytes (8388608 bytes) plus buffer.journal_max (1048576 bytes) is larger "
                   "than the file system of state_dir") != std::string::npos);
  Gateway fits(gateway_yaml(1883, 1884, kRoutes, "buffer:\n  max_bytes: 1MiB\n  journal_max: 1MiB\n"));
  SmallDisk disk2(fits.state_dir(), "3m");
  REQUIRE(disk2.ok());
  auto ok = fits.command({"check"});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.err.find("is larger than the file system") == std::string::npos);
}
