// Faults under a live stream (reliability matrix): local broker restarts,
// SIGTERM, reload storms with broken rule files, a full disk, and — as a
// soak — kill -9 twenty times (the upstream outage: test_outage.cpp). CI runs each a few times; EDGEGW_SOAK=1 runs them
// as the matrix asks (20 restarts, 20 SIGTERMs, 100 reloads, 20 kills), see docs/testing.md.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>

#include "stream_checks.h"
#include "support/log_text.h"
#include "support/site.h"
#include "support/small_disk.h"
#include "support/stream.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const std::string kRoutes = "  - from: \"dev/+/state\"\n    to: \"sites/{{ topic[1] }}\"\n";

int rounds(int ci, int soak) { return std::getenv("EDGEGW_SOAK") ? soak : ci; }

}  // namespace

TEST_CASE("Does the gateway resubscribe within 5 s of each local broker restart under a stream, losing nothing?",
          "[integration][faults][broker-restarts]") {
  Site site({.local = {.persistence = true}, .routes = kRoutes});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  MosquittoBroker& local = site.local;
  Stream stream(local.uri(), 200);
  const int n = rounds(3, 20);
  for (int i = 0; i < n; ++i) {
    REQUIRE(stream.wait_for_more(200, 20s));
    const size_t connects = count_of(gw.log(), "local link: connected");
    REQUIRE(local.restart().ok());
    const auto back = std::chrono::steady_clock::now();
    INFO("restart " << i + 1);
    REQUIRE(wait_until([&] { return count_of(gw.log(), "local link: connected") > connects; }, 5s));
    CHECK(std::chrono::steady_clock::now() - back < 5s);
  }
  REQUIRE(stream.wait_for_more(200, 20s));
  stream.stop();
  expect_all_arrived(stream, site.cloud(), 60s);
  REQUIRE(gw.stop().ok());
}

