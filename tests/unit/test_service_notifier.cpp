// The systemd side of the daemon: the engine loop's WATCHDOG=1 at half the
// interval and STATUS= on state changes only (time is passed in), and the
// journal check of the logger. No systemd.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gateway/daemon/logging.h"
#include "gateway/observe/service_notifier.h"

using edgegw::Duration;
using edgegw::MonoTime;
using edgegw::gateway::Metrics;
using edgegw::gateway::ServiceNotifier;
using namespace std::chrono_literals;

namespace {

struct Capture {
  std::vector<std::string> sent;
  ServiceNotifier::Send sender() {
    return [this](std::string_view text) { sent.emplace_back(text); };
  }
  size_t count(const std::string& text) const {
    size_t n = 0;
    for (const auto& s : sent) n += s == text ? 1 : 0;
    return n;
  }
  std::vector<std::string> statuses() const {
    std::vector<std::string> out;
    for (const auto& s : sent) {
      if (s.rfind("STATUS=", 0) == 0) out.push_back(s);
    }
    return out;
  }
};

MonoTime at(Duration d) { return MonoTime(d); }

}  // namespace

TEST_CASE("Is WATCHDOG=1 sent at the first turn and then once per half interval?", "[service]") {
  Capture cap;
  Metrics m;
  ServiceNotifier n(cap.sender(), 30s, false);
  REQUIRE(n.watchdog_enabled());
  n.on_loop(at(100s), m);
  CHECK(cap.count("WATCHDOG=1") == 1);
  CHECK(n.next_due() == at(115s));
  for (auto t : {101s, 110s, 114s}) n.on_loop(at(t), m);  // a busy loop between pings
  CHECK(cap.count("WATCHDOG=1") == 1);
  n.on_loop(at(115s), m);
  CHECK(cap.count("WATCHDOG=1") == 2);
  CHECK(n.next_due() == at(130s));
}

TEST_CASE("After a pause in the loop, does its next turn ping once, not once per missed interval?", "[service]") {
  Capture cap;
  Metrics m;
  ServiceNotifier n(cap.sender(), 2s, false);
  n.on_loop(at(10s), m);
  // Nothing calls on_loop for 5 s (a hung loop): no ping is sent on its own,
  // so systemd's WatchdogSec runs out. The next turn pings once, not for each missed one.
  n.on_loop(at(15s), m);
  CHECK(cap.count("WATCHDOG=1") == 2);
}

TEST_CASE("Without WATCHDOG_USEC, is no ping sent and no wake-up asked for?", "[service]") {
  Capture cap;
  Metrics m;
  ServiceNotifier n(cap.sender(), Duration::zero(), true);
  CHECK_FALSE(n.watchdog_enabled());
  n.on_loop(at(1s), m);
  n.on_loop(at(100s), m);
  CHECK(cap.count("WATCHDOG=1") == 0);
  CHECK(n.next_due() == MonoTime::max());
}

TEST_CASE("Is STATUS= sent once at start and then only when a link state changes?", "[service]") {
  Capture cap;
  Metrics m;
  ServiceNotifier n(cap.sender(), Duration::zero(), true);
  n.on_loop(at(1s), m);
  n.on_loop(at(2s), m);
  REQUIRE(cap.statuses() == std::vector<std::string>{"STATUS=local: down; upstream: down; backlog: 0 rows"});
  m.connected[0] = true;
  n.on_loop(at(3s), m);
  n.on_loop(at(4s), m);
  m.connected[1] = true;
  n.on_loop(at(5s), m);
  m.connected[0] = false;
  m.ingress_paused = true;
  n.on_loop(at(6s), m);
  CHECK(cap.statuses() == std::vector<std::string>{
                              "STATUS=local: down; upstream: down; backlog: 0 rows",
                              "STATUS=local: connected; upstream: down; backlog: 0 rows",
                              "STATUS=local: connected; upstream: connected; backlog: 0 rows",
                              "STATUS=local: held down (journal backpressure); upstream: connected; backlog: 0 rows",
                          });
}

TEST_CASE("Does the backlog change STATUS= only when it crosses a power of ten?", "[service]") {
  Capture cap;
  Metrics m;
  m.connected[0] = true;
  ServiceNotifier n(cap.sender(), Duration::zero(), true);
  n.on_loop(at(1s), m);
  for (uint64_t rows : {3u, 7u, 9u, 12u, 99u, 1500u, 1200u, 0u}) {
    n.set_backlog(rows);
    n.on_loop(at(2s), m);
  }
  CHECK(cap.statuses() == std::vector<std::string>{
                              "STATUS=local: connected; upstream: down; backlog: 0 rows",
                              "STATUS=local: connected; upstream: down; backlog: 3 rows",
                              "STATUS=local: connected; upstream: down; backlog: 12 rows",
                              "STATUS=local: connected; upstream: down; backlog: 1500 rows",
                              "STATUS=local: connected; upstream: down; backlog: 0 rows",
                          });
}

TEST_CASE("Without an upstream, does STATUS= say so and leave the backlog out?", "[service]") {
  Metrics m;
  m.connected[0] = true;
  CHECK(ServiceNotifier::status_text(m, false, 42) == "local: connected; upstream: none");
}

TEST_CASE("What backlog level is a row count in?", "[service]") {
  CHECK(ServiceNotifier::backlog_level(0) == 0);
  CHECK(ServiceNotifier::backlog_level(1) == 1);
  CHECK(ServiceNotifier::backlog_level(9) == 1);
  CHECK(ServiceNotifier::backlog_level(10) == 10);
  CHECK(ServiceNotifier::backlog_level(999'999) == 100'000);
  CHECK(ServiceNotifier::backlog_level(UINT64_MAX) == 10'000'000'000'000'000'000ull);
}

// JOURNAL_STREAM is honoured only when it names our stderr (systemd.exec(5)).
TEST_CASE("Is JOURNAL_STREAM taken only when it names the file the fd is open on?", "[service]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  struct stat st {};
  REQUIRE(::fstat(fds[1], &st) == 0);
  std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  using edgegw::gateway::is_journal_stream;
  CHECK(is_journal_stream(mine.c_str(), fds[1]));
  CHECK_FALSE(is_journal_stream(other.c_str(), fds[1]));
  CHECK_FALSE(is_journal_stream(nullptr, fds[1]));
  CHECK_FALSE(is_journal_stream("", fds[1]));
  CHECK_FALSE(is_journal_stream((mine + "x").c_str(), fds[1]));
  ::close(fds[0]);
  ::close(fds[1]);
}
