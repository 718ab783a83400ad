#include "gateway/sim_lookups.h"

#include "devices/device.h"

namespace edgegw::gateway {

rules::Value SimLookups::previous(const Event &event,
                                  std::span<const rules::PathKey> path) const {
  // A device's previous merged state first (design.md: `previous.x`).
  if (event.device) {
    if (event.device->previous_state.empty())
      return {};
    return rules::Payload(event.device->previous_state, parser_).get(path);
  }
  auto it = previous_.find(std::make_pair(event.link, event.topic));
  if (it == previous_.end())
    return {};
  return rules::Payload(it->second, parser_).get(path);
}

rules::Value SimLookups::state(std::string_view name) const {
  auto it = state_.find(name);
  return it == state_.end() ? rules::Value{} : it->second;
}

void SimLookups::remember(const Event &event) {
  previous_[{event.link, event.topic}] = event.payload;
}

void SimLookups::set_state(const std::string &name, rules::Value value) {
  state_[name] = std::move(value);
}

} // namespace edgegw::gateway
