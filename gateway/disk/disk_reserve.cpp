// gateway/disk/disk_reserve.cpp — see disk_reserve.h.
#include "gateway/disk/disk_reserve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace edgegw::gateway {

namespace {
constexpr uint64_t kStep = 64u << 10;  // on ENOSPC, keep what fits in steps of this
}  // namespace

Status DiskReserve::restore() {
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error(path_, std::strerror(errno));
  uint64_t have = held();
  int err = 0;
  // posix_fallocate of the whole target either takes it all or nothing on
  // some file systems; growing in steps keeps what fits.
  while (have < target_) {
    const uint64_t step = std::min(kStep, target_ - have);
    err = ::posix_fallocate(fd, static_cast<off_t>(have), static_cast<off_t>(step));
    if (err != 0) break;
    have += step;
  }
  ::close(fd);
  if (err != 0) return Status::error(path_, std::strerror(err));
  return Status();
}

uint64_t DiskReserve::release() {
  const uint64_t had = held();
  if (had == 0) return 0;
  if (::truncate(path_.c_str(), 0) != 0) return 0;
  return had;
}

uint64_t DiskReserve::held() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_blocks) * 512u;
}

}  // namespace edgegw::gateway
