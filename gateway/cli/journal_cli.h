// gateway/cli/journal_cli.h — `edgegw journal export|purge`, and the kept
// journal window as events for `edgegw test --from-journal` (docs/rules.md,
// "Backtesting").
//
// Safe while the daemon runs: the journal is read from its own process with
// scan_journal (read-only, no lock taken, gateway/journal/journal_scan.h);
// purge deletes only segments whose every record the outbox has committed
// and that nothing wrote to for kPurgeQuiet, never the one being written.
// Results go to `out`, errors to `err`; the return value is the exit code.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "gateway/sim/sim_events.h"

namespace edgegw::gateway {

struct JournalQuery {
  std::optional<TimePoint> since;  // received at or after
  std::optional<TimePoint> until;  // received before
  std::string topic_filter;        // "" or an MQTT filter
};

// `--since`: a duration back from `now` ("2h", "30m") or an RFC 3339 time.
std::optional<TimePoint> parse_since(std::string_view text, TimePoint now);

// Calls `each` for every message of the kept window that `q` selects, in the
// order received, one at a time (a window of a million messages is never
// held whole), as an event whose `at` is its receive time, but never before
// the previous event's (a clock stepped back keeps the events in order).
// Returns how many were handed out.
Result<uint64_t> each_journal_event(const std::string& journal_dir, const JournalQuery& q,
                                    const std::function<void(SimEvent&)>& each);

// One events line per selected message, byte-exact (format_event_line).
int journal_export(const std::string& journal_dir, const JournalQuery& q, std::ostream& out, std::ostream& err);

inline constexpr auto kPurgeQuiet = std::chrono::seconds(10);

// Deletes the kept window: the segments of `state_dir`/journal wholly at or
// below the outbox's committed position, untouched for kPurgeQuiet.
int journal_purge(const std::string& state_dir, std::ostream& out, std::ostream& err, TimePoint now);

}  // namespace edgegw::gateway
