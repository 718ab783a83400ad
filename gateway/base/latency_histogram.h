// gateway/base/latency_histogram.h — a fixed-bucket histogram of durations.
//
// observe() is for the hot path: a short scan over constant bounds and two
// relaxed atomic adds, no lock, no allocation. Any thread may observe and
// read; a reader may see a sample in one bucket before it shows in the sum
// (Prometheus tolerates that skew between scrapes).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace edgegw::gateway {

class LatencyHistogram {
 public:
  // Upper bounds in milliseconds (Prometheus `le`, in seconds, divides by 1000).
  // From a loopback PUBACK (about a millisecond) up to an hour-long outage.
  static constexpr std::array<int64_t, 16> kBoundsMs = {1,   2,    5,    10,   25,    50,    100,    250,
                                                        500, 1000, 2500, 5000, 10000, 60000, 300000, 3600000};
  static constexpr size_t kBuckets = kBoundsMs.size() + 1;  // the last one is +Inf

  void observe(int64_t ms) {
    if (ms < 0) ms = 0;  // a clock step backwards
    size_t i = 0;
    while (i < kBoundsMs.size() && ms > kBoundsMs[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ms_.fetch_add(static_cast<uint64_t>(ms), std::memory_order_relaxed);
  }

  // Not cumulative: bucket(i) counts samples in (bound[i-1], bound[i]].
  uint64_t bucket(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  uint64_t sum_ms() const { return sum_ms_.load(std::memory_order_relaxed); }
  uint64_t count() const {
    uint64_t n = 0;
    for (const auto& c : counts_) n += c.load(std::memory_order_relaxed);
    return n;
  }

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> sum_ms_{0};
};

}  // namespace edgegw::gateway
