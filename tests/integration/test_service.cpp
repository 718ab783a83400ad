// The daemon under systemd's notify protocol, without systemd: the test
// binds the NOTIFY_SOCKET datagram socket itself, sets WATCHDOG_USEC, and
// reads what `edgegw run` sends (READY=1, WATCHDOG=1, STATUS=, STOPPING=1).
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sqlite3.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "support/gateway_fixture.h"
#include "support/mosquitto_broker.h"
#include "support/process.h"
#include "support/test_client.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// The listening end of NOTIFY_SOCKET: one datagram per sd_notify() call,
// possibly several NAME=VALUE lines in one.
class NotifyListener {
 public:
  explicit NotifyListener(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~NotifyListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return bound_; }

  struct Message {
    std::string line;
    Clock::time_point at;
  };
  // Takes every datagram waiting; never blocks.
  const std::vector<Message>& poll() {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd_, buf, sizeof buf, 0)) > 0;) {
      std::string text(buf, static_cast<size_t>(n));
      for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) got_.push_back({text.substr(start, end - start), Clock::now()});
        start = end + 1;
      }
    }
    return got_;
  }
  size_t count(const std::string& line) {
    size_t n = 0;
    for (const auto& m : poll()) n += m.line == line ? 1 : 0;
    return n;
  }
  bool has(const std::string& line) { return count(line) > 0; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<Message> got_;
};

std::string status_lines(NotifyListener& n) {
  std::string out;
  for (const auto& m : n.poll()) {
    if (m.line.rfind("STATUS=", 0) == 0) out += m.line + "\n";
  }
  return out;
}

// Writes `yaml` (from gateway_yaml(), its state_dir in `dir`) to
// dir/gateway.yaml and starts `edgegw run` on it with `env`, NOTIFY_SOCKET
// pointing at dir/notify.sock.
edgegw::Result<ChildProcess> run_notifying(const TempDir& dir, std::string yaml, std::vector<std::string> env) {
  yaml.replace(yaml.find("{state_dir}"), 11, (dir / "state").string());
  std::ofstream(dir / "gateway.yaml") << yaml;
  SpawnOptions opts;
  opts.binary = EDGEGW_BINARY;
  opts.args = {"run", "-c", (dir / "gateway.yaml").string()};
  opts.output_dir = dir.path();
  opts.env = std::move(env);
  opts.env.push_back("NOTIFY_SOCKET=" + (dir / "notify.sock").string());
  return ChildProcess::spawn(opts);
}

// Both brokers, a notify socket, and `edgegw run` on them with a 1 s
// watchdog: pings are due every 500 ms, twice as often as the idle loop's
// own 1 s timers would wake it.
struct WatchedGateway {
  explicit WatchedGateway(const std::string& routes) : gw(start(routes)) {}
  MosquittoBroker local, upstream;
  TempDir dir{"edgegw-svc"};
  NotifyListener notify{dir / "notify.sock"};
  edgegw::Result<ChildProcess> gw;

 private:
  edgegw::Result<ChildProcess> start(const std::string& routes) {
    REQUIRE(local.start().ok());
    REQUIRE(upstream.start().ok());
    REQUIRE(notify.ok());
    return run_notifying(dir, gateway_yaml(local.port(), upstream.port(), routes),
                         {"JOURNAL_STREAM", "WATCHDOG_PID", "WATCHDOG_USEC=1000000"});
  }
};

}  // namespace

