// gateway/base/rfc3339.h — RFC 3339 times, as `edgegw test` reads and prints them.
//
// Parsing accepts `YYYY-MM-DDTHH:MM:SS[.F...](Z|+HH:MM|-HH:MM)` (a `t`/`z` or
// a space for `T` too), converts offsets to UTC and keeps up to nanosecond
// precision (further fraction digits are cut). Leap seconds (`:60`) and
// impossible dates (Feb 30) are rejected. Formatting always writes UTC with
// `Z`, and a fraction only when the time is not a whole second, without
// trailing zeros: `2026-11-22T07:00:00Z`, `2026-11-22T07:00:00.25Z`.
// Pure functions: no locale, no time zone database, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace edgegw::gateway {

// nullopt if `text` is not such a time.
std::optional<TimePoint> parse_rfc3339(std::string_view text);

std::string format_rfc3339(TimePoint t);

}  // namespace edgegw::gateway
