// gateway/cli/devices_cli.h — `edgegw devices [--json]`, and the registry as
// JSON for /api/devices.
//
// Both read the `devices` table of state_dir/outbox.db through their own
// connection (never creating the file or the table, never moving a corrupt
// file), so they are safe while the daemon runs and show what it last
// committed (it commits each batch within a few milliseconds, and silence
// at most a second late).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/status.h"
#include "devices/device.h"

namespace edgegw::gateway {

// The devices as one JSON object: {"devices": [{"id", "profile", "name",
// "model", "online", "reason", "last_seen" (RFC 3339 UTC, null if never),
// "messages", "bad_payloads", "state" (JSON when the state is JSON, else
// its text; null when empty)}, ...]} in the order given.
std::string devices_json(const std::vector<devices::Device>& list);

// Reads every stored device of `db_path`, in id order. For /api/devices:
// call it from the HTTP thread (its own connection, opened per call), then
// devices_json(). A database without the table gives an empty list.
Result<std::vector<devices::Device>> read_devices(const std::string& db_path);

// `edgegw devices`: a table (id, profile, name/model, online (reason),
// last seen as an age against `now_ms`, messages) or, with json, the
// devices_json() object. Returns the exit code: 0 ok, 1 failure (no
// outbox, database error), the message on `err`.
int devices_command(const std::string& db_path, std::ostream& out, std::ostream& err, int64_t now_ms, bool json);

}  // namespace edgegw::gateway
