// gateway/disk/disk_budget.cpp — see disk_budget.h.
#include "gateway/disk/disk_budget.h"

#include <algorithm>

namespace edgegw::gateway {

void DiskBudget::observe(uint64_t fs_free, uint64_t reserve_held, uint64_t db_free) {
  fs_free_ = fs_free;
  reserve_held_ = reserve_held;
  db_free_ = db_free;
  written_ = 0;
}

bool DiskBudget::need_look(uint64_t bytes) const {
  if (fs_free_ == UINT64_MAX) return true;
  const uint64_t line = debt() + o_.hold_below;
  const uint64_t distance = fs_free_ > line ? fs_free_ - line : 0;
  return written_ + bytes >= distance / 2;
}

bool DiskBudget::update_hold() {
  const uint64_t resume_at = o_.hold_below + o_.hold_below / 4;
  const bool held = held_ ? usable() < resume_at : usable() < o_.hold_below;
  const bool changed = held != held_;
  held_ = held;
  return changed;
}

uint64_t DiskBudget::room() const {
  // The inverse of commit_estimate(), keeping half the hold line for the
  // journal: what the broker still sends after intake is held lands there.
  const uint64_t avail = usable() + db_free_;
  const uint64_t keep = commit_estimate(0) + o_.hold_below / 2;
  if (avail <= keep) return 0;
  return ((avail - keep) / 3) >> full_streak_;
}

}  // namespace edgegw::gateway
