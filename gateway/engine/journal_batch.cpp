#include "gateway/engine/journal_batch.h"

#include <algorithm>
#include <iterator>

namespace edgegw::gateway {

Status JournalBatch::fill(size_t max_records, size_t max_bytes) {
  if (!records_.empty()) return Status();
  return journal_.read_next(records_, max_records, max_bytes);
}

uint64_t JournalBatch::bytes_of_first(size_t n) const {
  uint64_t bytes = 0;
  for (size_t i = 0; i < std::min(n, records_.size()); ++i)
    bytes += records_[i].topic.size() + records_[i].payload.size();
  return bytes;
}

void JournalBatch::taken(size_t n) {
  records_.erase(records_.begin(), records_.begin() + static_cast<std::ptrdiff_t>(std::min(n, records_.size())));
}

}  // namespace edgegw::gateway
