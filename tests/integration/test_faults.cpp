// Faults on the wire (reliability matrix): a silent dead uplink.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "support/back_to_back.h"
#include "support/log_text.h"
#include "support/site.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const std::string kRoutes = "  - from: \"dev/+\"\n    to: \"sites/{{ topic }}\"\n";

void publish(TestClient& c, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    REQUIRE(c.publish("dev/" + std::to_string(i % 5), std::to_string(i), 1, false).ok());
  }
}

// How many different payloads `c` received.
size_t distinct_payloads(const TestClient& c) {
  std::set<std::string> seen;
  for (const auto& m : c.received()) seen.insert(m.payload);
  return seen.size();
}

}  // namespace

TEST_CASE("Is a silent dead uplink (no RST) noticed within 1.5 x keepalive, losing nothing?",
          "[integration][faults][deadlink]") {
  Site site(cloud_session({.upstream = {.persistence = true},
                           .routes = kRoutes,  // keepalive: 5s
                           .relay = true,
                           .devices = SiteClient{"devices"}}));
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TcpProxy& wire = site.wire();
  TestClient& devices = site.devices();
  publish(devices, 0, 100);
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 20s));

  wire.silence(true);  // from here the uplink swallows everything, in both directions
  const auto silent_at = std::chrono::steady_clock::now();
  publish(devices, 100, 100);  // sent into the void: none may be deleted without its PUBACK
  REQUIRE(wait_until([&] { return count_of(gw.log(), "upstream link: disconnected") >= 1; }, 20s));
  const auto noticed = std::chrono::steady_clock::now() - silent_at;
  INFO("noticed after " << std::chrono::duration_cast<std::chrono::milliseconds>(noticed).count() << " ms");
  CHECK(noticed <= 7500ms);  // 1.5 x keepalive
  CHECK(gw.upstream_backlog() == 100);

  publish(devices, 200, 100);
  wire.silence(false);  // the path heals: a new connection drains the backlog
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 30s));
  auto joined = site.session().join();
  REQUIRE(joined.ok());
  REQUIRE(wait_until([&] { return distinct_payloads(**joined) == 300; }, 20s));
  REQUIRE(gw.stop().ok());
}

// Paho C 1.3.12 frees a QoS 1 publish whose first write hits a dead socket,
// yet keeps it among the messages to resend: every reconnect then sends a
// PUBLISH with a freed topic, the broker closes the connection (protocol
// error), and the uplink never comes back (Paho issue 1401). A cut under a
// fast stream makes that write likely; the gateway must start a new client.
TEST_CASE("Does the uplink come back from cuts that catch publishes in the write, losing nothing?",
          "[integration][faults][cut-mid-publish]") {
  Site site({.routes = kRoutes, .relay = true});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& cloud = site.cloud();
  BackToBack devices(site.local.uri());
  const int cuts = std::getenv("EDGEGW_SOAK") ? 50 : 10;
  const std::string stuck = cut_cycles(site.wire(), gw, cloud, cuts);
  devices.stop();
  INFO(stuck << "\n" << last_lines(gw.log(), 12));
  REQUIRE(stuck.empty());
  const size_t total = devices.sent();
  REQUIRE(total > 0);
  auto distinct = [&] { return distinct_payloads(cloud); };
  const bool all = wait_until([&] { return distinct() >= total; }, 60s, 100ms);
  INFO(distinct() << " of " << total << " arrived; outbox " << gw.upstream_backlog() << " row(s)");
  REQUIRE(all);
  WARN(cuts << " cuts, " << total << " events; " << count_of(gw.log(), "failed: return code -1")
            << " publishes failed in the write; " << count_of(gw.log(), "a new Paho client") << " new clients");
  REQUIRE(gw.stop().ok());
}

