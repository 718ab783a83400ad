// gateway/store/device_json.cpp — see device_json.h.
#include "gateway/store/device_json.h"

#include <string>

#include "gateway/base/rfc3339.h"

namespace edgegw::gateway {

nlohmann::json device_summary_json(const devices::Device& d) {
  return {{"id", d.id},
          {"profile", std::string(d.profile)},
          {"name", d.name},
          {"model", d.model},
          {"online", d.online},
          {"reason", std::string(devices::reason_name(d.reason))},
          {"messages", d.messages}};
}

namespace {

nlohmann::json state_json(const std::string& state) {
  if (state.empty()) return nullptr;
  nlohmann::json j = nlohmann::json::parse(state, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json(state) : j;
}

}  // namespace

nlohmann::json device_json(const devices::Device& d) {
  nlohmann::json j = device_summary_json(d);
  const bool seen = ever_seen(d);
  j["last_seen"] = seen ? nlohmann::json(format_rfc3339(d.last_seen)) : nlohmann::json(nullptr);
  j["last_seen_ms"] = seen ? nlohmann::json(to_unix_ms(d.last_seen)) : nlohmann::json(nullptr);
  j["bad_payloads"] = d.bad_payloads;
  j["state"] = state_json(d.state);
  return j;
}

}  // namespace edgegw::gateway
