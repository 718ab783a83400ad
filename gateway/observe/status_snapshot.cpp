#include "gateway/observe/status_snapshot.h"

#include <chrono>

namespace edgegw::gateway {

BacklogHistory::BacklogHistory(int64_t every_ms, size_t capacity)
    : every_ms_(every_ms), ring_(capacity == 0 ? 1 : capacity) {}

void BacklogHistory::add(int64_t now_ms, uint64_t depth) {
  if (next_ > 0 || full_) {
    const BacklogSample& last = ring_[(next_ + ring_.size() - 1) % ring_.size()];
    if (now_ms - last.at_ms < every_ms_) return;
  }
  ring_[next_] = {now_ms, depth};
  next_ = (next_ + 1) % ring_.size();
  if (next_ == 0) full_ = true;
}

std::vector<BacklogSample> BacklogHistory::samples() const {
  std::vector<BacklogSample> out;
  if (full_) out.insert(out.end(), ring_.begin() + static_cast<std::ptrdiff_t>(next_), ring_.end());
  out.insert(out.end(), ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(next_));
  return out;
}

void StatusBoard::publish(std::shared_ptr<const StatusSnapshot> s) {
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(s);
}

std::shared_ptr<const StatusSnapshot> StatusBoard::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

HealthInput StatusBoard::health_input(const Metrics& m, int64_t now_mono_ms) const {
  HealthInput in;
  in.started = started_.load(std::memory_order_acquire);
  in.local_connected = m.connected[0].load(std::memory_order_relaxed);
  in.journal_paused = m.ingress_paused.load(std::memory_order_relaxed);
  in.disk_full = m.disk_full.load(std::memory_order_relaxed);
  in.upstream_configured = upstream_configured_;
  in.upstream_connected = m.connected[1].load(std::memory_order_relaxed);
  in.beat_age_ms = now_mono_ms - beat_ms_.load(std::memory_order_relaxed);
  in.stall_after_ms = stall_after_ms_;
  return in;
}

int64_t mono_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t wall_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace edgegw::gateway
