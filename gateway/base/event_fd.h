// gateway/base/event_fd.h — a Linux eventfd: "something is waiting" for the engine.
//
// Producers (Paho's receive thread after a journal append, the link event
// queue) call notify(); the engine thread polls fd() for POLLIN and calls
// drain() before it takes the work, so a notify() that races with the take
// wakes it again instead of being lost. Only the first notify() after a
// drain() writes to the descriptor: while the engine has a wake-up pending,
// the others cost no system call (one per PUBACK and per message otherwise).
// Non-blocking, close-on-exec. notify(), drain() and fd() may be called from
// any thread; the object owns the descriptor and closes it on destruction.
// Movable (not while other threads use it), not copyable.
#pragma once

#include <atomic>
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
  // Resets the counter; returns whether it was signalled.
  bool drain() noexcept;
  int fd() const { return fd_; }

 private:
  explicit EventFd(int fd) : fd_(fd) {}
  int fd_ = -1;
  // Set by the notify() that writes, cleared by drain(): a wake-up is pending.
  std::atomic<bool> pending_{false};
};

}  // namespace edgegw::gateway
