// gateway/journal/journal_trim.cpp — deleting released segments, or keeping
// them inside the window (journal_keep.h).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "gateway/journal/journal.h"
#include "gateway/journal/journal_io.h"

namespace edgegw::gateway {

namespace fmt = journal_format;

namespace {

int64_t wall_now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

Status Journal::trim() { return trim_with(keep_paused_ ? JournalKeep{0, 0} : opts_.keep); }

Status Journal::pause_keeping(bool paused) {
  keep_paused_ = paused;
  return trim();
}

// Only this thread removes segments, and appends only add at the back, so the
// released front seen under the lock is still there when it is erased.
Status Journal::trim_with(const JournalKeep& keep) {
  std::vector<Segment> released;
  {
    std::lock_guard lock(mu_);
    // Segment i's records all lie below segment i+1's first seq.
    for (size_t i = 0; i + 1 < segments_.size() && segments_[i + 1].first_seq - 1 <= released_seq_; ++i) {
      released.push_back(segments_[i]);
    }
  }
  std::vector<KeptSegment> kept;
  for (const Segment& s : released) {
    struct stat st {};
    const std::string name = fmt::segment_file_name(s.first_seq);
    const bool known = keep.on() && ::fstatat(dir_fd_, name.c_str(), &st, 0) == 0;
    kept.push_back({s.size, known ? st.st_mtim.tv_sec * 1000LL + st.st_mtim.tv_nsec / 1'000'000 : 0});
  }
  const size_t doomed = expired_prefix(kept, keep, wall_now_ms());
  if (doomed > 0) {
    std::lock_guard lock(mu_);
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(doomed));
  }
  uint64_t still = 0;
  for (size_t i = doomed; i < kept.size(); ++i) still += kept[i].bytes;
  kept_bytes_.store(still, std::memory_order_relaxed);
  Status st;  // unlink outside the lock: appends must not wait for the file system
  for (size_t i = 0; i < doomed; ++i) {
    const std::string name = fmt::segment_file_name(released[i].first_seq);
    if (::unlinkat(dir_fd_, name.c_str(), 0) != 0 && errno != ENOENT && st.ok()) {
      st = journal_io::sys_error(segment_path(released[i].first_seq), errno);
    }
  }
  return st;
}

}  // namespace edgegw::gateway