TEST_CASE(
    "Under systemd's notify protocol, does edgegw feed the watchdog at half WATCHDOG_USEC and report its links in "
    "STATUS?",
    "[integration][service]") {
  WatchedGateway w("");
  auto& notify = w.notify;
  auto& gw = w.gw;
  REQUIRE(gw.ok());

  REQUIRE(wait_until([&] { return notify.has("READY=1"); }, 15s));
  REQUIRE(wait_until([&] { return notify.count("WATCHDOG=1") >= 6; }, 15s));
  // An idle loop still pings in time: no gap reaches the 1 s interval.
  std::vector<Clock::time_point> pings;
  for (const auto& m : notify.poll()) {
    if (m.line == "WATCHDOG=1") pings.push_back(m.at);
  }
  auto max_gap = 0ms;
  for (size_t i = 1; i < pings.size(); ++i) {
    max_gap = std::max(max_gap, std::chrono::duration_cast<std::chrono::milliseconds>(pings[i] - pings[i - 1]));
  }
  INFO("largest gap between pings: " << max_gap.count() << " ms");
  CHECK(max_gap < 900ms);

  const std::string up = "STATUS=local: connected; upstream: connected; backlog: 0 rows";
  REQUIRE(wait_until([&] { return notify.has(up); }, 15s));
  REQUIRE(w.upstream.stop().ok());
  const std::string down = "STATUS=local: connected; upstream: down; backlog: 0 rows";
  CHECK(wait_until([&] { return notify.has(down); }, 15s));
  INFO(status_lines(notify));
  CHECK(notify.count(up) == 1);  // state changes only, not a line per turn

  REQUIRE(gw->signal(SIGTERM).ok());
  auto st = gw->wait_exit(20s);
  REQUIRE(st);
  CHECK(st->code == 0);
  CHECK(wait_until([&] { return notify.has("STOPPING=1"); }, 2s));
}

TEST_CASE("Without WATCHDOG_USEC, does edgegw send no watchdog pings?", "[integration][service]") {
  MosquittoBroker local;
  REQUIRE(local.start().ok());
  TempDir dir("edgegw-svc");
  NotifyListener notify(dir / "notify.sock");
  REQUIRE(notify.ok());
  auto gw = run_notifying(dir, gateway_yaml(local.port(), 0, ""), {"JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID"});
  REQUIRE(gw.ok());
  REQUIRE(wait_until([&] { return notify.has("STATUS=local: connected; upstream: none"); }, 15s));
  // READY=1 comes once /healthz would first answer 200 (the collector looks
  // once per loop turn); with a watchdog the first turn would already have pinged.
  REQUIRE(wait_until([&] { return notify.has("READY=1"); }, 15s));
  REQUIRE(gw->signal(SIGTERM).ok());
  REQUIRE(gw->wait_exit(20s));
  CHECK(notify.count("WATCHDOG=1") == 0);
}

// The watchdog is fed by the engine loop's turns and by nothing else: when
// the loop is stuck, systemd must see the pings stop. The test stalls the
// engine thread for real: it holds outbox.db's write lock, so the engine's
// next BEGIN IMMEDIATE waits out SQLite's 5 s busy timeout, while Paho's
// threads and the HTTP thread run on.
TEST_CASE("Does a loop that stops turning stop feeding the watchdog?", "[integration][service]") {
  WatchedGateway w("  - from: \"sensors/#\"\n");
  auto& notify = w.notify;
  auto& gw = w.gw;
  REQUIRE(gw.ok());
  REQUIRE(wait_until([&] { return notify.has("READY=1") && notify.count("WATCHDOG=1") >= 3; }, 15s));
  auto last_ping = [&] {
    Clock::time_point last{};
    for (const auto& m : notify.poll()) {
      if (m.line == "WATCHDOG=1") last = m.at;
    }
    return last;
  };

  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(((w.dir / "state") / "outbox.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);  // the write lock
  TestClient device(w.local.uri(), "device");
  REQUIRE(device.connect().ok());
  REQUIRE(device.publish("sensors/kitchen", "{\"t\":21}", 1, false).ok());  // the engine must commit it
  // No ping for 2.5 s, more than twice WATCHDOG_USEC: systemd would kill it.
  const bool stopped = wait_until([&] { return Clock::now() - last_ping() > 2500ms; }, 10s);
  REQUIRE(sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  CHECK(stopped);
  // Once the lock is gone the loop turns again, and pings again.
  const auto released = Clock::now();
  CHECK(wait_until([&] { return last_ping() > released; }, 10s));
  REQUIRE(gw->signal(SIGTERM).ok());
  REQUIRE(gw->wait_exit(20s));
}
