// gateway/mqtt/backoff.h — reconnect delays: exponential growth with decorrelated
// jitter, capped (the scheme Mosquitto's bridge uses; AWS architecture blog
// "Exponential Backoff And Jitter"). Pure: the caller supplies the random
// source, so tests are deterministic.
#pragma once

#include <cstdint>
#include <random>

#include "core/clock.h"

namespace edgegw::gateway {

class Backoff {
 public:
  // min > 0, max >= min (the config loader enforces it).
  Backoff(Duration min, Duration max, uint64_t seed = std::random_device{}());

  // The delay before the next attempt: the first is `min`, each later one is
  // uniformly random in [min, 3 x previous], never above `max`.
  Duration next();
  // A connection succeeded: the next failure starts again from `min`.
  void reset();

 private:
  Duration min_;
  Duration max_;
  Duration previous_{0};
  std::mt19937_64 rng_;
};

}  // namespace edgegw::gateway
