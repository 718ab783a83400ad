#include "support/stream.h"

#include <memory>

#include "support/sequence_check.h"
#include "support/test_client.h"
#include "support/wait.h"

namespace edgegw::testing {

Stream::Stream(std::string uri, int rate, StreamOptions opts) : uri_(std::move(uri)), rate_(rate), opts_(opts) {
  thread_ = std::thread([this] { run(); });
}

void Stream::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::set<std::string> Stream::accepted() const {
  std::lock_guard lock(mu_);
  return accepted_;
}

bool Stream::wait_for_more(size_t n, std::chrono::milliseconds deadline) const {
  const size_t before = accepted_count();
  return wait_until([&] { return accepted_count() >= before + n; }, deadline);
}

std::string Stream::payload_of(size_t seq) const {
  std::string payload = seq_payload(seq % kDevices, seq);
  if (opts_.stamp) {
    const auto now = std::chrono::steady_clock::now().time_since_epoch();
    payload += ":" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
  }
  if (opts_.padding > 0) payload += ":" + std::string(opts_.padding, 'x');
  return payload;
}

void Stream::run() {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<TestClient> c;
  for (size_t seq = 0; !stop_; ++seq) {
    std::this_thread::sleep_until(start + seq * std::chrono::microseconds(1'000'000 / rate_));  // pacing
    if (!c) {
      c = std::make_unique<TestClient>(uri_, "stream");
      if (!c->connect().ok()) {
        c.reset();
        continue;
      }
    }
    std::string payload = payload_of(seq);
    const bool open_before = gate_open();
    if (c->publish("dev/" + std::to_string(seq % kDevices) + "/state", payload, 1, false).ok()) {
      if (open_before && gate_open()) {
        std::lock_guard lock(mu_);
        accepted_.insert(std::move(payload));
        ++accepted_n_;
      } else {
        ++uncounted_n_;
      }
    } else {
      c.reset();
    }
  }
}

}  // namespace edgegw::testing
