// gateway/base/system_clock.h — the real Clock: system_clock for the wall,
// steady_clock for monotonic time. The daemon makes one and lends it to the
// engine loop; tests use tests/support/fake_clock.h instead.
#pragma once

#include "core/clock.h"

namespace edgegw::gateway {

class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
  MonoTime mono() const override;
};

}  // namespace edgegw::gateway