TEST_CASE(
    "Does the gateway resubscribe within 5 s of each restart of a local broker that forgot its session "
    "(sessionPresent=0), losing nothing accepted while it was subscribed?",
    "[integration][faults][broker-restarts][session-lost]") {
  // No persistence: each restart forgets the gateway's session and its
  // subscription, so the gateway is answered sessionPresent=0 and must
  // subscribe again. The broker logs each SUBSCRIBE ("log_type subscribe":
  // "<time>: <client id> <qos> <filter>") as it adds the subscription.
  Site site({.local = {.extra_config = {"log_type subscribe"}}, .routes = kRoutes});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  MosquittoBroker& local = site.local;
  TestClient& cloud = site.cloud();
  // (the filters are the gateway's business: a line per filter it asked for)
  const std::string subscribe_line = ": edgegw-it-gw-local 1 ";
  REQUIRE(count_of(local.log_text(), subscribe_line) >= 1);
  auto new_sessions = [&] {
    size_t n = 0;
    std::istringstream in(gw.log());
    for (std::string line; std::getline(in, line);) {
      n += line.find("local link: connected") != std::string::npos && line.find("(session new)") != std::string::npos;
    }
    return n;
  };
  // Counted = PUBACKed by the broker while the gateway's subscription
  // existed: the gate closes before each restart and opens once the broker
  // has logged the gateway's new SUBSCRIBE. What the stream publishes in
  // between goes to a broker with no subscriber (dropped by design) or is
  // still queued in the broker when it stops (a broker without persistence
  // loses its queue: test_brokers.cpp); those messages are not counted
  // (stream.uncounted()), but the stream keeps publishing through each
  // restart. So that the broker holds no counted message when it stops,
  // every counted message must have arrived upstream before each restart:
  // that is also the loss check, round by round.
  std::atomic<bool> subscribed{true};
  Stream stream(local.uri(), 200, {.gate = &subscribed});
  auto all_arrived = [&] {
    const auto accepted = stream.accepted();
    std::set<std::string> got;
    for (const auto& m : cloud.received()) got.insert(m.payload);
    for (const auto& a : accepted) {
      if (got.count(a) == 0) return false;
    }
    return true;
  };
  const int n = rounds(3, 20);
  std::chrono::milliseconds slowest{0};
  for (int i = 0; i < n; ++i) {
    INFO("restart " << i + 1);
    REQUIRE(stream.wait_for_more(200, 20s));
    const size_t subscribes = count_of(local.log_text(), subscribe_line);
    const size_t sessions = new_sessions();
    subscribed = false;
    REQUIRE(wait_until(all_arrived, 30s, 100ms));
    REQUIRE(local.restart().ok());
    const auto back = std::chrono::steady_clock::now();
    REQUIRE(wait_until([&] { return count_of(local.log_text(), subscribe_line) > subscribes; }, 10s));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - back);
    subscribed = true;
    slowest = std::max(slowest, took);
    CHECK(took < 5s);
    // The broker really forgot: the gateway saw sessionPresent=0.
    CHECK(wait_until([&] { return new_sessions() > sessions; }, 5s));
  }
  REQUIRE(stream.wait_for_more(200, 20s));
  stream.stop();
  WARN(n << " restarts without persistence: slowest resubscribe " << slowest.count()
         << " ms after the broker was back; " << stream.uncounted()
         << " messages acknowledged while the gate was closed not counted");
  expect_all_arrived(stream, cloud, 60s);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does SIGTERM under a stream exit within 10 s every time, losing nothing?",
          "[integration][faults][sigterm]") {
  Site site({.local = {.persistence = true}, .routes = kRoutes});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  Stream stream(site.local.uri(), 200);
  for (int i = 0; i < rounds(3, 20); ++i) {
    REQUIRE(stream.wait_for_more(200, 20s));
    INFO("stop " << i + 1);
    REQUIRE(gw.stop(10s).ok());  // exit 0 within 10 s, or it fails
    REQUIRE(gw.start().ok());
  }
  stream.stop();
  expect_all_arrived(stream, site.cloud(), 60s);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Do reloads with broken rule files under a stream keep the old rules every time, losing nothing?",
          "[integration][faults][reload-storm]") {
  Site site({.local = {.persistence = true},
             .routes = kRoutes,
             .extra = "rules:\n  paths: [rules.d/main.yaml]\n",
             .watcher = SiteClient{"probe", {"probe/out"}}});
  REQUIRE(site.prepare().ok());
  Gateway& gw = site.gw();
  TestClient& probe = site.watcher();
  const auto file = gw.dir() / "rules.d" / "main.yaml";
  std::filesystem::create_directories(file.parent_path());
  auto rule = [](const std::string& tag) {
    return "rules:\n  - id: probe\n    when: {topic: probe/in, if: 'matches(payload, \"^p\")'}\n    then:\n"
           "      - publish: {to: local, topic: probe/out, payload: \"" +
           tag + " {{ payload }}\"}\n";
  };
  const std::string valid = rule("v0");
  std::ofstream(file) << valid;
  REQUIRE(site.start_gateway().ok());
  Stream stream(site.local.uri(), 200);

  const std::vector<std::function<void()>> broken = {
      [&] { std::ofstream(file) << "rules:\n  - id: probe\n    when: {topic: [\n"; },       // syntax
      [&] { std::ofstream(file) << rule("x").replace(rule("x").find("^p"), 2, "(p"); },     // bad regex
      [&] { std::filesystem::remove(file); },                                               // missing
      [&] { std::ofstream(file, std::ios::trunc); },                                        // empty
      [&] { std::ofstream(file) << valid << std::string(10u << 20, '#') << "\n  - {\n"; },  // 10 MiB
      [&] { std::ofstream(file) << valid.substr(0, valid.size() / 2); },                    // truncated
  };
  const int n = rounds(12, 100);
  size_t fired = 0;
  for (int i = 0; i < n; ++i) {
    INFO("reload " << i + 1);
    const size_t errors = count_of(gw.log(), "the old rules stay in force");
    broken[static_cast<size_t>(i) % broken.size()]();
    REQUIRE(gw.signal(SIGHUP).ok());
    REQUIRE(wait_until([&] { return count_of(gw.log(), "the old rules stay in force") > errors; }, 10s));
    REQUIRE(probe.publish("probe/in", "p" + std::to_string(i), 1, false).ok());  // the old rule still fires
    REQUIRE(probe.wait_for_count(++fired, 10s));
    CHECK(probe.received().back().payload == "v0 p" + std::to_string(i));
  }
  // A valid file takes effect within a second of being saved.
  const size_t loads = count_of(gw.log(), "rule(s) loaded");
  std::ofstream(file) << rule("v1");
  const auto saved = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return count_of(gw.log(), "rule(s) loaded") > loads; }, 5s));
  const auto took = std::chrono::steady_clock::now() - saved;
  WARN("a valid save took effect after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                         << " ms");
  CHECK(took < 1s);
  REQUIRE(probe.publish("probe/in", "pz", 1, false).ok());
  REQUIRE(probe.wait_for_count(++fired, 10s));
  CHECK(probe.received().back().payload == "v1 pz");
  stream.stop();
  expect_all_arrived(stream, site.cloud(), 60s);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does kill -9 twenty times under a 200 events/s stream lose nothing, with the database sound after each?",
          "[.soak][integration][faults][kill-soak]") {
  Site site({.local = {.persistence = true}, .routes = kRoutes});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  Stream stream(site.local.uri(), 200);
  std::mt19937 rng(2026);
  for (int i = 0; i < 20; ++i) {
    const size_t at = stream.accepted_count() + 500 + rng() % 1000;  // a random moment
    REQUIRE(wait_until([&] { return stream.accepted_count() >= at; }, 30s));
    REQUIRE(gw.kill9().ok());
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((gw.state_dir() / "outbox.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    std::string verdict;
    sqlite3_exec(
        db, "PRAGMA quick_check",
        [](void* out, int, char** v, char**) {
          *static_cast<std::string*>(out) += v[0] ? v[0] : "";
          return 0;
        },
        &verdict, nullptr);
    sqlite3_close(db);
    INFO("kill " << i + 1);
    CHECK(verdict == "ok");
    REQUIRE(gw.start().ok());
  }
  REQUIRE(wait_until([&] { return stream.accepted_count() >= 20000; }, 120s));
  stream.stop();
  expect_all_arrived(stream, site.cloud(), 120s);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does a full disk under a stream hold intake without a crash, and resume within 5 s once space returns?",
          "[integration][faults][disk-full]") {
  Site site(cloud_session({.local = {.persistence = true, .extra_config = {"max_queued_messages 0"}},
                           .upstream = {.persistence = true},
                           .routes = kRoutes,
                           .extra = "buffer:\n  journal_max: 2MiB\n"},
                          /*upstream_down=*/true));  // rows pile up in the outbox on the small disk
  REQUIRE(site.prepare().ok());
  Gateway& gw = site.gw();
  SmallDisk disk(gw.state_dir(), "24m");
  REQUIRE(disk.ok());  // mount needs root (CI runs as root)
  REQUIRE(site.start_gateway().ok());
  Stream stream(site.local.uri(), 200, {.padding = 1024});
  REQUIRE(wait_until([&] { return stream.accepted_count() >= 400; }, 20s));

  const auto filler = gw.state_dir() / "filler";
  {
    const uint64_t fill = disk.free_bytes() - (1u << 20);  // leave 1 MiB: under journal_max
    std::ofstream out(filler, std::ios::binary);
    std::string chunk(1u << 20, 'f');
    for (uint64_t done = 0; done < fill; done += chunk.size())
      out.write(chunk.data(), static_cast<std::streamsize>(std::min<uint64_t>(chunk.size(), fill - done)));
  }
  REQUIRE(wait_until([&] { return gw.log().find("state_dir is low on space") != std::string::npos; }, 10s));
  const size_t held_at = stream.accepted_count();
  REQUIRE(wait_until([&] { return stream.accepted_count() >= held_at + 400; }, 20s));  // the broker queues meanwhile
  CHECK(gw.running());

  const size_t resumes = count_of(gw.log(), "local link: resuming intake");
  std::filesystem::remove(filler);
  const auto freed = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return count_of(gw.log(), "local link: resuming intake") > resumes; }, 10s));
  const auto resumed = std::chrono::steady_clock::now() - freed;
  WARN("intake resumed " << std::chrono::duration_cast<std::chrono::milliseconds>(resumed).count()
                         << " ms after space returned");
  CHECK(resumed < 5s);
  const size_t after = stream.accepted_count();
  REQUIRE(wait_until([&] { return stream.accepted_count() >= after + 200; }, 20s));
  stream.stop();
  REQUIRE(site.upstream.start().ok());
  auto joined = site.session().join();
  REQUIRE(joined.ok());
  expect_all_arrived(stream, **joined, 60s);
  CHECK(gw.running());
  REQUIRE(gw.stop().ok());
  INFO(gw.log());
  CHECK(gw.log().find("critical") == std::string::npos);
}
