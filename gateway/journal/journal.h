// gateway/journal/journal.h — the ingress journal (design.md, Delivery).
//
// Paho's receive thread appends every received message with one write() and
// returns, so the PUBACK that follows is only sent for a message the kernel
// holds (and, with sync_full, the disk). The engine thread tails the journal
// with read_next(), commits the effects together with the last seq it took,
// and release()s what that commit made redundant. After a crash the engine
// passes its committed seq to open() and gets the records after it again.
//
// Files: append-only segment files in `dir` (journal_format.h), each named by
// its first seq; the newest is the one being written.
//
// Threads: append(), last_appended_seq() and backlog_bytes() from any thread
// (one internal mutex, held across the write() and, with sync_full, the
// fdatasync). read_next(), caught_up() and release() from ONE thread, the
// engine's. The reader sees a record only after its append() returned, so a
// record being written is "not there yet", never a corruption. The reader
// takes the mutex briefly to learn how far the segments are published, so it
// may wait out one append in progress (one fdatasync with sync_full).
//
// Loss: none for a record whose append() returned, except by power loss
// without sync_full, or by damage to the files. Damage found at open is cut
// and reported in recovery(); damage found while running is an error Status.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "gateway/journal/journal_format.h"
#include "gateway/journal/journal_keep.h"

namespace edgegw::gateway {

class JournalReader;

struct JournalOptions {
  std::string dir;                       // e.g. <state_dir>/journal; created (mode 0700) if missing
  uint64_t segment_bytes = 16ull << 20;  // start a new segment once the current one reaches this
  bool sync_full = false;                // fdatasync each record (buffer.sync: full)
  // Committed segments kept for export and replay (gateway.journal_keep);
  // off here, so a journal keeps nothing unless the daemon asks.
  JournalKeep keep{0, 0};
};

// What open() found and repaired, for the caller to log.
struct JournalRecovery {
  // Bytes truncated off segment tails: a torn last record (crash while
  // writing, or unsynced pages lost to a power cut), or a bad record and
  // everything after it.
  uint64_t bytes_cut = 0;
  // A bad record (length, CRC, seq) was followed by more non-zero data: the
  // complete records after it were cut too and are lost. Their number is
  // unknown when they were in the last segment.
  bool corrupt_mid_journal = false;
  std::string corrupt_detail;  // "00000000000000000001.seg at 4096: bad crc"
  // Seqs above committed_seq that no segment holds (a gap between segments,
  // e.g. after an earlier segment's tail was cut): known lost records.
  uint64_t missing_records = 0;
  uint64_t segments_removed = 0;  // wholly committed segments deleted
  uint64_t pending_records = 0;   // records after committed_seq, for read_next
  uint64_t next_seq = 0;          // seq of the next append
};

class Journal {
 public:
  // Opens or creates the journal and recovers it: drops segments wholly
  // <= committed_seq, cuts a torn or corrupt tail off a segment (truncate),
  // and positions the reader at the first record after committed_seq.
  // Numbering continues after max(last record kept, committed_seq), so a seq
  // is never given to two records the engine could both see; a seq whose
  // record was cut at open, uncommitted, may be given again.
  // Fails on I/O errors and on a file named like a segment that is not one
  // (foreign data, or a newer format): those are left untouched.
  static Result<std::unique_ptr<Journal>> open(JournalOptions opts, uint64_t committed_seq);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const JournalRecovery& recovery() const { return recovery_; }

  // Any thread. Frames the record into a reused buffer and writes it with one
  // write() (looping only on a partial write), then fdatasyncs with
  // sync_full. Returns its seq. Fails on qos outside 0..2, a topic over
  // 65535 or a payload over 64 MiB bytes, and on I/O errors (ENOSPC, EIO):
  // then the partial record is truncated away, or, if that fails too or the
  // fdatasync failed, every later append fails (the cut happens at the next
  // open), so no half record ever sits before a complete one.
  Result<uint64_t> append(Link link, std::string_view topic, std::string_view payload, int qos, bool retain,
                          int64_t received_ms);

  // Engine thread only. Appends to `out` the records after the last one
  // returned, in seq order: at most max_records, and stopping once about
  // max_bytes of frames were taken (always at least one record when there is
  // one). Returns with nothing added when every record is taken. Fails when
  // a published record does not decode (the files were damaged or changed
  // behind the journal's back); `out` then holds the records before it.
  Status read_next(std::vector<JournalRecord>& out, size_t max_records, size_t max_bytes);

  // Engine thread only. True when read_next() has returned every record
  // appended so far (a stop on max_records or max_bytes leaves it false).
  bool caught_up();

  // Engine thread only. Records <= seq are committed durably: deletes the
  // segment files whose every record is <= seq and that are outside the keep
  // window (all of them when keeping is off), never the one being written.
  // An unlink failure is returned; the file is retried at the next open.
  Status release(uint64_t seq);
  // Engine thread only. Deletes the released segments that have fallen out
  // of the keep window since (by age): call it now and then (once a minute).
  Status trim();
  // Engine thread only. While paused (the state_dir is short of space:
  // DiskGuard), no released segment is kept; pausing deletes the kept ones.
  Status pause_keeping(bool paused);
  // Any thread. Bytes of the released segments still kept.
  uint64_t kept_bytes() const { return kept_bytes_.load(std::memory_order_relaxed); }

  // Any thread. The highest seq given out (after open: the last record kept,
  // or committed_seq if higher; 0 for a new journal).
  uint64_t last_appended_seq() const { return last_seq_.load(std::memory_order_acquire); }
  // Any thread. Frame bytes appended (or found at open after committed_seq)
  // and not yet covered by release(): what the engine has still to commit.
  // Counted per read_next() batch, so a release() in the middle of a batch
  // counts from the next one.
  uint64_t backlog_bytes() const;
  // Any thread. Frame bytes appended since open, ever growing: the disk
  // budget counts what the journal wrote between two looks (disk_guard.h).
  uint64_t appended_bytes() const { return appended_bytes_.load(std::memory_order_relaxed); }

 private:
  struct Segment {
    uint64_t first_seq;
    uint64_t size;  // bytes published: header + whole records
  };
  struct SegmentView {
    uint64_t size;        // published bytes of the reader's segment
    uint64_t next_first;  // first seq of the segment after it; 0: none
  };
  class Recovery;  // journal_recovery.cpp

  Journal(JournalOptions opts, int dir_fd);
  Status recover(uint64_t committed_seq);
  Status roll_locked();
  Status trim_with(const JournalKeep& keep);
  void undo_append_locked(bool sync_failed);
  SegmentView reader_view();
  std::string segment_path(uint64_t first_seq) const;

  JournalOptions opts_;
  int dir_fd_ = -1;

  std::mutex mu_;                  // guards everything below up to the atomics
  std::vector<Segment> segments_;  // sorted by first_seq; back() is being written
  int write_fd_ = -1;
  uint64_t next_seq_ = 1;
  std::string write_buf_;
  bool broken_ = false;
  std::atomic<uint64_t> last_seq_{0};
  std::atomic<uint64_t> appended_bytes_{0};
  std::atomic<uint64_t> released_bytes_{0};
  std::atomic<uint64_t> kept_bytes_{0};
  uint64_t released_seq_ = 0;  // engine thread: the highest seq release() was given
  bool keep_paused_ = false;   // engine thread

  std::unique_ptr<JournalReader> reader_;  // engine thread only
  JournalRecovery recovery_;
};

}  // namespace edgegw::gateway
