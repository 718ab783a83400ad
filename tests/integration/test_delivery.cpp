// Delivery across outages and restarts: nothing the gateway took is lost.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <atomic>
#include <random>
#include <thread>

#include "support/sequence_check.h"
#include "support/site.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const std::string kRoutes =
    "  - from: \"dev/+/state\"\n"
    "    to: \"sites/{{ gateway.id }}/{{ topic[1] }}\"\n";
constexpr size_t kDevices = 10;

// Publishes `count` messages round-robin over kDevices topics, seqs from `first`.
void publish_range(TestClient& c, size_t first, size_t count) {
  BulkPublish spec;
  spec.count = count;
  spec.max_in_flight = 20;  // mosquitto's Receive Maximum
  spec.topic_of = [](size_t i) { return "dev/" + std::to_string(i % kDevices) + "/state"; };
  spec.payload_of = [first](size_t i) { return seq_payload(i % kDevices, first + i); };
  auto r = c.publish_many(spec);
  REQUIRE(r.ok());
  REQUIRE(r->acked == count);
}

}  // namespace

TEST_CASE("Do 20,000 QoS 1 messages published around an upstream outage all arrive, in order, after it?",
          "[integration][delivery]") {
  Site site(cloud_session({.local = {.persistence = true},
                           .upstream = {.persistence = true},
                           .routes = kRoutes,
                           .devices = SiteClient{"devices"}}));
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  MosquittoBroker& upstream = site.upstream;
  TestClient& devices = site.devices();

  publish_range(devices, 0, 2000);  // live
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 20s));
  REQUIRE(upstream.stop().ok());  // outage
  publish_range(devices, 2000, 16000);
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 16000; }, 30s));
  REQUIRE(upstream.start().ok());  // back: drains while live traffic flows
  publish_range(devices, 18000, 2000);
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 60s));

  auto joined = site.session().join();
  REQUIRE(joined.ok());
  TestClient& c = **joined;
  REQUIRE(wait_until([&] { return check_sequences(c.received(), "sites/").distinct >= 20000; }, 60s));
  auto report = check_sequences(c.received(), "sites/");
  INFO("arrivals " << report.arrivals << ", duplicates " << report.duplicates);
  CHECK(report.distinct == 20000);  // 0 lost
  CHECK(report.order_ok);
  WARN("outage test: 20000 sent, " << report.distinct << " distinct arrived, " << report.duplicates << " duplicates");
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does a gateway SIGTERM and restart during an upstream outage lose nothing?", "[integration][delivery]") {
  Site site(cloud_session({.local = {.persistence = true},
                           .upstream = {.persistence = true},
                           .routes = kRoutes,
                           .devices = SiteClient{"devices"}},
                          /*upstream_down=*/true));
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& devices = site.devices();
  publish_range(devices, 0, 5000);
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 5000; }, 20s));
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(gw.stop().ok());  // flush = commit, not deliver
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
  CHECK(gw.upstream_backlog() == 5000);  // on disk while stopped

  publish_range(devices, 5000, 1000);  // queued by the local broker for our session
  REQUIRE(gw.start(false).ok());
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 6000; }, 20s));
  REQUIRE(site.upstream.start().ok());
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 30s));
  auto joined = site.session().join();
  REQUIRE(joined.ok());
  TestClient& c = **joined;
  REQUIRE(wait_until([&] { return check_sequences(c.received(), "sites/").distinct >= 6000; }, 30s));
  auto report = check_sequences(c.received(), "sites/");
  CHECK(report.distinct == 6000);
  CHECK(report.order_ok);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does a local broker restart leave the gateway subscribed, losing nothing?", "[integration][delivery]") {
  Site site({.local = {.persistence = true}, .routes = kRoutes});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  MosquittoBroker& local = site.local;
  TestClient& cloud = site.cloud();
  {
    TestClient devices(local.uri(), "devices");
    REQUIRE(devices.connect().ok());
    publish_range(devices, 0, 500);
  }
  REQUIRE(local.restart().ok());
  REQUIRE(wait_until([&] { return gw.log().find("local link: disconnected") != std::string::npos; }, 10s));
  // Resubscribed (or the session was kept) within 5 s of the broker's return.
  auto connected_twice = [&] {
    auto log = gw.log();
    auto first = log.find("local link: connected");
    return first != std::string::npos && log.find("local link: connected", first + 1) != std::string::npos;
  };
  REQUIRE(wait_until(connected_twice, 5s));
  TestClient devices(local.uri(), "devices");
  REQUIRE(devices.connect().ok());
  publish_range(devices, 500, 500);
  REQUIRE(wait_until([&] { return check_sequences(cloud.received(), "sites/").distinct >= 1000; }, 20s));
  CHECK(check_sequences(cloud.received(), "sites/").distinct == 1000);

  // Messages published while the gateway is down wait in its broker session.
  REQUIRE(gw.stop().ok());
  publish_range(devices, 1000, 500);
  REQUIRE(gw.start().ok());
  REQUIRE(wait_until([&] { return check_sequences(cloud.received(), "sites/").distinct >= 1500; }, 20s));
  auto report = check_sequences(cloud.received(), "sites/");
  CHECK(report.distinct == 1500);
  CHECK(report.order_ok);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does kill -9 of the gateway under a 2,000 msg/s stream lose nothing?", "[integration][delivery][kill]") {
  Site site({.local = {.persistence = true}, .routes = kRoutes});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& cloud = site.cloud();

  constexpr size_t kTotal = 24000;  // 12 s at 2,000 msg/s
  std::atomic<size_t> accepted{0};
  std::atomic<bool> publisher_failed{false};
  // A jthread, so a failed REQUIRE below joins it instead of ending the
  // whole test binary in std::terminate.
  std::jthread publisher([&] {
    TestClient devices(site.local.uri(), "devices");
    if (!devices.connect().ok()) {
      publisher_failed = true;
      return;
    }
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < kTotal; i += 100) {  // 100 per 50 ms = 2,000 msg/s
      BulkPublish spec;
      spec.count = 100;
      spec.topic_of = [](size_t k) { return "dev/" + std::to_string(k % kDevices) + "/state"; };
      spec.payload_of = [i](size_t k) { return seq_payload(k % kDevices, i + k); };
      auto r = devices.publish_many(spec);
      if (!r.ok() || r->acked != 100) {
        publisher_failed = true;
        return;
      }
      accepted += 100;
      std::this_thread::sleep_until(start + std::chrono::milliseconds(50 * (i / 100 + 1)));  // pacing
    }
  });

  std::mt19937 rng(12345);
  int kills = 0;
  for (; kills < 5 && accepted < kTotal; ++kills) {
    size_t at = accepted + 1000 + rng() % 3000;  // a random moment in the stream
    REQUIRE(wait_until([&] { return accepted >= at || publisher_failed; }, 20s));
    REQUIRE(gw.kill9().ok());
    REQUIRE(gw.start().ok());
  }
  publisher.join();
  REQUIRE_FALSE(publisher_failed);
  CHECK(kills == 5);
  REQUIRE(wait_until([&] { return check_sequences(cloud.received(), "sites/").distinct >= kTotal; }, 60s));
  auto report = check_sequences(cloud.received(), "sites/");
  CHECK(report.distinct == kTotal);  // 0 lost
  CHECK(report.order_ok);
  WARN("kill -9 x" << kills << " under 2,000 msg/s: " << kTotal << " accepted, " << report.distinct
                   << " distinct arrived, " << report.duplicates << " duplicates");
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does a batch whose commit fails (another process holds the database) lose nothing?",
          "[integration][delivery][busy]") {
  Site site({.routes = kRoutes});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& cloud = site.cloud();

  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((gw.state_dir() / "outbox.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);  // the write lock
  TestClient devices(site.local.uri(), "devices");
  REQUIRE(devices.connect().ok());
  publish_range(devices, 0, 200);
  // The gateway's transaction waits out its busy_timeout and fails.
  REQUIRE(wait_until([&] { return gw.log().find("commit failed, retrying") != std::string::npos; }, 20s));
  CHECK(cloud.count() == 0);
  REQUIRE(sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);

  REQUIRE(wait_until([&] { return check_sequences(cloud.received(), "sites/").distinct >= 200; }, 20s));
  auto report = check_sequences(cloud.received(), "sites/");
  CHECK(report.distinct == 200);
  CHECK(report.order_ok);
  REQUIRE(gw.stop().ok());
}
