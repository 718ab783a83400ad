#include "gateway/observe/health.h"

#include <nlohmann/json.hpp>

namespace edgegw::gateway {

Health evaluate_health(const HealthInput& in) {
  auto down = [](const char* reason) { return Health{HealthState::unavailable, reason}; };
  auto degraded = [](const char* reason) { return Health{HealthState::degraded, reason}; };
  // Started on a full disk, intake is held until the drain makes room: that
  // is working as meant, not starting.
  const bool held_for_disk = in.disk_full && in.journal_paused && !in.local_connected;
  if (!in.started && !held_for_disk) return down("starting");
  if (in.beat_age_ms > in.stall_after_ms) return down("engine loop stalled");
  if (in.disk_full && (in.local_connected || in.journal_paused)) return degraded("disk_full");
  if (!in.local_connected) {
    // Held down on purpose: the broker queues for our session, nothing is lost.
    if (in.journal_paused) return degraded("journal backpressure: local link held down");
    return down("local link down");
  }
  if (in.upstream_configured && !in.upstream_connected) return degraded("upstream disconnected");
  return Health{HealthState::ok, ""};
}

const char* health_state_name(HealthState s) {
  switch (s) {
    case HealthState::ok: return "ok";
    case HealthState::degraded: return "degraded";
    case HealthState::unavailable: return "unavailable";
  }
  return "unavailable";
}

std::string Health::json() const {
  nlohmann::json j;
  j["status"] = health_state_name(state);
  if (!reason.empty()) j["reason"] = std::string(reason);
  return j.dump();
}

}  // namespace edgegw::gateway
