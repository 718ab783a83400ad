#include "support/process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "support/wait.h"

extern char** environ;

namespace edgegw::testing {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Inherited environment with `overrides` applied by name.
std::vector<std::string> build_env(const SpawnOptions& opts) {
  std::vector<std::string> env;
  if (opts.inherit_env) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  }
  for (const auto& kv : opts.env) {
    const auto eq = kv.find('=');
    const std::string prefix = (eq == std::string::npos ? kv : kv.substr(0, eq)) + "=";
    std::erase_if(env, [&](const std::string& e) { return e.compare(0, prefix.size(), prefix) == 0; });
    if (eq != std::string::npos) env.push_back(kv);  // "NAME" alone unsets NAME
  }
  return env;
}

std::vector<char*> c_array(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

ExitStatus decode(int wstatus) {
  if (WIFSIGNALED(wstatus)) return ExitStatus{-1, WTERMSIG(wstatus)};
  return ExitStatus{WEXITSTATUS(wstatus), 0};
}

// Runs in the forked child: only async-signal-safe calls until execve, since
// the parent has other threads (Paho) whose locks may be held at fork time.
[[noreturn]] void exec_child(pid_t parent, int out_fd, int err_fd, int in_fd, int report_fd, const char* cwd,
                             char* const* argv, char* const* envp) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // parent died before prctl took effect
  // Paho ignores SIGPIPE and test threads may block signals; the child must
  // start from defaults or it would, e.g., survive a SIGTERM it should honour.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0 || (cwd != nullptr && ::chdir(cwd) != 0)) {
    const int err = errno;
    (void)!::write(report_fd, &err, sizeof err);
    ::_exit(127);
  }
  ::execve(argv[0], argv, envp);
  const int err = errno;
  (void)!::write(report_fd, &err, sizeof err);
  ::_exit(127);
}

struct Fds {
  int out = -1, err = -1, in = -1, report[2] = {-1, -1};
  ~Fds() {
    for (int fd : {out, err, in, report[0], report[1]})
      if (fd >= 0) ::close(fd);
  }
};

// Opens the child's stdin (/dev/null), stdout and stderr files, and the
// execve report pipe. Fails with errno's text.
Status open_fds(Fds& fds, const std::filesystem::path& out, const std::filesystem::path& err) {
  const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  fds.out = ::open(out.c_str(), flags, 0644);
  fds.err = ::open(err.c_str(), flags, 0644);
  fds.in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fds.out < 0 || fds.err < 0 || fds.in < 0) {
    return Status::error("open " + out.parent_path().string(), errno_text(errno));
  }
  // A CLOEXEC pipe tells an execve failure (errno written) from a started
  // child (pipe closed by a successful execve).
  if (::pipe2(fds.report, O_CLOEXEC) != 0) return Status::error("pipe", errno_text(errno));
  return Status();
}

// Blocks until the child has exec'd (pipe closed: 0) or failed (its errno).
int await_exec(Fds& fds) {
  ::close(fds.report[1]);
  fds.report[1] = -1;
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(fds.report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof child_errno) ? child_errno : 0;
}

}  // namespace

std::string ExitStatus::describe() const {
  if (exited()) return "exit " + std::to_string(code);
  return "signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
}

std::string read_file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& opts) {
  const std::string ctx = "spawn " + opts.binary.string();
  ChildProcess p;
  std::filesystem::path dir = opts.output_dir;
  if (dir.empty()) {
    p.own_dir_.emplace("edgegw-proc");
    if (!p.own_dir_->ok()) return Status::error(ctx, "cannot create a temp dir");
    dir = p.own_dir_->path();
  }
  p.stdout_path_ = dir / (opts.name + ".stdout");
  p.stderr_path_ = dir / (opts.name + ".stderr");

  Fds fds;
  if (auto s = open_fds(fds, p.stdout_path_, p.stderr_path_); !s.ok()) return Status::error(ctx, s.message());

  std::vector<std::string> argv_s{opts.binary.string()};
  argv_s.insert(argv_s.end(), opts.args.begin(), opts.args.end());
  std::vector<std::string> env_s = build_env(opts);
  auto argv = c_array(argv_s);
  auto envp = c_array(env_s);
  const std::string cwd = opts.working_dir.string();

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return Status::error(ctx, "fork: " + errno_text(errno));
  if (pid == 0) {
    exec_child(parent, fds.out, fds.err, fds.in, fds.report[1], cwd.empty() ? nullptr : cwd.c_str(), argv.data(),
               envp.data());
  }
  if (const int child_errno = await_exec(fds); child_errno != 0) {
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);  // it has already called _exit
    return Status::error(ctx, errno_text(child_errno));
  }
  p.pid_ = pid;
  return p;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      exit_(std::exchange(other.exit_, std::nullopt)),
      own_dir_(std::move(other.own_dir_)),
      stdout_path_(std::move(other.stdout_path_)),
      stderr_path_(std::move(other.stderr_path_)) {
  other.own_dir_.reset();
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    (void)kill9();
    pid_ = std::exchange(other.pid_, -1);
    exit_ = std::exchange(other.exit_, std::nullopt);
    own_dir_ = std::move(other.own_dir_);
    other.own_dir_.reset();
    stdout_path_ = std::move(other.stdout_path_);
    stderr_path_ = std::move(other.stderr_path_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { (void)kill9(); }

bool ChildProcess::try_reap() {
  if (exit_) return true;
  if (pid_ < 0) return false;
  int wstatus = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &wstatus, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_ = decode(wstatus);
    return true;
  }
  return false;
}

bool ChildProcess::running() { return pid_ > 0 && !try_reap(); }

Status ChildProcess::signal(int sig) {
  if (!running()) return Status::error("signal pid " + std::to_string(pid_), "the child has ended");
  if (::kill(pid_, sig) != 0) return Status::error("kill " + std::to_string(pid_), errno_text(errno));
  return Status();
}

std::optional<ExitStatus> ChildProcess::wait_exit(std::chrono::milliseconds deadline) {
  if (pid_ < 0) return exit_;
  wait_until([this] { return try_reap(); }, deadline);
  return exit_;
}

Status ChildProcess::kill9() {
  if (!running()) return Status();
  if (::kill(pid_, SIGKILL) != 0) return Status::error("kill -9 " + std::to_string(pid_), errno_text(errno));
  // SIGKILL cannot be ignored, so a blocking waitpid returns promptly.
  int wstatus = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &wstatus, 0);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) exit_ = decode(wstatus);
  return Status();
}

Status ChildProcess::terminate(std::chrono::milliseconds deadline) {
  if (!running()) return Status();
  if (auto s = signal(SIGTERM); !s.ok()) return running() ? s : Status();
  if (wait_exit(deadline)) return Status();
  (void)kill9();
  return Status::error("terminate pid " + std::to_string(pid_),
                       "ignored SIGTERM for " + std::to_string(deadline.count()) + " ms; killed with SIGKILL");
}

std::string ChildProcess::stdout_text() const { return read_file_text(stdout_path_); }
std::string ChildProcess::stderr_text() const { return read_file_text(stderr_path_); }

bool ChildProcess::output_contains(std::string_view needle) const {
  return stdout_text().find(needle) != std::string::npos || stderr_text().find(needle) != std::string::npos;
}

bool ChildProcess::wait_for_output(std::string_view needle, std::chrono::milliseconds deadline) {
  // Output is read again after the child ended, so its last lines count.
  wait_until([&] { return output_contains(needle) || !running(); }, deadline);
  return output_contains(needle);
}

}  // namespace edgegw::testing
