// gateway/observe/status_collector.h — the engine thread's side of observability.
//
// Called once per engine loop iteration (not per message): it beats the
// heartbeat that /healthz reads, evaluates health with the same function
// /healthz uses and reports changes to systemd (READY=1 the first time it
// says 200; STATUS= whenever the line changes), and at most once a second
// builds a StatusSnapshot for the HTTP side and refreshes the retained
// Home Assistant state. It reads the outbox's in-memory stats and the rule
// engine's counters, both engine-thread objects, so only the engine thread
// may call it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/observe/ha_discovery.h"
#include "gateway/observe/health.h"
#include "gateway/base/metrics.h"
#include "gateway/store/outbox.h"
#include "gateway/observe/status_snapshot.h"
#include "rules/engine.h"

namespace edgegw::gateway {

// What the device registry lends the status page (wired by the daemon:
// StatusOptions::devices, called on the engine thread once a second).
struct DevicesView {
  // The registry's document, {"devices": [...]} (store/device_json.h),
  // served as is by /api/devices; the status page reads each device's "id",
  // "name" (optional), "online" (bool) and "last_seen_ms".
  std::string json = R"({"devices":[]})";
  uint64_t total = 0, online = 0;
};

// The state db entry that remembers a Home Assistant topic was seen (discovery: auto).
inline constexpr const char* kHaSeenState = "edgegw_ha_seen";

enum class HaMode { off, on, automatic };  // automatic: once a prefix/... topic was seen

struct StatusOptions {
  std::string gateway_id;
  std::string version;
  bool upstream_configured = false;
  int64_t started_ms = 0;  // wall clock
  int64_t publish_every_ms = 1000;
  int64_t history_every_ms = 30'000;  // sparkline: 120 samples = the last hour
  int64_t ha_refresh_ms = 15'000;     // the retained state topic, besides on change
  HaMode ha = HaMode::automatic;
  std::string ha_prefix = "homeassistant";
  bool ha_seen = false;  // remembered from an earlier run
  // Clocks in ms (tests pass fakes): monotonic for the heartbeat and rates, wall for timestamps.
  std::function<int64_t()> mono_ms = mono_ms_now;
  std::function<int64_t()> wall_ms = wall_ms_now;
  // Engine thread hooks; each may be empty.
  // sd_notify: "READY=1", once. (STATUS= lines come from ServiceNotifier,
  // which the engine loop drives.)
  std::function<void(const std::string&)> notify;
  std::function<DevicesView()> devices;
  std::function<void(const std::string& topic, const std::string& payload)> publish_local;  // retained, QoS 1
};

class StatusCollector {
 public:
  StatusCollector(StatusOptions opt, const Metrics& metrics, StatusBoard& board);

  // Engine thread, every loop iteration. `rules` may be null.
  void on_loop(const Outbox& outbox, const rules::Engine* rules);
  // Engine thread, per journal record: true the first time a Home Assistant
  // topic shows up while discovery is `auto` (the caller remembers it).
  bool note_topic(std::string_view topic) {
    if (ha_active_ || opt_.ha != HaMode::automatic || !is_ha_topic(topic, opt_.ha_prefix)) return false;
    ha_active_ = true;
    return true;
  }
  // Engine thread: the TLS probe's reason the link cannot connect ("" once
  // it connected, or when the handshake succeeds); in the next snapshot.
  void note_tls_error(Link link, std::string reason) { tls_error_[static_cast<int>(link)] = std::move(reason); }
  // The retained status payload while online.
  std::string online_status() const;
  const Health& health() const { return health_; }

 private:
  void publish_snapshot(int64_t now_mono, const Outbox& outbox, const rules::Engine* rules);
  void refresh_ha(int64_t now_mono, const StatusSnapshot& s);

  StatusOptions opt_;
  const Metrics& metrics_;
  StatusBoard& board_;
  BacklogHistory history_;
  Health health_{HealthState::unavailable, "starting"};
  bool started_ = false;
  bool ready_sent_ = false;
  std::string tls_error_[2];
  int64_t next_publish_ = 0;
  int64_t last_rate_at_ = 0;
  uint64_t last_received_ = 0;
  double rate_ = 0;
  // Home Assistant
  bool ha_active_ = false;
  bool ha_announced_ = false;  // configs sent on the current local connection
  std::string ha_last_state_;
  int64_t ha_next_refresh_ = 0;
};

// A one-line summary of a rule's trigger ("topic zigbee2mqtt/+/set", "every 5m").
std::string trigger_summary(const rules::CompiledRule& r);

}  // namespace edgegw::gateway
