// Faults under a live stream (reliability matrix): local broker restarts,
// SIGTERM, reload storms with broken rule files, and — as a soak — kill -9
// twenty times. CI runs each a few times; EDGEGW_SOAK=1 runs them as the
// matrix asks (20 restarts, 20 SIGTERMs, 100 reloads, 20 kills), see
// docs/testing.md.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <functional>
#include <map>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "support/gateway_fixture.h"
#include "support/log_text.h"
#include "support/mosquitto_broker.h"
#include "support/sequence_check.h"
#include "support/tcp_proxy.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const std::string kRoutes = "  - from: \"dev/+/state\"\n    to: \"sites/{{ topic[1] }}\"\n";
constexpr size_t kDevices = 10;

int rounds(int ci, int soak) { return std::getenv("EDGEGW_SOAK") ? soak : ci; }

struct StreamOptions {
  size_t padding = 0;  // bytes of ":xxx..." appended to each payload
  // When set, a message counts as accepted only if the gate was open both
  // when it was sent and when its PUBACK came back (the test opens it while
  // the gateway's subscription is known to exist); the others are counted
  // in uncounted().
  const std::atomic<bool>* gate = nullptr;
  // Appends ":<steady_clock microseconds at send>" so a test can measure latency.
  bool stamp = false;
};

// Publishes "<device>:<seq>" on dev/<device>/state at `rate` per second from
// its own thread, one QoS 1 message at a time; a message counts as accepted
// once the local broker acknowledged it. It rides out broker restarts by
// reconnecting (what was not acknowledged is not counted, and not resent).
class Stream {
 public:
  Stream(std::string uri, int rate, StreamOptions opts = {}) : uri_(std::move(uri)), rate_(rate), opts_(opts) {
    thread_ = std::thread([this] { run(); });
  }
  ~Stream() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  size_t accepted_count() const { return accepted_n_; }
  size_t uncounted() const { return uncounted_n_; }
  std::set<std::string> accepted() const {
    std::lock_guard lock(mu_);
    return accepted_;
  }

 private:
  bool gate_open() const { return opts_.gate == nullptr || opts_.gate->load(); }

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
      if (opts_.stamp) {
        const auto now = std::chrono::steady_clock::now().time_since_epoch();
        payload += ":" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
      }
      if (opts_.padding > 0) payload += ":" + std::string(opts_.padding, 'x');
      const bool open_before = gate_open();
      if (c->publish("dev/" + std::to_string(seq % kDevices) + "/state", payload, 1, false).ok()) {
        if (open_before && gate_open()) {
          std::lock_guard lock(mu_);
          accepted_.insert(std::move(payload));
          ++accepted_n_;
        } else {
          ++uncounted_n_;
        }
      } else {
        c.reset();
      }
    }
  }

  std::string uri_;
  int rate_;
  StreamOptions opts_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> accepted_n_{0};
  std::atomic<size_t> uncounted_n_{0};
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
  std::string first_missing;
  {
    std::set<std::string> got;
    for (const auto& m : cloud.received()) got.insert(m.payload);
    size_t listed = 0;
    for (const auto& a : accepted) {
      if (got.count(a) == 0 && listed++ < 20) first_missing += " " + a.substr(0, 40);
    }
  }
  INFO(accepted.size() << " accepted, " << report.distinct << " distinct arrived, " << report.duplicates
                       << " duplicates, " << missing() << " missing:" << first_missing);
  CHECK(missing() == 0);
  CHECK(report.order_ok);
  WARN(accepted.size() << " accepted, " << missing() << " lost, " << report.duplicates << " duplicates");
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

