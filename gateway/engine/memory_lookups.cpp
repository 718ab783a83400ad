#include "gateway/engine/memory_lookups.h"

#include "devices/device.h"

namespace edgegw::gateway {

rules::Value MemoryLookups::previous(const Event& event, std::span<const rules::PathKey> path) const {
  // A device's previous merged state first (design.md: `previous.x`).
  if (event.device) {
    if (event.device->previous_state.empty()) return {};
    return rules::Payload(event.device->previous_state, parser_).get(path);
  }
  const auto& seen = previous_[static_cast<int>(event.link)];
  auto it = seen.find(event.topic);
  if (it == seen.end()) return {};
  return rules::Payload(it->second, parser_).get(path);
}

rules::Value MemoryLookups::state(std::string_view name) const {
  auto it = state_.find(name);
  return it == state_.end() ? rules::Value{} : it->second;
}

// Looked up by the topic as it is: a topic seen before costs no key copy.
void MemoryLookups::remember(const Event& event) {
  auto& seen = previous_[static_cast<int>(event.link)];
  if (auto it = seen.find(event.topic); it != seen.end()) {
    it->second.assign(event.payload);
  } else {
    seen.emplace(event.topic, event.payload);
  }
}

void MemoryLookups::set_state(const std::string& name, rules::Value value) { state_[name] = std::move(value); }

}  // namespace edgegw::gateway
