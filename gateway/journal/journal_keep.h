// gateway/journal/journal_keep.h — which committed journal segments stay, for
// `edgegw journal export` and `edgegw test --from-journal` (docs/rules.md,
// "Backtesting").
//
// Segments whose every record is committed are kept while they are inside
// the window: the newest `max_bytes` of them, none written to longer ago
// than `age`. `age` zero turns keeping off (committed segments go at once,
// as before there was a window). Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgegw::gateway {

struct JournalKeep {
  int64_t age_ms = 24LL * 3600 * 1000;  // gateway.journal_keep.age; 0: keep nothing
  uint64_t max_bytes = 128ull << 20;    // gateway.journal_keep.max_bytes
  bool on() const { return age_ms > 0; }
};

struct KeptSegment {
  uint64_t bytes = 0;
  int64_t written_ms = 0;  // the file's last write (mtime), unix ms
};

// How many of `committed` (oldest first) fall out of the window at `now_ms`:
// they are a prefix, since the window keeps the newest.
size_t expired_prefix(const std::vector<KeptSegment>& committed, const JournalKeep& keep, int64_t now_ms);

}  // namespace edgegw::gateway