TEST_CASE(
    "Does the gateway resubscribe within 5 s of each restart of a local broker that forgot its session "
    "(sessionPresent=0), losing nothing accepted while it was subscribed?",
    "[integration][faults][broker-restarts][session-lost]") {
  // No persistence: each restart forgets the gateway's session and its
  // subscription, so the gateway is answered sessionPresent=0 and must
  // subscribe again. The broker logs each SUBSCRIBE ("log_type subscribe":
  // "<time>: <client id> <qos> <filter>") as it adds the subscription.
  MosquittoBroker local(BrokerOptions{.extra_config = {"log_type subscribe"}}), upstream;
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  TestClient cloud(upstream.uri(), "cloud");
  REQUIRE(cloud.connect().ok());
  REQUIRE(cloud.subscribe("sites/#", 1).ok());
  Gateway gw(gateway_yaml(local.port(), upstream.port(), kRoutes));
  REQUIRE(gw.start().ok());
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
    const size_t before = stream.accepted_count();
    REQUIRE(wait_until([&] { return stream.accepted_count() >= before + 200; }, 20s));
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
  const size_t before = stream.accepted_count();
  REQUIRE(wait_until([&] { return stream.accepted_count() >= before + 200; }, 20s));
  stream.stop();
  WARN(n << " restarts without persistence: slowest resubscribe " << slowest.count()
         << " ms after the broker was back; " << stream.uncounted()
         << " messages acknowledged while the gate was closed not counted");
  expect_all_arrived(stream, cloud, 60s);
  REQUIRE(gw.stop().ok());
}

