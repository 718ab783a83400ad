#include "gateway/base/system_clock.h"

namespace edgegw::gateway {

TimePoint SystemClock::now() const { return TimePoint(std::chrono::system_clock::now().time_since_epoch()); }

MonoTime SystemClock::mono() const { return MonoTime(std::chrono::steady_clock::now().time_since_epoch()); }

}  // namespace edgegw::gateway
