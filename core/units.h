// core/units.h — durations ("500ms", "30s", "5m", "2h", "7d") and sizes
// ("64KiB", "512MiB", "1000", "10MB") as written in config and rule files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace edgegw {

// The longest duration a config or rule file may hold: 100 years. Times are
// int64 nanoseconds since the epoch (they end in 2262), so now + kMaxDuration
// cannot overflow, where now + 100000d (8.6e18 ns) would: undefined behaviour.
inline constexpr Duration kMaxDuration = std::chrono::hours(24 * 36500);

// Returns nullopt on anything but <digits>[.<digits>]<unit>, unit one of
// ms s m h d. "0" alone is accepted as zero.
std::optional<Duration> parse_duration(std::string_view text);

// Returns nullopt unless <digits>[unit], unit one of B KiB MiB GiB KB MB GB (case-sensitive).
std::optional<uint64_t> parse_size(std::string_view text);

// "1s", "500ms", "2m", "7d": the largest unit that divides exactly.
std::string format_duration(Duration d);

}  // namespace edgegw
