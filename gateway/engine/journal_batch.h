// gateway/engine/journal_batch.h — the journal records the engine thread has
// read and not yet committed.
//
// The journal's reader moves past what read_next() returns, so until their
// batch commits these records exist nowhere else in memory. A batch whose
// commit failed, or that a full disk cut short (DiskGuard::admit took part
// or none of it), is committed later as it is, before anything newer. So the
// batch reads anew only once every record it holds was taken: no path can
// drop one. (One did: a batch deferred by the full disk was cleared by the
// next read, losing its records; tests/unit/test_journal_batch.cpp.)
//
// Engine thread only, like the journal's reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/status.h"
#include "gateway/journal/journal.h"

namespace edgegw::gateway {

class JournalBatch {
 public:
  explicit JournalBatch(Journal& journal) : journal_(journal) {}

  // When the batch is empty, reads up to max_records and about max_bytes of
  // the journal's next records; when it holds records, keeps them and reads
  // nothing. Fails as Journal::read_next does, keeping what it read before.
  Status fill(size_t max_records, size_t max_bytes);

  const std::vector<JournalRecord>& records() const { return records_; }
  // Lent out while a batch routes them (EngineLoop::route_record), given back as they were.
  std::vector<JournalRecord>& records() { return records_; }
  bool empty() const { return records_.empty(); }
  size_t size() const { return records_.size(); }

  // Topic and payload bytes of the first n records (DiskGuard counts what a batch took).
  uint64_t bytes_of_first(size_t n) const;

  // The first n records committed: they leave the batch.
  void taken(size_t n);

 private:
  Journal& journal_;
  std::vector<JournalRecord> records_;
};

}  // namespace edgegw::gateway
