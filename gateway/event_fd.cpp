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

EventFd::EventFd(EventFd&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), pending_(other.pending_.exchange(false)) {}

EventFd& EventFd::operator=(EventFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    pending_ = other.pending_.exchange(false);
  }
  return *this;
}

EventFd::~EventFd() {
  if (fd_ >= 0) ::close(fd_);
}

void EventFd::notify() noexcept {
  // A wake-up is already pending: the engine has not drained yet, so it will
  // take this producer's work too (the work was published before this
  // exchange, and drain()'s exchange reads this one's value or a later one).
  if (pending_.exchange(true, std::memory_order_acq_rel)) return;
  uint64_t one = 1;
  // EAGAIN means the counter is at its maximum, i.e. already signalled.
  while (::write(fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

bool EventFd::drain() noexcept {
  // Cleared before the work is taken: a notify() from here on writes again.
  pending_.exchange(false, std::memory_order_acq_rel);
  uint64_t count = 0;
  while (::read(fd_, &count, sizeof count) < 0) {
    if (errno != EINTR) return false;  // EAGAIN: nothing was signalled
  }
  return count > 0;
}

}  // namespace edgegw::gateway
