// gateway/event_fd.h — a Linux eventfd: "something is waiting" for the engine.
//
// Producers (Paho's receive thread after a journal append, the link event
// queue) call notify(); the engine thread polls fd() for POLLIN and calls
// drain() before it takes the work, so a notify() that races with the take
// wakes it again instead of being lost. Non-blocking, close-on-exec.
// notify(), drain() and fd() may be called from any thread; the object owns
// the descriptor and closes it on destruction. Movable, not copyable.
#pragma once

#include <cstdint>

#include "core/status.h"

namespace edgegw::gateway {

class EventFd {
 public:
  // Fails only when the kernel refuses a descriptor (EMFILE, ENOMEM).
  static Result<EventFd> create();

  EventFd(EventFd&& other) noexcept;
  EventFd& operator=(EventFd&& other) noexcept;
  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;
  ~EventFd();

  // Never blocks, never fails in a way the caller could act on: the counter
  // can only saturate (EAGAIN) when it is already signalled.
  void notify() noexcept;
  // Resets the counter; returns how many notify() calls it held (0: none).
  uint64_t drain() noexcept;
  int fd() const { return fd_; }

 private:
  explicit EventFd(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace edgegw::gateway
