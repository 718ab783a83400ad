// gateway/store/device_json.cpp — see device_json.h.
#include "gateway/store/device_json.h"

#include <string>

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

}  // namespace edgegw::gateway
