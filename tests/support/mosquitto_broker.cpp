#include "support/mosquitto_broker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "support/wait.h"

namespace edgegw::testing {
namespace {

constexpr int kPortAttempts = 5;
constexpr const char* kLoopback = "127.0.0.1";

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, kLoopback, &addr.sin_addr);
  return addr;
}

// The last `lines` lines of `text`, for error details.
std::string tail(const std::string& text, int lines) {
  std::size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;  // a final newline ends the last line
  std::size_t pos = end;
  while (lines-- > 0) {
    if (pos == 0) return text;
    const auto nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
  }
  return pos < text.size() ? text.substr(pos + 1) : std::string();
}

}  // namespace

Result<int> pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::error("pick_free_port", std::strerror(errno));
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  Result<int> port = Status::error("pick_free_port", "bind/getsockname failed");
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = static_cast<int>(ntohs(addr.sin_port));
  } else {
    port = Status::error("pick_free_port", std::strerror(errno));
  }
  ::close(fd);
  return port;
}

MosquittoBroker::MosquittoBroker(BrokerOptions opts) : opts_(std::move(opts)) {}

MosquittoBroker::~MosquittoBroker() { (void)stop(); }

std::string MosquittoBroker::uri() const { return "tcp://" + std::string(kLoopback) + ":" + std::to_string(port_); }

pid_t MosquittoBroker::pid() const { return process_ ? process_->pid() : -1; }

bool MosquittoBroker::running() { return process_ && process_->running(); }

std::string MosquittoBroker::log_text() const { return read_file_text(log_path()); }

std::string MosquittoBroker::log_tail() const {
  std::string out = tail(log_text(), 15);
  if (process_) out += tail(process_->stderr_text(), 5);
  return out;
}

Status MosquittoBroker::write_config(int port) const {
  std::ofstream conf(config_path(), std::ios::trunc);
  conf << "# written by edgegw's MosquittoBroker test support\n"
       << "listener " << port << " " << kLoopback << "\n"
       << "allow_anonymous true\n"
       << "persistence " << (opts_.persistence ? "true" : "false")
       << "\n"
       // Mosquitto requires the trailing slash on a directory.
       << "persistence_location " << dir().string()
       << "/\n"
       // design.md: the local broker must queue the gateway's events while it
       // is away, including QoS 0 (Mosquitto's defaults are 1000 and off).
       << "max_queued_messages 1000000\n"
       << "queue_qos0_messages true\n"
       << "set_tcp_nodelay true\n"
       << "log_dest file " << log_path().string() << "\n"
       << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
       << "connection_messages true\n";
  // As root, Mosquitto drops to user "mosquitto", who cannot write our 0700
  // temp dir; "user root" keeps the privileges it was started with.
  if (::geteuid() == 0) conf << "user root\n";
  for (const auto& line : opts_.extra_config) conf << line << "\n";
  conf.close();
  if (!conf) return Status::error(config_path().string(), "cannot write");
  return Status();
}

bool MosquittoBroker::accepts_connection() const {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr = loopback(port_);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

Status MosquittoBroker::start_on(int port) {
  if (auto s = write_config(port); !s.ok()) return s;
  const auto log_offset = log_text().size();  // earlier runs' lines do not count
  auto child = ChildProcess::spawn(
      {.binary = opts_.binary, .args = {"-c", config_path().string()}, .output_dir = dir(), .name = "mosquitto"});
  if (!child.ok()) return child.status();
  process_.emplace(std::move(child).value());
  port_ = port;
  // Ready = this run logged "running" (so the port is ours, not a stranger's
  // that won the race) and the listener accepts a TCP connection.
  const bool ready = wait_until(
      [&] {
        if (!process_->running()) return true;
        return log_text().find(" running", log_offset) != std::string::npos && accepts_connection();
      },
      opts_.start_deadline);
  const std::string ctx = "mosquitto on port " + std::to_string(port);
  if (!process_->running()) {
    std::string detail = "exited (" + process_->exit_status()->describe() + ") before listening:\n" + log_tail();
    process_.reset();
    return Status::error(ctx, detail);
  }
  if (!ready) {
    (void)process_->kill9();
    std::string detail = "not listening after " + std::to_string(opts_.start_deadline.count()) + " ms:\n" + log_tail();
    process_.reset();
    return Status::error(ctx, detail);
  }
  return Status();
}

Status MosquittoBroker::start() {
  if (!dir_.ok()) return Status::error("mosquitto", "cannot create a temp dir");
  if (running()) return Status::error("mosquitto on port " + std::to_string(port_), "already running");
  if (port_ != 0) return start_on(port_);
  Status last;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    auto port = pick_free_port();
    if (!port.ok()) return port.status();
    last = start_on(*port);
    // Only a lost race for the port is worth another port; any other failure
    // (a bad extra_config line) would fail the same way again.
    if (last.ok() || last.detail().find("Address already in use") == std::string::npos) break;
    port_ = 0;
  }
  return last;
}

Status MosquittoBroker::stop() {
  if (!process_) return Status();
  const std::string ctx = "mosquitto pid " + std::to_string(process_->pid());
  if (!process_->running()) {
    std::string detail = "had already exited (" + process_->exit_status()->describe() + "):\n" + log_tail();
    process_.reset();
    return Status::error(ctx, detail);
  }
  Status s = process_->terminate(opts_.stop_deadline);
  if (s.ok() && *process_->exit_status() != ExitStatus{0, 0}) {
    s = Status::error(ctx, "stopped with " + process_->exit_status()->describe() + ":\n" + log_tail());
  }
  process_.reset();
  return s;
}

Status MosquittoBroker::kill9() {
  if (!process_) return Status();
  Status s = process_->kill9();
  process_.reset();
  return s;
}

Status MosquittoBroker::restart() {
  if (auto s = stop(); !s.ok()) return s;
  return start();
}

}  // namespace edgegw::testing
