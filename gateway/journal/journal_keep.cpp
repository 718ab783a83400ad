#include "gateway/journal/journal_keep.h"

namespace edgegw::gateway {

size_t expired_prefix(const std::vector<KeptSegment>& committed, const JournalKeep& keep, int64_t now_ms) {
  if (!keep.on()) return committed.size();
  uint64_t total = 0;
  for (const KeptSegment& s : committed) total += s.bytes;
  size_t n = 0;
  for (; n < committed.size(); ++n) {
    const bool too_big = total > keep.max_bytes;
    const bool too_old = now_ms - committed[n].written_ms > keep.age_ms;
    if (!too_big && !too_old) break;
    total -= committed[n].bytes;
  }
  return n;
}

}  // namespace edgegw::gateway
