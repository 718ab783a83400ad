// gateway/journal/journal_reader.cpp
#include "gateway/journal/journal_reader.h"

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

#include "gateway/journal/journal_io.h"

namespace edgegw::gateway {

namespace fmt = journal_format;

JournalReader::~JournalReader() { close_fd(); }

void JournalReader::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_len_ = 0;
}

std::string JournalReader::path(const std::string& dir) const { return dir + "/" + fmt::segment_file_name(seg_first_); }

void JournalReader::position(uint64_t seg_first, uint64_t offset, uint64_t next_seq) {
  close_fd();
  seg_first_ = seg_first;
  offset_ = offset;
  next_seq_ = next_seq;
}

void JournalReader::move_to(uint64_t seg_first) {
  position(seg_first, fmt::kSegmentHeaderBytes, std::max(next_seq_, seg_first));
}

std::string_view JournalReader::buffered() const {
  if (offset_ < buf_off_ || offset_ > buf_off_ + buf_len_) return {};
  size_t skip = static_cast<size_t>(offset_ - buf_off_);
  return {buf_.data() + skip, buf_len_ - skip};
}

Status JournalReader::fill(size_t need, uint64_t end, size_t chunk, int dir_fd, const std::string& dir) {
  if (offset_ + need > end) {
    return Status::error(path(dir),
                         "record at offset " + std::to_string(offset_) + " runs past the end of the written data");
  }
  if (fd_ < 0) {
    const std::string name = fmt::segment_file_name(seg_first_);
    fd_ = ::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return journal_io::sys_error(path(dir), errno);
  }
  const size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(need, chunk), end - offset_));
  if (buf_.size() < want) {
    buf_.resize(want);
  } else if (buf_.size() > 4 * chunk && want <= chunk) {
    std::vector<char>(chunk).swap(buf_);  // give back what one large record took
  }
  size_t got = 0;
  buf_len_ = 0;
  if (int err = journal_io::pread_full(fd_, buf_.data(), want, offset_, got); err != 0) {
    return journal_io::sys_error(path(dir), err);
  }
  if (got < want) return Status::error(path(dir), "file is shorter than the journal wrote it");
  buf_off_ = offset_;
  buf_len_ = got;
  return {};
}

Status JournalReader::check(const fmt::Decoded& d, const std::string& dir) const {
  if (d.kind == fmt::Decode::ok && d.seq == next_seq_) return {};
  const std::string where = "record at offset " + std::to_string(offset_) + ": ";
  if (d.kind != fmt::Decode::ok) return Status::error(path(dir), where + d.why);
  return Status::error(
      path(dir), where + "seq " + std::to_string(d.seq) + " where " + std::to_string(next_seq_) + " was expected");
}

void JournalReader::advance(size_t frame_bytes) {
  offset_ += frame_bytes;
  consumed_ += frame_bytes;
  ++next_seq_;
}

void JournalReader::mark(uint64_t seq, size_t max_marks) {
  marks_.emplace_back(seq, consumed_);
  if (marks_.size() > max_marks) marks_.pop_front();
}

uint64_t JournalReader::released_through(uint64_t seq) {
  while (!marks_.empty() && marks_.front().first <= seq) {
    released_ = marks_.front().second;
    marks_.pop_front();
  }
  return released_;
}

}  // namespace edgegw::gateway
