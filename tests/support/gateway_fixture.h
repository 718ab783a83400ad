// tests/support/gateway_fixture.h — the real edgegw binary under test.
//
// Writes a gateway.yaml into its own temp dir (state_dir beside it), runs
// `edgegw run -c` as a child process, and waits on its log lines with
// deadlines. Stops it by pid.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "support/process.h"
#include "support/test_client.h"
#include "support/temp_dir.h"

namespace edgegw::testing {

class Gateway {
 public:
  // `yaml` is the whole gateway.yaml; `{state_dir}` in it is replaced.
  explicit Gateway(const std::string& yaml);
  ~Gateway();

  // Starts `edgegw run` and waits until the local subscriptions are in place
  // (and, with `wait_upstream`, the upstream link is connected).
  Status start(bool wait_upstream = true);
  // Starts `edgegw run` and waits until its log shows `text` (e.g. a start
  // on a full disk, where the local link stays held down).
  Status start_until(const std::string& text, std::chrono::milliseconds deadline = std::chrono::milliseconds(10'000));
  // SIGTERM; fails unless it exits 0 within `deadline`.
  Status stop(std::chrono::milliseconds deadline = std::chrono::milliseconds(10'000));
  Status kill9();
  Status signal(int sig);
  bool running();
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  // /proc/PID/status field in KiB (VmRSS, VmHWM); -1 when not running.
  long proc_status_kib(const std::string& field) const;

  // `edgegw buffer stats --json` field of one link (messages, dropped_full, ...); -1 on failure.
  long buffer_stat(const std::string& link, const std::string& field) const;
  // Rows waiting for the upstream (or -1 on failure).
  long upstream_backlog() const { return buffer_stat("upstream", "messages"); }
  // Runs an edgegw subcommand against this config; returns exit code and output.
  struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
  };
  CommandResult command(const std::vector<std::string>& args) const;

  // Extra environment for the next start()s ("NAME=VALUE"), e.g. LD_PRELOAD.
  void set_env(std::vector<std::string> env) { env_ = std::move(env); }

  std::string log() const;  // stderr of every run so far
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path config_path() const { return dir_ / "gateway.yaml"; }
  std::filesystem::path state_dir() const { return dir_ / "state"; }

 private:
  TempDir dir_{"edgegw-gw"};
  std::optional<ChildProcess> process_;
  std::string past_logs_;
  std::vector<std::string> env_;
  int runs_ = 0;
};

// The cloud side of a test: a persistent MQTT 5 session on the upstream
// broker (with persistence on, it survives the broker's restart), so what
// the gateway delivers while the test's client is away waits for it.
class Cloud {
 public:
  explicit Cloud(std::string uri, std::string filter = "sites/#") : uri_(std::move(uri)), filter_(std::move(filter)) {}
  static ConnectOptions session() { return {.clean_start = false, .session_expiry = std::chrono::hours(1)}; }
  // Creates the session and its subscription, then disconnects.
  Status subscribe_and_leave();
  // Connects to the session; messages queued for it start arriving.
  Result<TestClient*> join();

 private:
  std::string uri_;
  std::string filter_;
  std::unique_ptr<TestClient> client_;
};

// gateway.yaml for a local and an upstream broker on loopback ports, with
// `routes` (a YAML list, indented by two spaces) and extra sections appended.
std::string gateway_yaml(int local_port, int upstream_port, const std::string& routes, const std::string& extra = "");

}  // namespace edgegw::testing
