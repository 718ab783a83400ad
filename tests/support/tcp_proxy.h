// tests/support/tcp_proxy.h — a TCP relay on loopback that the test can
// make go silent, for "a silent dead link" (packets dropped, no RST).
//
// Listens on 127.0.0.1 (a free port) and relays every accepted connection to
// `target_port`. silence(true) makes it swallow everything in both
// directions without closing anything, as a dead NAT or a pulled cable
// upstream of the router would; new connections are accepted and swallowed
// too. silence(false) relays again (new and open connections).
// cut(true) is a peer that went away: open connections are closed and new
// ones closed as soon as they are accepted; cut(false) relays again.
//
// One relay thread; the methods may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "core/status.h"

namespace edgegw::testing {

class TcpProxy {
 public:
  explicit TcpProxy(int target_port) : target_port_(target_port) {}
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  Status start();
  int port() const { return port_; }
  void silence(bool on) { silent_ = on; }
  void cut(bool on) { cut_ = on; }
  uint64_t connections() const { return accepted_; }  // accepted so far

 private:
  void run();

  int target_port_;
  int port_ = 0;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> silent_{false};
  std::atomic<bool> cut_{false};
  std::atomic<uint64_t> accepted_{0};
  std::thread thread_;
};

}  // namespace edgegw::testing
