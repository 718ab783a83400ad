// gateway/cli/buffer_cli.h — `edgegw buffer stats|list|purge`: inspect the
// outbox (state_dir/outbox.db) from the command line.
//
// Each function opens its own connection (busy_timeout 5 s), so it is safe
// while the daemon runs: it never creates the file, never runs quick_check
// and never moves a corrupt file aside (that is the daemon's job at start).
// purge runs in one IMMEDIATE transaction and counts what it removed as
// `purged`; the daemon picks the change up on its next tick.
//
// They write results to `out` and errors to `err`, and return the process
// exit code: 0 ok, 1 failure (no outbox, bad filter, database error).
// `now_ms` (wall-clock unix ms) is what ages are measured against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "core/event.h"

namespace edgegw::gateway {

// Per link: rows, bytes, age of the oldest row, drop counters; and the
// journal position. json: one object.
int buffer_stats(const std::string& db_path, std::ostream& out, std::ostream& err, int64_t now_ms, bool json);

// The first `limit` rows in seq order (of one link, or all): seq, link,
// priority, age, qos, retain, topic, payload size and a short preview.
// json: one object with a "rows" array.
int buffer_list(const std::string& db_path, std::ostream& out, std::ostream& err, int64_t now_ms, size_t limit,
                std::optional<Link> link, bool json);

// Removes the rows of one link (or all) whose topic matches `topic_filter`
// (or all rows), and reports how many.
int buffer_purge(const std::string& db_path, std::ostream& out, std::ostream& err, std::optional<Link> link,
                 const std::optional<std::string>& topic_filter);

// At most `max_bytes` of `payload`, printable ASCII kept, `\` and `"` and
// everything else escaped (\n, \t, \xNN), "..." appended when cut.
std::string payload_preview(std::string_view payload, size_t max_bytes = 40);

}  // namespace edgegw::gateway
