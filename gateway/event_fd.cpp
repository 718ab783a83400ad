// gateway/event_fd.cpp
#include "gateway/event_fd.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <sys/eventfd.h>
#include <unistd.h>

namespace edgegw::gateway {

Result<EventFd> EventFd::create() {
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return Status::error("eventfd", std::strerror(errno));
  return EventFd(fd);
}

EventFd::EventFd(EventFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

EventFd& EventFd::operator=(EventFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

EventFd::~EventFd() {
  if (fd_ >= 0) ::close(fd_);
}

void EventFd::notify() noexcept {
  uint64_t one = 1;
  // EAGAIN means the counter is at its maximum, i.e. already signalled.
  while (::write(fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

uint64_t EventFd::drain() noexcept {
  uint64_t count = 0;
  while (::read(fd_, &count, sizeof count) < 0) {
    if (errno != EINTR) return 0;  // EAGAIN: nothing was signalled
  }
  return count;
}

}  // namespace edgegw::gateway
