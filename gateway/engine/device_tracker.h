// gateway/engine/device_tracker.h — the device registry inside the engine loop and
// the dry run.
//
// For each local Event it asks the devices::Registry which device it is
// from (setting Event::device), then turns the registry's changes (online,
// offline, state; silence from check_silence) into `device` trigger calls on
// the rule engine. With a store, the devices changed since the last commit
// are written by save_dirty() inside the caller's transaction, and the
// registry is loaded from it at construction.
//
// The Event a device trigger sees: `topic` the message's topic (for
// silence, the device's last topic), `payload` the device's merged state
// for `state` and the message's payload for `online`/`offline` (empty for
// silence), `device` the device.
//
// Engine thread only (or the dry run's thread). Not copyable.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "devices/registry.h"
#include "rules/decision.h"
#include "rules/engine.h"
#include "rules/eval_context.h"
#include "rules/payload.h"

namespace edgegw::gateway {

class SqliteDevices;
struct Config;

// The devices: and homeassistant: sections of gateway.yaml as the profile tables' input.
devices::ProfileConfig profile_config(const Config& cfg);

// Where device triggers go: the engine's on_device_event, or a dry run's driver.
using DeviceEventSink = std::function<void(const Event& e, std::string_view device_id, std::string_view event)>;

class DeviceTracker {
 public:
  // `store` may be null (the dry run: nothing persisted). Borrowed.
  DeviceTracker(devices::Profiles profiles, SqliteDevices* store);
  ~DeviceTracker();
  DeviceTracker(const DeviceTracker&) = delete;
  DeviceTracker& operator=(const DeviceTracker&) = delete;

  // Loads the stored devices (call once, before the first event); silence
  // is counted from `start`. Returns how many were loaded.
  Result<size_t> load(TimePoint start);

  // A local message: sets e.device (null if no profile matched) and keeps
  // the changes for fire(). Upstream events are left alone.
  void observe(Event& e);
  // Silence due at `now`: keeps the changes for fire().
  void check_silence(TimePoint now);
  // The kept changes, in order, to `sink`; `cause` is the message (null for silence).
  void fire(const Event* cause, TimePoint now, const DeviceEventSink& sink);

  std::optional<TimePoint> next_due() const { return registry_.next_silence_due(); }
  bool has_dirty() const { return !registry_.dirty().empty(); }
  // Writes every device changed since the last committed() (in the caller's transaction).
  Status save_dirty(int64_t now_ms);
  // The transaction committed: the saved devices are clean.
  void committed() { registry_.clear_dirty(); }

  const devices::Registry& registry() const { return registry_; }

 private:
  devices::Registry registry_;
  SqliteDevices* store_;
  std::vector<devices::DeviceChange> changes_;
  Event scratch_;  // the Event handed to the sink, reused
};

}  // namespace edgegw::gateway
