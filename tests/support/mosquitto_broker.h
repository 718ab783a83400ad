// tests/support/mosquitto_broker.h — a private Mosquitto broker for one test.
//
// Each broker gets a free loopback TCP port and its own temp dir holding
// mosquitto.conf, mosquitto.log and (when asked) the persistence file. It is
// started as a ChildProcess and stopped only by its pid (SIGTERM, then
// SIGKILL), never by name. restart() keeps the port and the persistence dir,
// so a persistent session survives it exactly as it would in production.
//
// Threads: one owner thread. Failures are Status values with the log tail in
// the detail; nothing throws. The destructor stops the broker and removes the
// temp dir (keep it with EDGEGW_KEEP_TEST_DIRS=1).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace edgegw::testing {

struct BrokerOptions {
  bool persistence = false;                 // persistence true, in the broker's temp dir
  std::vector<std::string> extra_config{};  // lines appended to mosquitto.conf
  std::chrono::milliseconds start_deadline{10'000};
  std::chrono::milliseconds stop_deadline{10'000};  // SIGTERM grace before SIGKILL
  std::filesystem::path binary = "/usr/sbin/mosquitto";
};

class MosquittoBroker {
 public:
  explicit MosquittoBroker(BrokerOptions opts = {});
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  // Starts the broker and returns once it accepts TCP connections. The first
  // start picks a free port and retries with another one if it lost a race
  // for it; later starts reuse the port. Fails when the broker is running.
  Status start();
  // SIGTERM (Mosquitto then writes its persistence file), SIGKILL after
  // stop_deadline. Fails if SIGKILL was needed or the broker had already died
  // on its own. No-op when not running.
  Status stop();
  // SIGKILL by pid: a crash, nothing is saved.
  Status kill9();
  // stop() then start() on the same port and persistence dir.
  Status restart();

  bool running();
  int port() const { return port_; }  // 0 until the first start
  std::string uri() const;            // "tcp://127.0.0.1:PORT"
  pid_t pid() const;                  // -1 when never started
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path config_path() const { return dir_ / "mosquitto.conf"; }
  std::filesystem::path log_path() const { return dir_ / "mosquitto.log"; }
  std::string log_text() const;  // the whole log, all runs

 private:
  Status start_on(int port);  // one attempt on one port
  Status write_config(int port) const;
  bool accepts_connection() const;
  std::string log_tail() const;

  BrokerOptions opts_;
  TempDir dir_{"edgegw-mosquitto"};
  int port_ = 0;
  std::optional<ChildProcess> process_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it
// back, close). Another process may take it before it is used: callers retry.
Result<int> pick_free_port();

}  // namespace edgegw::testing
