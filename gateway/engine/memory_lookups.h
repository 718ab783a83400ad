// gateway/engine/memory_lookups.h — what expressions look up beyond the event,
// kept in memory by the engine thread: the daemon's (EngineLoop) and the
// dry run's (`edgegw test`) alike.
//
// `state.NAME` answers the values `set` so far (the daemon also loads them
// from the state database at start and writes each `set` there; the dry run
// reads and writes no database); `previous...` answers from the event's
// device's previous merged state when it has a device, else from the
// previous payload of the same topic on the same link, parsed with this
// object's own JsonParser so the current event's document stays parsed
// (rules/eval_context.h). Device fields keep the defaults.
// Not thread-safe: the engine thread only.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "rules/eval_context.h"
#include "rules/payload.h"
#include "rules/value.h"

namespace edgegw::gateway {

class MemoryLookups : public rules::Lookups {
 public:
  rules::Value previous(const Event& event, std::span<const rules::PathKey> path) const override;
  rules::Value state(std::string_view name) const override;

  // After an event has been evaluated: it becomes its topic's previous payload.
  void remember(const Event& event);
  void set_state(const std::string& name, rules::Value value);

 private:
  std::map<std::string, std::string, std::less<>> previous_[2];  // by Link, then topic
  std::map<std::string, rules::Value, std::less<>> state_;
  mutable rules::JsonParser parser_;
};

}  // namespace edgegw::gateway