namespace {

// The p-th percentile (0..100) of `v`, nearest rank; 0 for an empty list.
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

TEST_CASE(
    "Does the backlog of a long upstream outage at 50 events/s drain while live events keep flowing with bounded "
    "latency, losing nothing?",
    "[integration][faults][upstream-outage]") {
  using Clock = std::chrono::steady_clock;
  const auto outage = std::getenv("EDGEGW_SOAK") ? 300s : 20s;
  constexpr int kRate = 50;
  MosquittoBroker local(BrokerOptions{.persistence = true}), upstream;
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  // The gateway reaches the upstream through a relay the test can cut, so
  // the cloud's subscriber stays connected and stamps every arrival.
  TcpProxy wire(upstream.port());
  REQUIRE(wire.start().ok());
  TestClient cloud(upstream.uri(), "cloud");
  REQUIRE(cloud.connect().ok());
  REQUIRE(cloud.subscribe("sites/#", 1).ok());
  Gateway gw(gateway_yaml(local.port(), wire.port(), kRoutes));
  REQUIRE(gw.start().ok());
  Stream stream(local.uri(), kRate, {.stamp = true});
  REQUIRE(wait_until([&] { return stream.accepted_count() >= 2 * kRate; }, 20s));

  wire.cut(true);
  REQUIRE(wait_until([&] { return count_of(gw.log(), "upstream link: disconnected") >= 1; }, 10s));
  const size_t at_cut = stream.accepted_count();
  const auto outage_events = static_cast<size_t>(kRate * outage.count());
  // The rest of a long outage: on a fast Paho C the stream's own backlog
  // drains in a tenth of a second, leaving no live event behind it to
  // measure. kHistory more events, published at once, stand for 400 s more
  // at 50 events/s, so the drain lasts long enough to carry live traffic.
  constexpr size_t kHistory = 20'000;
  std::set<std::string> history_sent;
  {
    TestClient history(local.uri(), "history");
    REQUIRE(history.connect().ok());
    auto burst =
        history.publish_many({.count = kHistory,
                              .topic_of = [](size_t i) { return "dev/h" + std::to_string(i % kDevices) + "/state"; },
                              .payload_of = [](size_t i) { return "history:" + std::to_string(i); }});
    REQUIRE(burst.ok());
    for (size_t i = 0; i < kHistory; ++i) history_sent.insert("history:" + std::to_string(i));
  }
  // The outage lasts as long as the stream takes to publish its events.
  REQUIRE(wait_until([&] { return stream.accepted_count() >= at_cut + outage_events; }, outage + 60s));
  // Ingress went on: what the broker accepted is in the outbox (less the
  // last second's events, which may still be on their way in).
  const long backlog = gw.upstream_backlog();
  CHECK(backlog >= static_cast<long>(outage_events + kHistory) - kRate);

  const size_t connects = count_of(gw.log(), "upstream link: connected");
  auto queued = stream.accepted();  // what the backlog must deliver
  queued.insert(history_sent.begin(), history_sent.end());
  wire.cut(false);
  const auto up_at = Clock::now();
  REQUIRE(wait_until([&] { return count_of(gw.log(), "upstream link: connected") > connects; }, 10s));
  const auto reconnect = Clock::now() - up_at;
  CHECK(reconnect < 6s);  // reliability D4: reconnect.max (1 s here) + 5 s
  auto missing = [&] {
    std::set<std::string> got;
    for (const auto& m : cloud.received()) got.insert(m.payload);
    size_t n = 0;
    for (const auto& q : queued) n += got.count(q) == 0 ? 1 : 0;
    return n;
  };
  const bool all_arrived = wait_until([&] { return missing() == 0; }, 300s, 100ms);
  INFO(missing() << " of " << queued.size() << " queued events missing upstream; outbox " << gw.upstream_backlog()
                 << " row(s); " << cloud.received().size() << " received");
  REQUIRE(all_arrived);
  // Five more seconds of live traffic after the drain.
  const size_t drained_at = stream.accepted_count();
  REQUIRE(wait_until([&] { return stream.accepted_count() >= drained_at + 5 * kRate; }, 30s));
  stream.stop();
  expect_all_arrived(stream, cloud, 120s);

  // First arrival of each message, against the time it was sent.
  struct Arrival {
    Clock::time_point sent, arrived;
  };
  std::map<std::string, Arrival> first;
  for (const auto& m : cloud.received()) {
    if (first.count(m.payload)) continue;
    if (history_sent.count(m.payload)) {  // backlog, sent before the link came back
      first.emplace(m.payload, Arrival{up_at - 1s, m.received_at});
      continue;
    }
    const auto stamp = m.payload.rfind(':');
    REQUIRE(stamp != std::string::npos);
    const Clock::time_point sent{std::chrono::microseconds(std::stoll(m.payload.substr(stamp + 1)))};
    first.emplace(m.payload, Arrival{sent, m.received_at});
  }
  // The drain ends when the last message sent before the link came back
  // arrives; live events are those sent from then on.
  Clock::time_point drained = up_at;
  for (const auto& [payload, a] : first) {
    if (a.sent < up_at) drained = std::max(drained, a.arrived);
  }
  std::vector<double> during, after;
  for (const auto& [payload, a] : first) {
    if (a.sent < up_at) continue;
    (a.sent < drained ? during : after).push_back(seconds_between(a.sent, a.arrived));
  }
  const double drain_s = seconds_between(up_at, drained);
  const double p99_during = percentile(during, 99), p99_after = percentile(after, 99);
  WARN("outage " << outage.count() << " s at " << kRate << " events/s: backlog " << backlog << " rows; reconnect after "
                 << std::chrono::duration_cast<std::chrono::milliseconds>(reconnect).count() << " ms; drained "
                 << drain_s << " s after the link came back (" << double(backlog) / drain_s << " rows/s); "
                 << during.size() << " live events during the drain, latency p50 " << percentile(during, 50)
                 << " s, p99 " << p99_during << " s, max " << percentile(during, 100) << " s; after the drain p99 "
                 << p99_after << " s over " << after.size() << " events; VmHWM " << gw.proc_status_kib("VmHWM")
                 << " KiB");
  // The reconnect (backoff up to 1 s) and the drain of 21,000 rows leave
  // live events behind the backlog; with none, this test would measure nothing.
  REQUIRE(during.size() >= 5);
  // The bound. Rows are sent in outbox order (design.md: "new rows queue
  // behind" the backlog, per-topic order is never broken for live
  // traffic), so a live event sent at t >= link-up waits at most for the
  // backlog still ahead of it: latency <= (drain end - t) + its own path
  // latency <= drain duration + path latency. The path on loopback takes
  // milliseconds; 2 s covers a busy 2-core CI box. What this catches: live
  // rows starved after the backlog (left for a later pass, a timer, or the
  // next reconnect) or a drain that stalls part way.
  CHECK(p99_during < drain_s + 2.0);
  // Once drained, the stream is back to live latency.
  CHECK(p99_after < 2.0);
  // Reliability D4: the backlog drains at >= 250 events/s, reconnect included.
  CHECK(double(backlog) / drain_s >= 250.0);
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
           "      - publish: {to: local, topic: probe/out, payload: \"" +
           tag + " {{ payload }}\"}\n";
  };
  const std::string valid = rule("v0");
  std::ofstream(file) << valid;
  REQUIRE(gw.start().ok());
  Stream stream(local.uri(), 200);

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
  Stream stream(local.uri(), 200, {.padding = 1024});
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
  REQUIRE(upstream.start().ok());
  auto joined = cloud.join();
  REQUIRE(joined.ok());
  expect_all_arrived(stream, **joined, 60s);
  CHECK(gw.running());
  REQUIRE(gw.stop().ok());
  INFO(gw.log());
  CHECK(gw.log().find("critical") == std::string::npos);
}
