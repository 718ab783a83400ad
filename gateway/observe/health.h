// gateway/observe/health.h — the one definition of /healthz (design.md, Precise semantics).
//
//   503 "starting"              until the outbox is open and the local
//                               subscriptions were first in place
//   503 "engine loop stalled"   the engine thread did not beat within the bound
//   503 "local link down"       the local broker is unreachable
//   200 degraded "disk_full"    the state_dir is (nearly) full: intake held
//                               before it fills, or the outbox drains to make
//                               room (disk_guard.h); also before the first
//                               start completes, when intake is held from it
//   200 degraded "journal backpressure: local link held down"
//                               the gateway holds the local link down on purpose
//   200 degraded "upstream disconnected"   (only when an upstream is configured)
//   200 ok
//
// systemd's READY=1 is sent the first time this says 200, by the engine
// thread, from the same function over the same inputs (HealthMonitor).
// Pure function; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace edgegw::gateway {

struct HealthInput {
  bool started = false;  // outbox open, local subscriptions were in place once
  bool local_connected = false;
  bool journal_paused = false;  // the local link is held down for backpressure
  bool disk_full = false;       // DiskGuard::full()
  bool upstream_configured = false;
  bool upstream_connected = false;
  int64_t beat_age_ms = 0;          // since the engine loop last went round
  int64_t stall_after_ms = 10'000;  // the loop wakes at least once a second
};

enum class HealthState { ok, degraded, unavailable };

struct Health {
  HealthState state = HealthState::unavailable;
  std::string_view reason;  // a string literal (no allocation per loop); empty when ok

  int http_status() const { return state == HealthState::unavailable ? 503 : 200; }
  // {"status":"ok"} | {"status":"degraded","reason":...} | {"status":"unavailable","reason":...}
  std::string json() const;
  bool operator==(const Health&) const = default;
};

Health evaluate_health(const HealthInput& in);

const char* health_state_name(HealthState s);

}  // namespace edgegw::gateway
