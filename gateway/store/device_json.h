// gateway/store/device_json.h — the device registry as JSON, one document
// for every door: /api/devices and the status page (the daemon fills them)
// and `edgegw devices --json`.
//
// Here because both the daemon and the CLI may use the store room, and the
// rows of the devices table are what both show. Pure; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "devices/device.h"

namespace edgegw::gateway {

// {id, profile, name, model, online, reason, messages}.
nlohmann::json device_summary_json(const devices::Device& d);

// Whether the device was ever seen (its last_seen is set).
inline bool ever_seen(const devices::Device& d) { return d.last_seen.time_since_epoch().count() != 0; }

// One device as every door shows it: the summary, last_seen (RFC 3339 UTC)
// and last_seen_ms (null if never seen), bad_payloads, and its state (the
// JSON it last sent, a string if it was not JSON, null if none).
nlohmann::json device_json(const devices::Device& d);

// The registry as one document, {"devices": [...]}: `/api/devices`, the
// status page and `edgegw devices --json` serve this one text. Any
// container of devices (the registry's deque, the CLI's vector).
template <class Devices>
std::string devices_document(Devices&& list) {  // a view of the registry is iterated as given
  nlohmann::json arr = nlohmann::json::array();
  for (const devices::Device& d : list) arr.push_back(device_json(d));
  return nlohmann::json{{"devices", std::move(arr)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace edgegw::gateway
