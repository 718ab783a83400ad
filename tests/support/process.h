// tests/support/process.h — a child process owned by one test.
//
// ChildProcess runs a binary (fork + execve, no shell, no PATH search) with
// stdout and stderr redirected to files, and is stopped only BY ITS PID, never
// by name. Once the child has been reaped, signal() refuses to act, so a
// recycled pid is never hit. The child gets PR_SET_PDEATHSIG=SIGKILL, so a
// crashing test binary does not leave brokers or gateways behind.
//
// Threads: one owner thread; not safe for concurrent use. Failures are
// Status/Result values; nothing throws out of this API.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "support/temp_dir.h"

namespace edgegw::testing {

// How a child ended: exited with `code`, or was terminated by `signal`.
struct ExitStatus {
  int code = 0;
  int signal = 0;  // 0 when the child exited normally

  bool exited() const { return signal == 0; }
  bool operator==(const ExitStatus&) const = default;
  std::string describe() const;  // "exit 3" or "signal 9 (Killed)"
};

struct SpawnOptions {
  std::filesystem::path binary{};       // run as is; absolute paths recommended
  std::vector<std::string> args{};      // argv[1..]; argv[0] is `binary`
  std::vector<std::string> env{};       // "NAME=VALUE" overrides the inherited value; "NAME" unsets it
  bool inherit_env = true;              // start from this process's environment
  std::filesystem::path working_dir{};  // empty: inherit
  // Where <name>.stdout and <name>.stderr are written; empty: a TempDir owned
  // by the ChildProcess (removed with it).
  std::filesystem::path output_dir{};
  std::string name = "child";
};

class ChildProcess {
 public:
  // Starts the child. Fails (and leaves nothing running) when the output files
  // cannot be created or execve fails; the detail then carries strerror.
  static Result<ChildProcess> spawn(const SpawnOptions& opts);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // A child still running is SIGKILLed by pid and reaped.
  ~ChildProcess();

  pid_t pid() const { return pid_; }  // as spawned; stays set after reaping
  // Reaps the child if it has exited; true while it runs.
  bool running();
  // Sends `sig` to the pid. Fails once the child has been reaped.
  Status signal(int sig);
  // The exit status once the child ended within `deadline`, else nullopt.
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds deadline);
  // The exit status if the child has been reaped, without waiting.
  const std::optional<ExitStatus>& exit_status() const { return exit_; }
  // SIGKILL by pid and reap (the kernel finishes it promptly). No-op when the
  // child has already ended.
  Status kill9();
  // SIGTERM, wait up to `deadline`, then SIGKILL. Fails (after the SIGKILL)
  // when the child ignored SIGTERM, so a test relying on a clean shutdown
  // notices.
  Status terminate(std::chrono::milliseconds deadline);

  // Everything captured so far.
  std::string stdout_text() const;
  std::string stderr_text() const;
  const std::filesystem::path& stdout_path() const { return stdout_path_; }
  const std::filesystem::path& stderr_path() const { return stderr_path_; }
  // True once `needle` appears in stdout or stderr. Gives up at the deadline,
  // or early when the child has ended without printing it.
  bool wait_for_output(std::string_view needle, std::chrono::milliseconds deadline);

 private:
  ChildProcess() = default;
  bool try_reap();  // waitpid(WNOHANG); true once reaped
  bool output_contains(std::string_view needle) const;

  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_;
  std::optional<TempDir> own_dir_;  // set when opts.output_dir was empty
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
};

// The whole content of a file ("" when it cannot be read).
std::string read_file_text(const std::filesystem::path& path);

}  // namespace edgegw::testing
