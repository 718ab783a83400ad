// gateway/journal/journal.cpp — append, tail and release (recovery: journal_recovery.cpp).
#include "gateway/journal/journal.h"

#include <algorithm>
#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "gateway/journal/journal_io.h"
#include "gateway/journal/journal_reader.h"

namespace edgegw::gateway {

namespace fmt = journal_format;
using journal_io::sys_error;

namespace {
// A read buffer that grew for one large record goes back to this size, so
// a single 64 MiB message does not pin 64 MiB for the process' lifetime.
constexpr size_t kReadChunk = 256 << 10;
constexpr size_t kKeepWriteBuffer = 1 << 20;
// read_next() batches remembered for backlog accounting; dropping the oldest
// only makes release() count later, never too early.
constexpr size_t kMaxMarks = 4096;
}  // namespace

Journal::Journal(JournalOptions opts, int dir_fd)
    : opts_(std::move(opts)), dir_fd_(dir_fd), reader_(std::make_unique<JournalReader>()) {}

Journal::~Journal() {
  if (write_fd_ >= 0) ::close(write_fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

Result<std::unique_ptr<Journal>> Journal::open(JournalOptions opts, uint64_t committed_seq) {
  if (opts.dir.empty()) return Status::error("journal", "no directory configured");
  if (Status st = journal_io::make_dirs(opts.dir); !st.ok()) return st;
  int dir_fd = ::open(opts.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return sys_error(opts.dir, errno);
  std::unique_ptr<Journal> j(new Journal(std::move(opts), dir_fd));
  if (Status st = j->recover(committed_seq); !st.ok()) return st;
  j->released_seq_ = committed_seq;
  if (Status st = j->trim(); !st.ok()) return st;  // and counts what is kept
  return Result<std::unique_ptr<Journal>>(std::move(j));
}

std::string Journal::segment_path(uint64_t first_seq) const {
  return opts_.dir + "/" + fmt::segment_file_name(first_seq);
}

// ---- append: any thread --------------------------------------------------

Result<uint64_t> Journal::append(Link link, std::string_view topic, std::string_view payload, int qos, bool retain,
                                 int64_t received_ms) {
  if (qos < 0 || qos > 2) return Status::error("journal", "qos must be 0, 1 or 2");
  if (topic.size() > fmt::kMaxTopicBytes || payload.size() > fmt::kMaxPayloadBytes) {
    return Status::error("journal", "record too large: topic " + std::to_string(topic.size()) + " bytes, payload " +
                                        std::to_string(payload.size()) + " bytes");
  }
  std::lock_guard lock(mu_);
  if (broken_) return Status::error(opts_.dir, "journal unusable after a failed append; restart to recover it");
  if (segments_.back().size >= opts_.segment_bytes && segments_.back().size > fmt::kSegmentHeaderBytes) {
    if (Status st = roll_locked(); !st.ok()) return st;
  }
  const uint64_t seq = next_seq_;
  fmt::encode_record(write_buf_, seq, link, qos, retain, received_ms, topic, payload);
  int err = journal_io::write_all(write_fd_, write_buf_);
  const bool sync_failed = err == 0 && opts_.sync_full && ::fdatasync(write_fd_) != 0;
  if (sync_failed) err = errno;
  if (err != 0) {
    undo_append_locked(sync_failed);
    return sys_error(segment_path(segments_.back().first_seq), err);
  }
  // Published only now: the reader never sees a record that is still being
  // written or, with sync_full, not yet on disk.
  segments_.back().size += write_buf_.size();
  appended_bytes_.fetch_add(write_buf_.size(), std::memory_order_relaxed);
  ++next_seq_;
  last_seq_.store(seq, std::memory_order_release);
  if (write_buf_.capacity() > kKeepWriteBuffer) std::string().swap(write_buf_);
  return seq;
}

// Cut the partial record so nothing that follows sits behind half a record.
// After a failed fdatasync the page cache may hold pages the kernel already
// gave up on (PostgreSQL's "fsyncgate"), so the journal is retired: a
// restart's open() decides from what is really in the file.
void Journal::undo_append_locked(bool sync_failed) {
  if (::ftruncate(write_fd_, static_cast<off_t>(segments_.back().size)) != 0 || sync_failed) {
    broken_ = true;
  }
}

Status Journal::roll_locked() {
  auto fd = journal_io::create_segment(dir_fd_, next_seq_, opts_.sync_full, opts_.dir);
  if (!fd.ok()) return fd.status();
  ::close(write_fd_);
  write_fd_ = *fd;
  segments_.push_back({next_seq_, fmt::kSegmentHeaderBytes});
  return {};
}

uint64_t Journal::backlog_bytes() const {
  uint64_t appended = appended_bytes_.load(std::memory_order_relaxed);
  uint64_t released = released_bytes_.load(std::memory_order_relaxed);
  return appended > released ? appended - released : 0;
}

// ---- read_next / release: engine thread ----------------------------------

// Finds the reader's segment (or, if release() removed it, the next one) and
// returns its published size and whether a newer segment exists.
Journal::SegmentView Journal::reader_view() {
  JournalReader& r = *reader_;
  std::lock_guard lock(mu_);
  auto it = std::lower_bound(segments_.begin(), segments_.end(), r.seg_first(),
                             [](const Segment& s, uint64_t first) { return s.first_seq < first; });
  if (it == segments_.end()) --it;  // cannot happen: the written segment is never removed
  if (it->first_seq != r.seg_first()) r.move_to(it->first_seq);
  return {it->size, std::next(it) != segments_.end() ? std::next(it)->first_seq : 0};
}

Status Journal::read_next(std::vector<JournalRecord>& out, size_t max_records, size_t max_bytes) {
  JournalReader& r = *reader_;
  size_t taken = 0;
  uint64_t bytes = 0;
  Status st;
  while (st.ok() && taken < max_records && (taken == 0 || bytes < max_bytes)) {
    SegmentView view = reader_view();
    if (r.offset() >= view.size) {
      if (view.next_first == 0) break;
      r.move_to(view.next_first);
      continue;
    }
    JournalRecord rec;
    fmt::Decoded d = fmt::decode_record(r.buffered(), &rec);
    if (d.kind == fmt::Decode::need_more) {
      st = r.fill(d.frame_bytes, view.size, kReadChunk, dir_fd_, opts_.dir);
      continue;
    }
    st = r.check(d, opts_.dir);
    if (!st.ok()) break;
    r.advance(d.frame_bytes);
    bytes += d.frame_bytes;
    ++taken;
    out.push_back(std::move(rec));
  }
  if (taken > 0) r.mark(out.back().seq, kMaxMarks);
  return st;
}

bool Journal::caught_up() {
  SegmentView view = reader_view();
  return view.next_first == 0 && reader_->offset() >= view.size;
}

Status Journal::release(uint64_t seq) {
  released_bytes_.store(reader_->released_through(seq), std::memory_order_relaxed);
  released_seq_ = std::max(released_seq_, seq);
  return trim();
}

}  // namespace edgegw::gateway
