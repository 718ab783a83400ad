// tests/support/back_to_back.h — a device that publishes without pause.
//
// One QoS 1 publish at a time on dev/<i % 5>, payload "<i>", each sent after
// the last one's PUBACK, from a thread of its own until stop(). The gateway
// forwards every event as it comes, so publishes keep reaching its Paho
// client right after a cut of the uplink, before Paho has noticed.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>

#include "support/gateway_fixture.h"
#include "support/log_text.h"
#include "support/tcp_proxy.h"
#include "support/test_client.h"
#include "support/wait.h"

namespace edgegw::testing {

class BackToBack {
 public:
  explicit BackToBack(std::string uri) : uri_(std::move(uri)) {
    thread_ = std::thread([this] { run(); });
  }
  ~BackToBack() { stop(); }
  BackToBack(const BackToBack&) = delete;
  BackToBack& operator=(const BackToBack&) = delete;

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Events the local broker acknowledged: payloads "0" to "sent() - 1".
  size_t sent() const { return sent_; }

 private:
  void run() {
    TestClient c(uri_, "back-to-back");
    if (!c.connect().ok()) return;
    for (size_t i = 0; !stop_; ++i) {
      if (!c.publish("dev/" + std::to_string(i % 5), std::to_string(i), 1, false).ok()) return;
      sent_ = i + 1;
    }
  }

  std::string uri_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> sent_{0};
  std::thread thread_;
};

// Cuts `wire` (the gateway's uplink) `cuts` times, each once `cloud` has 300
// more messages, and heals it once the gateway noticed. Returns "" or the
// step a round did not get past ("cut 3: no reconnect").
inline std::string cut_cycles(TcpProxy& wire, const Gateway& gw, const TestClient& cloud, int cuts) {
  using namespace std::chrono_literals;
  auto count = [&gw](const char* line) { return count_of(gw.log(), line); };
  for (int round = 0; round < cuts; ++round) {
    const std::string at = "cut " + std::to_string(round + 1) + ": ";
    const size_t lost_before = count("upstream link: disconnected");
    const bool flowing = cloud.wait_for_count(cloud.count() + 300, 20s);
    wire.cut(true);
    if (!flowing) return at + "no events arrive upstream";
    if (!wait_until([&] { return count("upstream link: disconnected") > lost_before; }, 10s)) {
      return at + "the cut is not noticed";
    }
    const size_t connects = count("upstream link: connected");
    wire.cut(false);
    if (!wait_until([&] { return count("upstream link: connected") > connects; }, 10s)) return at + "no reconnect";
  }
  return "";
}

}  // namespace edgegw::testing
