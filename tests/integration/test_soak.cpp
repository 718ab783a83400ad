// Faults under a live stream (reliability matrix): local broker restarts,
// SIGTERM, reload storms with broken rule files, and — as a soak — kill -9
// twenty times. CI runs each a few times; EDGEGW_SOAK=1 runs them as the
// matrix asks (20 restarts, 20 SIGTERMs, 100 reloads, 20 kills), see
// docs/testing.md.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "support/gateway_fixture.h"
#include "support/mosquitto_broker.h"
#include "support/sequence_check.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const std::string kRoutes = "  - from: \"dev/+/state\"\n    to: \"sites/{{ topic[1] }}\"\n";
constexpr size_t kDevices = 10;

int rounds(int ci, int soak) { return std::getenv("EDGEGW_SOAK") ? soak : ci; }

// Publishes "<device>:<seq>" on dev/<device>/state at `rate` per second from
// its own thread, one QoS 1 message at a time; a message counts as accepted
// once the local broker acknowledged it. It rides out broker restarts by
// reconnecting (what was not acknowledged is not counted, and not resent).
class Stream {
 public:
  Stream(std::string uri, int rate, size_t padding = 0) : uri_(std::move(uri)), rate_(rate), padding_(padding) {
    thread_ = std::thread([this] { run(); });
  }
  ~Stream() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  size_t accepted_count() const { return accepted_n_; }
  std::set<std::string> accepted() const {
    std::lock_guard lock(mu_);
    return accepted_;
  }

 private:
  void run() {
    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<TestClient> c;
    for (size_t seq = 0; !stop_; ++seq) {
      std::this_thread::sleep_until(start + seq * std::chrono::microseconds(1'000'000 / rate_));  // pacing
      if (!c) {
        c = std::make_unique<TestClient>(uri_, "stream");
        if (!c->connect().ok()) {
          c.reset();
          continue;
        }
      }
      std::string payload = seq_payload(seq % kDevices, seq);
      if (padding_ > 0) payload += ":" + std::string(padding_, 'x');
      if (c->publish("dev/" + std::to_string(seq % kDevices) + "/state", payload, 1, false).ok()) {
        std::lock_guard lock(mu_);
        accepted_.insert(std::move(payload));
        ++accepted_n_;
      } else {
        c.reset();
      }
    }
  }

  std::string uri_;
  int rate_;
  size_t padding_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> accepted_n_{0};
  mutable std::mutex mu_;
  std::set<std::string> accepted_;
  std::thread thread_;
};

