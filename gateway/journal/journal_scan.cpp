#include "gateway/journal/journal_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "gateway/journal/journal_io.h"

namespace edgegw::gateway {

namespace fmt = journal_format;

namespace {

constexpr size_t kChunk = 1 << 20;

Result<std::vector<uint64_t>> list_segments(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return journal_io::sys_error(dir, errno);
  std::vector<uint64_t> firsts;
  while (dirent* e = ::readdir(d)) {
    if (auto first = fmt::parse_segment_file_name(e->d_name)) firsts.push_back(*first);
  }
  ::closedir(d);
  std::sort(firsts.begin(), firsts.end());
  return firsts;
}

// One segment's records, read in chunks; `last_seq` only grows, so a record
// is never handed out twice. Returns false when `each` asked to stop.
class SegmentScan {
 public:
  SegmentScan(int fd, uint64_t after, uint64_t& last_seq, JournalScanStats& stats)
      : fd_(fd), after_(after), last_seq_(last_seq), stats_(stats) {}

  Result<bool> run(const std::function<bool(JournalRecord&)>& each) {
    char head[fmt::kSegmentHeaderBytes];
    size_t got = 0;
    if (int err = journal_io::pread_full(fd_, head, sizeof head, 0, got); err != 0) return Status::error("", "read");
    if (fmt::check_segment_header({head, got}) != fmt::HeaderCheck::ok) return true;  // torn, foreign: not ours to read
    off_ = fmt::kSegmentHeaderBytes;
    for (;;) {
      JournalRecord rec;
      fmt::Decoded d = fmt::decode_record(view(), &rec);
      if (d.kind == fmt::Decode::need_more) {
        if (!fill(d.frame_bytes)) return true;  // the end, or a record still being written
        continue;
      }
      if (d.kind == fmt::Decode::bad) {
        ++stats_.damaged;
        return true;
      }
      start_ += d.frame_bytes;
      if (rec.seq <= after_ || rec.seq <= last_seq_) continue;
      last_seq_ = rec.seq;
      ++stats_.records;
      if (!each(rec)) return false;
    }
  }

 private:
  std::string_view view() const { return {buf_.data() + start_, buf_.size() - start_}; }

  // At least `need` bytes from the current record on; false at the file's end.
  bool fill(size_t need) {
    off_ += start_;
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(start_));
    start_ = 0;
    const size_t have = buf_.size();
    const size_t want = std::max(need, kChunk);
    buf_.resize(have + want);
    size_t got = 0;
    const int err = journal_io::pread_full(fd_, buf_.data() + have, want, off_ + have, got);
    buf_.resize(have + (err == 0 ? got : 0));
    return buf_.size() >= need && got > 0;
  }

  int fd_;
  uint64_t after_;
  uint64_t& last_seq_;
  JournalScanStats& stats_;
  std::vector<char> buf_;
  size_t start_ = 0;  // the current record in buf_
  uint64_t off_ = 0;  // file offset of buf_[0]
};

}  // namespace

Result<JournalScanStats> scan_journal(const std::string& dir, uint64_t after_seq,
                                      const std::function<bool(JournalRecord&)>& each) {
  auto firsts = list_segments(dir);
  if (!firsts.ok()) return firsts.status();
  JournalScanStats stats;
  uint64_t last_seq = 0;
  const auto& f = *firsts;
  for (size_t i = 0; i < f.size(); ++i) {
    if (i + 1 < f.size() && f[i + 1] - 1 <= after_seq) continue;  // wholly before the start
    const std::string path = dir + "/" + fmt::segment_file_name(f[i]);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;  // the daemon let it go meanwhile
      return journal_io::sys_error(path, errno);
    }
    ++stats.segments;
    auto more = SegmentScan(fd, after_seq, last_seq, stats).run(each);
    ::close(fd);
    if (!more.ok()) return journal_io::sys_error(path, EIO);
    if (!*more) break;
  }
  return stats;
}

}  // namespace edgegw::gateway
