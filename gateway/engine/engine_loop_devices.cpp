// EngineLoop's device registry duties: offline by silence on the loop's
// timers. A message's own device triggers run in the event pipeline.
#include "gateway/engine/engine_loop.h"

namespace edgegw::gateway {

// Silence is checked whenever a device's offline_after may have run out
// (next_deadline wakes the loop then), and at least once a second, as the
// loop never sleeps longer. The offline devices' rows and their triggers'
// decisions are committed at once, rules or not.
void EngineLoop::run_device_timers(MonoTime now) {
  TimePoint wall = p_.clock.now();
  auto due = p_.devices->next_due();
  if (!due || *due > wall) return;
  p_.devices->check_silence(wall);
  rules::Engine* engine = rules_.engine();
  p_.devices->fire(nullptr, wall, [&](const Event& e, std::string_view id, std::string_view event) {
    if (engine) engine->on_device_event(e, id, event, parser_, lookups_, opt_.gateway_id, wall, pending_);
  });
  if (!p_.devices->has_dirty() || timers_.commit_held(now)) return;
  if (auto s = commit_batch(); !s.ok()) {
    p_.log->error("outbox: commit failed, retrying: {}", s.message());
    timers_.commit_failed(now);
  }
  pump_forwarders();
}

std::optional<MonoTime> EngineLoop::device_deadline(MonoTime now) const {
  if (!p_.devices) return std::nullopt;
  auto due = p_.devices->next_due();
  if (!due) return std::nullopt;
  return now + std::max(Duration::zero(), *due - p_.clock.now());
}

}  // namespace edgegw::gateway