// Every accepted message arrived upstream (duplicates allowed).
void expect_all_arrived(const Stream& stream, TestClient& cloud, std::chrono::seconds deadline) {
  const auto accepted = stream.accepted();
  auto missing = [&] {
    std::set<std::string> got;
    for (const auto& m : cloud.received()) got.insert(m.payload);
    size_t n = 0;
    for (const auto& a : accepted) n += got.count(a) == 0;
    return n;
  };
  CHECK(wait_until([&] { return missing() == 0; }, deadline));
  auto report = check_sequences(cloud.received(), "sites/");
  INFO(accepted.size() << " accepted, " << report.distinct << " distinct arrived, " << report.duplicates
                       << " duplicates, " << missing() << " missing");
  CHECK(missing() == 0);
  CHECK(report.order_ok);
  WARN(accepted.size() << " accepted, " << missing() << " lost, " << report.duplicates << " duplicates");
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("Does the gateway resubscribe within 5 s of each local broker restart under a stream, losing nothing?",
          "[integration][faults][broker-restarts]") {
  MosquittoBroker local(BrokerOptions{.persistence = true}), upstream;
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  TestClient cloud(upstream.uri(), "cloud");
  REQUIRE(cloud.connect().ok());
  REQUIRE(cloud.subscribe("sites/#", 1).ok());
  Gateway gw(gateway_yaml(local.port(), upstream.port(), kRoutes));
  REQUIRE(gw.start().ok());
  Stream stream(local.uri(), 200);
  const int n = rounds(3, 20);
  for (int i = 0; i < n; ++i) {
    const size_t before = stream.accepted_count();
    REQUIRE(wait_until([&] { return stream.accepted_count() >= before + 200; }, 20s));
    const size_t connects = count_of(gw.log(), "local link: connected");
    REQUIRE(local.restart().ok());
    const auto back = std::chrono::steady_clock::now();
    INFO("restart " << i + 1);
    REQUIRE(wait_until([&] { return count_of(gw.log(), "local link: connected") > connects; }, 5s));
    CHECK(std::chrono::steady_clock::now() - back < 5s);
  }
  const size_t before = stream.accepted_count();
  REQUIRE(wait_until([&] { return stream.accepted_count() >= before + 200; }, 20s));
  stream.stop();
  expect_all_arrived(stream, cloud, 60s);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does SIGTERM under a stream exit within 10 s every time, losing nothing?",
          "[integration][faults][sigterm]") {
  MosquittoBroker local(BrokerOptions{.persistence = true}), upstream;
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  TestClient cloud(upstream.uri(), "cloud");
  REQUIRE(cloud.connect().ok());
  REQUIRE(cloud.subscribe("sites/#", 1).ok());
  Gateway gw(gateway_yaml(local.port(), upstream.port(), kRoutes));
  REQUIRE(gw.start().ok());
  Stream stream(local.uri(), 200);
  const int n = rounds(3, 20);
  for (int i = 0; i < n; ++i) {
    const size_t before = stream.accepted_count();
    REQUIRE(wait_until([&] { return stream.accepted_count() >= before + 200; }, 20s));
    INFO("stop " << i + 1);
    REQUIRE(gw.stop(10s).ok());  // exit 0 within 10 s, or it fails
    REQUIRE(gw.start().ok());
  }
  stream.stop();
  expect_all_arrived(stream, cloud, 60s);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Do reloads with broken rule files under a stream keep the old rules every time, losing nothing?",
          "[integration][faults][reload-storm]") {
  MosquittoBroker local(BrokerOptions{.persistence = true}), upstream;
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  TestClient cloud(upstream.uri(), "cloud");
  REQUIRE(cloud.connect().ok());
  REQUIRE(cloud.subscribe("sites/#", 1).ok());
  TestClient probe(local.uri(), "probe");
  REQUIRE(probe.connect().ok());
  REQUIRE(probe.subscribe("probe/out", 1).ok());

  Gateway gw(gateway_yaml(local.port(), upstream.port(), kRoutes, "rules:\n  paths: [rules.d/main.yaml]\n"));
  const auto file = gw.dir() / "rules.d" / "main.yaml";
  std::filesystem::create_directories(file.parent_path());
  auto rule = [](const std::string& tag) {
    return "rules:\n  - id: probe\n    when: {topic: probe/in, if: 'matches(payload, \"^p\")'}\n    then:\n"
           "      - publish: {to: local, topic: probe/out, payload: \"" + tag + " {{ payload }}\"}\n";
  };
  const std::string valid = rule("v0");
  std::ofstream(file) << valid;
  REQUIRE(gw.start().ok());
  Stream stream(local.uri(), 200);

  const std::vector<std::function<void()>> broken = {
      [&] { std::ofstream(file) << "rules:\n  - id: probe\n    when: {topic: [\n"; },               // syntax
      [&] { std::ofstream(file) << rule("x").replace(rule("x").find("^p"), 2, "(p"); },             // bad regex
      [&] { std::filesystem::remove(file); },                                                       // missing
      [&] { std::ofstream(file, std::ios::trunc); },                                                // empty
      [&] { std::ofstream(file) << valid << std::string(10u << 20, '#') << "\n  - {\n"; },          // 10 MiB
      [&] { std::ofstream(file) << valid.substr(0, valid.size() / 2); },                            // truncated
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
  WARN("a valid save took effect after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(took < 1s);
  REQUIRE(probe.publish("probe/in", "pz", 1, false).ok());
  REQUIRE(probe.wait_for_count(++fired, 10s));
  CHECK(probe.received().back().payload == "v1 pz");
  stream.stop();
  expect_all_arrived(stream, cloud, 60s);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does kill -9 twenty times under a 200 events/s stream lose nothing, with the database sound after each?",
          "[.soak][integration][faults][kill-soak]") {
  MosquittoBroker local(BrokerOptions{.persistence = true}), upstream;
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  TestClient cloud(upstream.uri(), "cloud");
  REQUIRE(cloud.connect().ok());
  REQUIRE(cloud.subscribe("sites/#", 1).ok());
  Gateway gw(gateway_yaml(local.port(), upstream.port(), kRoutes));
  REQUIRE(gw.start().ok());
  Stream stream(local.uri(), 200);
  std::mt19937 rng(2026);
  for (int i = 0; i < 20; ++i) {
    const size_t at = stream.accepted_count() + 500 + rng() % 1000;  // a random moment
    REQUIRE(wait_until([&] { return stream.accepted_count() >= at; }, 30s));
    REQUIRE(gw.kill9().ok());
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((gw.state_dir() / "outbox.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    std::string verdict;
    sqlite3_exec(db, "PRAGMA quick_check", [](void* out, int, char** v, char**) {
      *static_cast<std::string*>(out) += v[0] ? v[0] : "";
      return 0;
    }, &verdict, nullptr);
    sqlite3_close(db);
    INFO("kill " << i + 1);
    CHECK(verdict == "ok");
    REQUIRE(gw.start().ok());
  }
  REQUIRE(wait_until([&] { return stream.accepted_count() >= 20000; }, 120s));
  stream.stop();
  expect_all_arrived(stream, cloud, 120s);
  REQUIRE(gw.stop().ok());
}

namespace {

// A small tmpfs mounted over a folder for the test's life (needs root, as CI has).
class SmallDisk {
 public:
  SmallDisk(const std::filesystem::path& at, const std::string& size) : at_(at) {
    std::filesystem::create_directories(at);
    ok_ = std::system(("mount -t tmpfs -o size=" + size + " tmpfs '" + at.string() + "'").c_str()) == 0;
  }
  ~SmallDisk() {
    if (ok_) (void)!std::system(("umount -l '" + at_.string() + "'").c_str());
  }
  bool ok() const { return ok_; }
  uint64_t free_bytes() const { return std::filesystem::space(at_).available; }

 private:
  std::filesystem::path at_;
  bool ok_ = false;
};

}  // namespace

TEST_CASE("Does a full disk under a stream hold intake without a crash, and resume within 5 s once space returns?",
          "[integration][faults][disk-full]") {
  MosquittoBroker local(BrokerOptions{.persistence = true, .extra_config = {"max_queued_messages 0"}});
  MosquittoBroker upstream(BrokerOptions{.persistence = true});
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  Cloud cloud(upstream.uri(), "sites/#");
  REQUIRE(cloud.subscribe_and_leave().ok());
  REQUIRE(upstream.stop().ok());  // rows pile up in the outbox on the small disk
  Gateway gw(gateway_yaml(local.port(), upstream.port(), kRoutes, "buffer:\n  journal_max: 2MiB\n"));
  SmallDisk disk(gw.state_dir(), "24m");
  REQUIRE(disk.ok());  // mount needs root (CI runs as root)
  REQUIRE(gw.start(false).ok());
  Stream stream(local.uri(), 200, 1024);
  REQUIRE(wait_until([&] { return stream.accepted_count() >= 400; }, 20s));

  const auto filler = gw.state_dir() / "filler";
  {
    const uint64_t fill = disk.free_bytes() - (1u << 20);  // leave 1 MiB: under journal_max
    std::ofstream out(filler, std::ios::binary);
    std::string chunk(1u << 20, 'f');
    for (uint64_t done = 0; done < fill; done += chunk.size()) out.write(chunk.data(), static_cast<std::streamsize>(std::min<uint64_t>(chunk.size(), fill - done)));
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
  REQUIRE(upstream.start().ok());
  auto joined = cloud.join();
  REQUIRE(joined.ok());
  expect_all_arrived(stream, **joined, 60s);
  CHECK(gw.running());
  REQUIRE(gw.stop().ok());
  INFO(gw.log());
  CHECK(gw.log().find("critical") == std::string::npos);
}
