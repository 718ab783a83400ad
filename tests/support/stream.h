// tests/support/stream.h — a paced stream of QoS 1 device events for the
// fault tests.
//
// Publishes "<device>:<seq>" on dev/<device>/state (device = seq % 10) at
// `rate` per second from its own thread, one QoS 1 message at a time; a
// message counts as accepted once the local broker acknowledged it. It rides
// out broker restarts by reconnecting (what was not acknowledged is not
// counted, and not resent).
//
// Threads: the stream's own thread publishes; every other method may be
// called from the test thread. stop() (or the destructor) joins it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace edgegw::testing {

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

class Stream {
 public:
  static constexpr size_t kDevices = 10;

  Stream(std::string uri, int rate, StreamOptions opts = {});
  ~Stream() { stop(); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  void stop();
  size_t accepted_count() const { return accepted_n_; }
  size_t uncounted() const { return uncounted_n_; }
  std::set<std::string> accepted() const;
  // True once `n` more messages than now were accepted; false at the deadline.
  bool wait_for_more(size_t n, std::chrono::milliseconds deadline) const;

 private:
  bool gate_open() const { return opts_.gate == nullptr || opts_.gate->load(); }
  std::string payload_of(size_t seq) const;
  void run();

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

}  // namespace edgegw::testing
