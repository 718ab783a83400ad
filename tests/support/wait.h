// tests/support/wait.h — the one allowed way for a test to wait.
//
// Tests never sleep for a fixed time: they poll a condition until it holds or
// a deadline passes. The predicate runs on the calling thread, so it may read
// anything that thread may read; it must be cheap (it runs every `poll`).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace edgegw::testing {

// True as soon as pred() is true; false if it is still false at the deadline.
// pred() is evaluated once more after the deadline so a condition that became
// true during the last poll interval is not missed.
inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline,
                       std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(poll);
  }
  return pred();
}

}  // namespace edgegw::testing
