// gateway/journal/journal_scan.h — reading a journal directory from another
// process: `edgegw journal export` and `edgegw test --from-journal`, while
// the daemon may be running.
//
// Read-only and lock-free: it opens each segment file O_RDONLY, never takes
// the daemon's lock and never writes, so it cannot stall the engine. What it
// sees is what was on disk when it read each file: a record being written
// (a torn tail) ends that segment quietly; a segment deleted between the
// listing and the read is skipped; a damaged record ends its segment and is
// counted. Records come in seq order, each at most once.
// Any thread; no exceptions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "gateway/journal/journal_format.h"

namespace edgegw::gateway {

struct JournalScanStats {
  uint64_t records = 0;   // handed to the callback
  uint64_t segments = 0;  // read
  uint64_t damaged = 0;   // segments that ended at a bad record, not at their end
};

// Calls `each` for every record in `dir` with a seq above `after_seq`, in seq
// order; `each` returns false to stop. Fails only when the directory cannot
// be listed, or a segment cannot be read for another reason than being gone.
Result<JournalScanStats> scan_journal(const std::string& dir, uint64_t after_seq,
                                      const std::function<bool(JournalRecord&)>& each);

}  // namespace edgegw::gateway