namespace {

// Publishes payloads of `sizes` on dev/x, the last one 2 bytes long, and
// returns what the cloud received on sites/dev/x once that one arrived.
const std::vector<size_t> kFitting = {1, 256u << 10, 2};  // max_payload: 256 KiB
const std::vector<size_t> kHostile = {1, 256u << 10, 2u << 20, 10u << 20, 2};
struct Sizes {
  std::vector<size_t> arrived;
  std::string log;
  long hwm_growth_kib = 0;
};

Sizes send_sizes(int local_mqtt_version, const std::vector<size_t>& sizes) {
  Site site({.routes = kRoutes, .local_mqtt_version = local_mqtt_version});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& cloud = site.cloud();
  const long hwm_before = gw.proc_status_kib("VmHWM");
  TestClient devices(site.local.uri(), "devices");
  REQUIRE(devices.connect().ok());
  for (size_t size : sizes) {
    REQUIRE(devices.publish("dev/x", std::string(size, 'p'), 1, false).ok());
  }
  REQUIRE(wait_until(
      [&] {
        auto got = cloud.received();
        return !got.empty() && got.back().payload.size() == 2;
      },
      20s));
  Sizes out;
  for (const auto& m : cloud.received()) out.arrived.push_back(m.payload.size());
  out.hwm_growth_kib = gw.proc_status_kib("VmHWM") - hwm_before;
  REQUIRE(gw.stop().ok());
  out.log = gw.log();
  return out;
}

}  // namespace

TEST_CASE("Does MQTT 5 Maximum Packet Size keep 2 MiB and 10 MiB payloads away from the gateway?",
          "[integration][faults][hostile][payload]") {
  const Sizes baseline = send_sizes(5, kFitting);
  const Sizes s = send_sizes(5, kHostile);
  CHECK(s.arrived == kFitting);
  // The broker dropped them: the gateway never read them into memory.
  CHECK(s.log.find("above gateway.max_payload") == std::string::npos);
  INFO("peak RSS grew by " << s.hwm_growth_kib << " KiB; " << baseline.hwm_growth_kib << " KiB without them");
  CHECK(s.hwm_growth_kib <= baseline.hwm_growth_kib + 2 * 256);  // baseline + 2 x max_payload
}

TEST_CASE("Over MQTT 3.1.1, are oversized payloads dropped and counted by the gateway, the rest delivered?",
          "[integration][faults][hostile][payload]") {
  const Sizes s = send_sizes(3, kHostile);
  CHECK(s.arrived == kFitting);
  CHECK(s.log.find("dropped a 2097152-byte message on 'dev/x': above gateway.max_payload") != std::string::npos);
}

TEST_CASE("Does a corrupt outbox.db at start get quarantined, the gateway come up within 10 s, and no crash loop?",
          "[integration][faults][corrupt]") {
  Site site(cloud_session({.upstream = {.persistence = true}, .routes = kRoutes, .devices = SiteClient{"devices"}},
                          /*upstream_down=*/true));
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& devices = site.devices();
  publish(devices, 0, 20);
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 20; }, 20s));
  REQUIRE(gw.stop().ok());

  const auto db = gw.state_dir() / "outbox.db";
  const auto size = std::filesystem::file_size(db);
  {
    std::ofstream out(db, std::ios::binary | std::ios::in);  // overwrite in place, header included
    for (uintmax_t i = 0; i < size; ++i) out.put(static_cast<char>('!' + i % 61));
  }
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(gw.start(false).ok());  // waits for the local subscriptions, up to 10 s
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  CHECK(count_of(gw.log(), "outbox.db was corrupt: kept as") == 1);
  size_t kept = 0;
  for (const auto& e : std::filesystem::directory_iterator(gw.state_dir())) {
    if (e.path().filename().string().find("corrupt") != std::string::npos) ++kept;
  }
  CHECK(kept >= 1);  // the bad file is kept for inspection, not deleted

  // The fresh outbox works, and the journal, still holding the 20 records
  // (its active segment is never released), fed them into it again.
  publish(devices, 20, 5);
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 25; }, 20s));
  REQUIRE(gw.stop().ok());
  REQUIRE(gw.start(false).ok());  // and stays good: no second quarantine
  CHECK(count_of(gw.log(), "outbox.db was corrupt") == 1);
  REQUIRE(site.upstream.start().ok());
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 30s));
  auto joined = site.session().join();
  REQUIRE(joined.ok());
  REQUIRE(wait_until([&] { return distinct_payloads(**joined) == 25; }, 20s));
  REQUIRE(gw.stop().ok());
}
