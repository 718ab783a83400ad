// gateway/journal/journal_reader.h — the engine thread's cursor over the journal.
//
// Internal to Journal: where the next record is (segment, offset, seq), a
// read buffer filled with pread so many records cost one syscall, and the
// batch marks behind backlog_bytes(). Engine thread only; it never looks at
// the segment list, Journal tells it how far a segment is published.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "gateway/journal/journal_format.h"

namespace edgegw::gateway {

class JournalReader {
 public:
  JournalReader() = default;
  JournalReader(const JournalReader&) = delete;
  JournalReader& operator=(const JournalReader&) = delete;
  ~JournalReader();

  void position(uint64_t seg_first, uint64_t offset, uint64_t next_seq);
  // The start of segment `seg_first`; the expected seq jumps to its first
  // seq when that is higher (records known lost at open).
  void move_to(uint64_t seg_first);

  uint64_t seg_first() const { return seg_first_; }
  uint64_t offset() const { return offset_; }

  // The buffered bytes from offset() on (maybe none).
  std::string_view buffered() const;
  // Reads at least `need` bytes from offset(), and up to `chunk` when there
  // are, never beyond `end` (the published size). Fails if the file is
  // shorter than the journal published, or the record would pass `end`.
  Status fill(size_t need, uint64_t end, size_t chunk, int dir_fd, const std::string& dir);
  // Error messages name the file inside `dir`.
  // An error for a bad record or an unexpected seq at offset().
  Status check(const journal_format::Decoded& d, const std::string& dir) const;
  void advance(size_t frame_bytes);

  // Backlog accounting: `seq` ends a batch; released_through() returns the
  // bytes consumed up to the last batch ending at or below `seq`.
  void mark(uint64_t seq, size_t max_marks);
  uint64_t released_through(uint64_t seq);

 private:
  void close_fd();
  std::string path(const std::string& dir) const;

  uint64_t seg_first_ = 0;
  uint64_t offset_ = 0;    // file offset of the next record
  uint64_t next_seq_ = 0;  // its expected seq
  int fd_ = -1;            // opened lazily on seg_first_
  std::vector<char> buf_;
  uint64_t buf_off_ = 0;  // file offset of buf_[0]
  size_t buf_len_ = 0;
  uint64_t consumed_ = 0;  // frame bytes returned since open
  uint64_t released_ = 0;
  std::deque<std::pair<uint64_t, uint64_t>> marks_;  // (last seq of a batch, consumed_ after it)
};

}  // namespace edgegw::gateway
