// gateway/store/device_json.h — a device of the registry as JSON: the fields
// every view of it shares (/api/devices and the status page, which the
// daemon fills, and `edgegw devices --json`). Each view adds its own fields,
// such as when the device was last seen, in its own form.
//
// Here because both the daemon and the CLI may use the store room, and the
// rows of the devices table are what both show. Pure; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include "devices/device.h"

namespace edgegw::gateway {

// {id, profile, name, model, online, reason, messages}.
nlohmann::json device_summary_json(const devices::Device& d);

// Whether the device was ever seen (its last_seen is set).
inline bool ever_seen(const devices::Device& d) { return d.last_seen.time_since_epoch().count() != 0; }

}  // namespace edgegw::gateway
