// gateway/base/metrics.h — counters kept cheaply on the hot path (relaxed atomics).
//
// Written by Paho's thread (received, oversize) and the engine thread; read
// by anyone (status page, logs). Names follow the /metrics exposition.
#pragma once

#include <atomic>
#include <cstdint>

#include "gateway/base/latency_histogram.h"

namespace edgegw::gateway {

struct Metrics {
  using Counter = std::atomic<uint64_t>;
  Counter received[2] = {0, 0};   // per Link: messages taken into the journal
  Counter dropped_oversize{0};    // above gateway.max_payload
  Counter enqueued[2] = {0, 0};   // outbox rows appended per destination link
  Counter delivered[2] = {0, 0};  // rows acknowledged by the destination link
  Counter dropped_full{0};        // when_full: drop_oldest
  Counter rejected_full{0};       // when_full: reject_new
  Counter expired{0};             // buffer.max_age
  Counter bad_topic{0};           // a rendered topic was invalid
  Counter replaced_latest{0};     // latest_only rows superseded while offline
  Counter reconnects[2] = {0, 0};
  Counter deadlettered[2] = {0, 0};  // poison rows moved to the dead letters per link
  Counter http_sent{0};              // webhook calls answered 2xx
  Counter http_failed{0};            // webhook attempts that failed (retried or dead-lettered)
  Counter http_deadlettered{0};      // webhook calls moved to the dead letters
  std::atomic<bool> connected[2] = {false, false};
  std::atomic<bool> local_subscribed{false};
  std::atomic<bool> ingress_paused{false};
  std::atomic<bool> disk_full{false};             // /healthz degraded, reason disk_full (disk_guard.h)
  std::atomic<uint64_t> state_dir_free_bytes{0};  // statvfs of the state_dir at the last look
  LatencyHistogram delivery_latency;              // upstream rows: local receive -> PUBACK

  static void add(Counter& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
  static uint64_t get(const Counter& c) { return c.load(std::memory_order_relaxed); }
};

}  // namespace edgegw::gateway
