#include "gateway/engine/engine_timers.h"

#include <algorithm>

namespace edgegw::gateway {

void EngineTimers::start(MonoTime now) {
  next_checkpoint_ = now + kCheckpointEvery;
  next_expiry_ = now;
}

bool EngineTimers::checkpoint_due(MonoTime now) {
  if (now < next_checkpoint_) return false;
  next_checkpoint_ = now + kCheckpointEvery;
  return true;
}

bool EngineTimers::expiry_due(MonoTime now) {
  if (now < next_expiry_) return false;
  next_expiry_ = now + kExpiryEvery;
  return true;
}

MonoTime EngineTimers::next_deadline(MonoTime now, std::initializer_list<std::optional<MonoTime>> others) const {
  MonoTime d = std::min(next_checkpoint_, next_expiry_);
  if (commit_retry_at_ > now) d = std::min(d, commit_retry_at_);
  if (reload_due_) d = std::min(d, *reload_due_);
  for (const auto& o : others) {
    if (o) d = std::min(d, *o);
  }
  return std::max(d, now);
}

}  // namespace edgegw::gateway
