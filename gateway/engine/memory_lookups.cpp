#include "gateway/engine/memory_lookups.h"

#include "devices/device.h"

namespace edgegw::gateway {

rules::Value MemoryLookups::previous(const Event& event, std::span<const rules::PathKey> path) const {
  // A device's previous merged state first (design.md: `previous.x`).
  if (event.device) {
    if (event.device->previous_state.empty()) return {};
    return rules::Payload(event.device->previous_state, parser_).get(path);
  }
  auto it = previous_.find(std::make_pair(event.link, event.topic));
  if (it == previous_.end()) return {};
  return rules::Payload(it->second, parser_).get(path);
}

rules::Value MemoryLookups::state(std::string_view name) const {
  auto it = state_.find(name);
  return it == state_.end() ? rules::Value{} : it->second;
}

void MemoryLookups::remember(const Event& event) { previous_[{event.link, event.topic}] = event.payload; }

void MemoryLookups::set_state(const std::string& name, rules::Value value) { state_[name] = std::move(value); }

}  // namespace edgegw::gateway
