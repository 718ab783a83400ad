// gateway/journal/journal_recovery.cpp — what Journal::open() does before the first
// append: list the segments, drop the committed ones, validate every record,
// cut a torn or corrupt tail, pick the segment to write and the reader's start.
#include <algorithm>
#include <cerrno>
#include <limits>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/journal/journal.h"
#include "gateway/journal/journal_io.h"
#include "gateway/journal/journal_reader.h"

namespace edgegw::gateway {

namespace fmt = journal_format;
using journal_io::sys_error;

namespace {

constexpr size_t kScanChunk = 1 << 20;

// One segment after its repair.
struct Scan {
  uint64_t first = 0;
  uint64_t size = 0;      // bytes kept
  uint64_t last_seq = 0;  // 0: no records
  uint64_t pending = 0;   // records after committed_seq
  uint64_t pending_bytes = 0;
  uint64_t reader_offset = 0;  // the first record after committed_seq; 0: none here
  uint64_t reader_seq = 0;
  bool removed = false;  // a torn header: the file is gone
};

// Where the valid records of a segment end, and what stopped the walk.
struct Stop {
  uint64_t at = 0;
  bool torn = false;       // the last record runs past the end of the file
  uint64_t bad_frame = 0;  // size of the bad record, when its length was sane
  std::string why;
};

}  // namespace

class Journal::Recovery {
 public:
  Recovery(Journal& j, uint64_t committed) : j_(j), committed_(committed), rep_(j.recovery_) {}
  Status run();

 private:
  Status list_segments(std::vector<uint64_t>& firsts);
  Status drop_committed(std::vector<uint64_t>& firsts);
  Status scan(uint64_t first, uint64_t limit, Scan& sc);
  Status walk(int fd, uint64_t limit, uint64_t size, Scan& sc, Stop& stop);
  Status cut(int fd, const Scan& sc, uint64_t size, const Stop& stop);
  Result<bool> all_zero(int fd, uint64_t first, uint64_t from, uint64_t to);
  Status open_writer(std::vector<Scan>& scans, uint64_t next_seq);
  std::string path(uint64_t first) const { return j_.segment_path(first); }

