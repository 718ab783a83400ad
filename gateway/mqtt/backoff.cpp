#include "gateway/mqtt/backoff.h"

#include <algorithm>

namespace edgegw::gateway {

Backoff::Backoff(Duration min, Duration max, uint64_t seed) : min_(min), max_(std::max(min, max)), rng_(seed) {}

Duration Backoff::next() {
  if (previous_ == Duration::zero()) {
    previous_ = min_;
    return previous_;
  }
  // Decorrelated jitter: sleep = min(cap, random_between(base, sleep * 3)).
  int64_t lo = min_.count();
  int64_t hi = std::max(lo, std::min(max_.count(), previous_.count() * 3));
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  previous_ = Duration(dist(rng_));
  return previous_;
}

void Backoff::reset() { previous_ = Duration::zero(); }

}  // namespace edgegw::gateway
