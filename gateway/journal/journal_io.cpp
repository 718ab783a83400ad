// gateway/journal/journal_io.cpp
#include "gateway/journal/journal_io.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/journal/journal_format.h"

namespace edgegw::gateway::journal_io {

Status sys_error(std::string context, int err) { return Status::error(std::move(context), std::strerror(err)); }

Status make_dirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return sys_error(part, errno);
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return sys_error(dir, errno);
  if (!S_ISDIR(st.st_mode)) return Status::error(dir, "not a directory");
  return {};
}

int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;  // no progress: never spin
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

int pread_full(int fd, char* buf, size_t n, uint64_t offset, size_t& got) {
  got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return errno;
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return 0;
}

Result<int> create_segment(int dir_fd, uint64_t first_seq, bool sync, const std::string& dir) {
  const std::string name = journal_format::segment_file_name(first_seq);
  const std::string context = dir + "/" + name;
  int fd = ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return sys_error(context, errno);
  Status st;
  if (int err = write_all(fd, journal_format::segment_header()); err != 0) st = sys_error(context, err);
  // The new name must survive a power cut too, or the records in it would
  // vanish with their directory entry.
  if (st.ok() && sync && ::fdatasync(fd) != 0) st = sys_error(context, errno);
  if (st.ok() && sync && ::fsync(dir_fd) != 0) st = sys_error(dir, errno);
  if (!st.ok()) {
    ::close(fd);
    ::unlinkat(dir_fd, name.c_str(), 0);
    return st;
  }
  return fd;
}

}  // namespace edgegw::gateway::journal_io