  Journal& j_;
  const uint64_t committed_;
  JournalRecovery& rep_;
  std::vector<char> buf_;
};

Status Journal::recover(uint64_t committed_seq) { return Recovery(*this, committed_seq).run(); }

Status Journal::Recovery::run() {
  std::vector<uint64_t> firsts;
  if (Status st = list_segments(firsts); !st.ok()) return st;
  if (Status st = drop_committed(firsts); !st.ok()) return st;
  std::vector<Scan> scans;
  uint64_t last_seq = 0, pending_bytes = 0;
  for (size_t i = 0; i < firsts.size(); ++i) {
    uint64_t limit = i + 1 < firsts.size() ? firsts[i + 1] : std::numeric_limits<uint64_t>::max();
    Scan sc;
    if (Status st = scan(firsts[i], limit, sc); !st.ok()) return st;
    if (sc.removed) continue;
    last_seq = std::max(last_seq, sc.last_seq);
    rep_.pending_records += sc.pending;
    pending_bytes += sc.pending_bytes;
    scans.push_back(sc);
  }
  const uint64_t next_seq = std::max(last_seq, committed_) + 1;
  if (Status st = open_writer(scans, next_seq); !st.ok()) return st;
  auto start = std::find_if(scans.begin(), scans.end(), [](const Scan& s) { return s.reader_offset != 0; });
  if (start != scans.end()) {
    j_.reader_->position(start->first, start->reader_offset, start->reader_seq);
  } else {
    j_.reader_->position(scans.back().first, scans.back().size, next_seq);
  }
  if (last_seq > committed_) rep_.missing_records = last_seq - committed_ - rep_.pending_records;
  rep_.next_seq = next_seq;
  j_.next_seq_ = next_seq;
  j_.last_seq_.store(next_seq - 1);
  j_.appended_bytes_.store(pending_bytes);
  // Make the deletions, cuts and the new segment's name durable together.
  if (::fsync(j_.dir_fd_) != 0) return sys_error(j_.opts_.dir, errno);
  return {};
}

Status Journal::Recovery::list_segments(std::vector<uint64_t>& firsts) {
  DIR* d = ::opendir(j_.opts_.dir.c_str());
  if (d == nullptr) return sys_error(j_.opts_.dir, errno);
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    // Other names (an operator's notes, an editor's backup) are not ours to touch.
    if (auto first = fmt::parse_segment_file_name(e->d_name)) firsts.push_back(*first);
    errno = 0;
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return sys_error(j_.opts_.dir, err);
  std::sort(firsts.begin(), firsts.end());
  return {};
}

// Segment i holds only seqs below segment i+1's name, so the names alone say
// which segments the committed position has passed; no need to read them.
// Those inside the keep window (journal_keep.h) stay; Journal::open trims
// them again once the journal is up.
Status Journal::Recovery::drop_committed(std::vector<uint64_t>& firsts) {
  size_t committed = 0;
  while (committed + 1 < firsts.size() && firsts[committed + 1] - 1 <= committed_) ++committed;
  size_t n = committed;
  if (j_.opts_.keep.on()) {
    std::vector<KeptSegment> kept;
    for (size_t i = 0; i < committed; ++i) {
      struct stat st {};
      const std::string name = fmt::segment_file_name(firsts[i]);
      if (::fstatat(j_.dir_fd_, name.c_str(), &st, 0) != 0) return sys_error(path(firsts[i]), errno);
      kept.push_back({static_cast<uint64_t>(st.st_size), st.st_mtim.tv_sec * 1000LL + st.st_mtim.tv_nsec / 1'000'000});
    }
    n = expired_prefix(kept, j_.opts_.keep, static_cast<int64_t>(::time(nullptr)) * 1000);
  }
  for (size_t i = 0; i < n; ++i) {
    const std::string name = fmt::segment_file_name(firsts[i]);
    if (::unlinkat(j_.dir_fd_, name.c_str(), 0) != 0 && errno != ENOENT) {
      return sys_error(path(firsts[i]), errno);
    }
    ++rep_.segments_removed;
  }
  firsts.erase(firsts.begin(), firsts.begin() + static_cast<ptrdiff_t>(n));
  return {};
}

Status Journal::Recovery::scan(uint64_t first, uint64_t limit, Scan& sc) {
  sc.first = first;
  const std::string name = fmt::segment_file_name(first);
  int fd = ::openat(j_.dir_fd_, name.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return sys_error(path(first), errno);
  struct stat stbuf {};
  if (::fstat(fd, &stbuf) != 0) {
    int err = errno;
    ::close(fd);
    return sys_error(path(first), err);
  }
  const uint64_t size = static_cast<uint64_t>(stbuf.st_size);
  char head[fmt::kSegmentHeaderBytes];
  size_t got = 0;
  Status st;
  Stop stop;
  if (int err = journal_io::pread_full(fd, head, sizeof head, 0, got); err != 0) {
    st = sys_error(path(first), err);
  } else {
    switch (fmt::check_segment_header({head, got})) {
      case fmt::HeaderCheck::ok:
        st = walk(fd, limit, size, sc, stop);
        if (st.ok() && stop.at < size) st = cut(fd, sc, size, stop);
        sc.size = stop.at;
        break;
      case fmt::HeaderCheck::torn:  // a crash while a new segment was being created
        if (::unlinkat(j_.dir_fd_, name.c_str(), 0) != 0) st = sys_error(path(first), errno);
        rep_.bytes_cut += size;
        sc.removed = true;
        break;
      case fmt::HeaderCheck::foreign:
        st = Status::error(path(first), "not an edgegw journal segment; move it out of the journal directory");
        break;
      case fmt::HeaderCheck::future_version:
        st = Status::error(path(first), "written by a newer edgegw (unknown journal format version)");
        break;
    }
  }
  ::close(fd);
  return st;
}

// Validates every record: frame, CRC, and seq (the segment's name first, then
// +1 each, all below the next segment's name). Reads in large chunks.
Status Journal::Recovery::walk(int fd, uint64_t limit, uint64_t size, Scan& sc, Stop& stop) {
  uint64_t off = fmt::kSegmentHeaderBytes, buf_off = off, expect = sc.first;
  size_t buf_len = 0;
  while (off < size) {
    std::string_view view(buf_.data() + (off - buf_off), buf_len - (off - buf_off));
    fmt::Decoded d = fmt::decode_record(view, nullptr);
    if (d.kind == fmt::Decode::need_more) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(d.frame_bytes, kScanChunk), size - off));
      if (buf_.size() < want) buf_.resize(want);
      if (int err = journal_io::pread_full(fd, buf_.data(), want, off, buf_len); err != 0) {
        return sys_error(path(sc.first), err);
      }
      buf_off = off;
      if (buf_len >= d.frame_bytes) continue;
      stop = {off, true, 0, "torn record"};  // the record runs past the end of the file
      return {};
    }
    if (d.kind == fmt::Decode::bad || d.seq != expect || d.seq >= limit) {
      std::string why = d.kind == fmt::Decode::bad ? d.why : "unexpected seq " + std::to_string(d.seq);
      stop = {off, false, d.frame_bytes, std::move(why)};
      return {};
    }
    sc.last_seq = d.seq;
    if (d.seq > committed_) {
      if (sc.reader_offset == 0) {
        sc.reader_offset = off;
        sc.reader_seq = d.seq;
      }
      ++sc.pending;
      sc.pending_bytes += d.frame_bytes;
    }
    off += d.frame_bytes;
    ++expect;
  }
  stop.at = size;
  return {};
}

