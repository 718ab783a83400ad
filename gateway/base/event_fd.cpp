// gateway/base/event_fd.cpp
#include "gateway/base/event_fd.h"

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
  // Read first, clear second. The other order loses wake-ups: a producer
  // between its exchange and its write when pending_ is cleared, a second
  // producer that then finds it clear and writes too, and one read taking
  // both writes would leave pending_ set with nothing left to wake the
  // poller, so every later notify() would skip its write. In this order a
  // producer that sets pending_ after the clear writes after the read, so
  // its write stays in the counter for the next poll.
  uint64_t count = 0;
  bool signalled = true;
  while (::read(fd_, &count, sizeof count) < 0) {
    if (errno != EINTR) {  // EAGAIN: nothing was signalled
      signalled = false;
      break;
    }
  }
  // Cleared before the work is taken: a notify() from here on writes again,
  // and one that found it still set published its work before this exchange.
  pending_.exchange(false, std::memory_order_acq_rel);
  return signalled && count > 0;
}

}  // namespace edgegw::gateway
