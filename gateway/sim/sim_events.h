// gateway/sim/sim_events.h — the events file of `edgegw test` (design.md,
// Commands).
//
// One JSON object per line:
//   {"topic": "...", "payload": <JSON or string>, "at": "2026-11-22T07:00:00Z",
//    "retain": true, "from": "upstream", "qos": 0}
// Only `topic` is required. A JSON `payload` becomes its compact JSON text
// (keys in written order), a string payload its text, a missing one "";
// `"payload_base64": "..."` instead gives the payload as bytes (for bytes
// that are not UTF-8).
// `from` is local (default) or upstream. Blank lines are skipped. Unknown
// keys are errors, so a typo cannot silently change a test.
// Nothing here throws; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/diag.h"
#include "core/event.h"
#include "core/status.h"

namespace edgegw::gateway {

struct SimEvent {
  Event event;                  // topic, payload, qos, retained, link (received_at: unset)
  std::optional<TimePoint> at;  // nullopt: at the simulated clock's current time
  int line = 0;                 // 1-based line in the events file
};

// One line. A failed Status carries the column (1-based) as its context and
// the message as its detail.
Result<SimEvent> parse_event_line(std::string_view line);

// Every line of `text`. Each bad line is reported as `FILE:LINE:COL: error:
// MESSAGE` and left out; the good ones are returned in file order.
std::vector<SimEvent> parse_events(std::string_view text, const std::string& file, Diagnostics& diags);

// One events line (no newline) that parse_event_line reads back as exactly
// this message: keys topic, payload (a JSON value only when its compact text
// is the payload's bytes and it is not a string; the text otherwise) or
// payload_base64 (bytes that are not UTF-8), retain when set, from when
// upstream, qos when not 0, at. `edgegw journal export` writes these.
std::string format_event_line(const Event& e, TimePoint at);

}  // namespace edgegw::gateway