// Truncates at the first bad record. The bad record itself, with nothing or
// only zeros after it, is the signature of a crash (a torn write, or pages a
// power cut never wrote); non-zero data after it means records were lost.
Status Journal::Recovery::cut(int fd, const Scan& sc, uint64_t size, const Stop& stop) {
  bool corrupt = false;
  if (!stop.torn) {
    // A damaged length field leaves the frame's end unknown: then the check
    // starts at the record, so it counts as corrupt (conservative).
    auto zero = all_zero(fd, sc.first, std::min(stop.at + stop.bad_frame, size), size);
    if (!zero.ok()) return zero.status();
    corrupt = !*zero;
  }
  if (::ftruncate(fd, static_cast<off_t>(stop.at)) != 0 || ::fdatasync(fd) != 0) {
    return sys_error(path(sc.first), errno);
  }
  rep_.bytes_cut += size - stop.at;
  if (corrupt) {
    rep_.corrupt_mid_journal = true;
    if (rep_.corrupt_detail.empty()) {
      rep_.corrupt_detail = path(sc.first) + " at offset " + std::to_string(stop.at) + ": " + stop.why;
    }
  }
  return {};
}

Result<bool> Journal::Recovery::all_zero(int fd, uint64_t first, uint64_t from, uint64_t to) {
  if (buf_.size() < kScanChunk) buf_.resize(kScanChunk);
  for (uint64_t off = from; off < to;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf_.size(), to - off)), got = 0;
    if (int err = journal_io::pread_full(fd, buf_.data(), want, off, got); err != 0) {
      return sys_error(path(first), err);
    }
    if (std::any_of(buf_.data(), buf_.data() + got, [](char c) { return c != 0; })) return false;
    if (got < want) break;
    off += got;
  }
  return true;
}

// The newest segment keeps taking appends if it holds uncommitted records,
// or is empty and named for the next seq; otherwise (all committed, or the
// numbering moved past it) it goes and a fresh segment starts at next_seq.
Status Journal::Recovery::open_writer(std::vector<Scan>& scans, uint64_t next_seq) {
  bool reuse = !scans.empty();
  if (reuse) {
    const Scan& last = scans.back();
    reuse = last.last_seq != 0 ? last.last_seq > committed_ : last.first == next_seq;
    const bool kept = j_.opts_.keep.on() && last.last_seq != 0;  // all committed, inside the window
    if (!reuse && !kept) {
      const std::string name = fmt::segment_file_name(last.first);
      if (::unlinkat(j_.dir_fd_, name.c_str(), 0) != 0) return sys_error(path(last.first), errno);
      ++rep_.segments_removed;
      scans.pop_back();
    }
  }
  for (const Scan& sc : scans) j_.segments_.push_back({sc.first, sc.size});
  if (reuse) {
    const std::string name = fmt::segment_file_name(scans.back().first);
    j_.write_fd_ = ::openat(j_.dir_fd_, name.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (j_.write_fd_ < 0) return sys_error(path(scans.back().first), errno);
    return {};
  }
  auto fd = journal_io::create_segment(j_.dir_fd_, next_seq, j_.opts_.sync_full, j_.opts_.dir);
  if (!fd.ok()) return fd.status();
  j_.write_fd_ = *fd;
  j_.segments_.push_back({next_seq, fmt::kSegmentHeaderBytes});
  Scan fresh;
  fresh.first = next_seq;
  fresh.size = fmt::kSegmentHeaderBytes;
  scans.push_back(fresh);
  return {};
}

}  // namespace edgegw::gateway
