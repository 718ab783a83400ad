// gateway/engine/intake_guard.h — backpressure on the local link.
//
// Holds the local link down (LinkSupervisor::pause) while the journal's
// backlog is over buffer.journal_max or the disk guard holds intake (the
// broker queues for our persistent session meanwhile), and lets it connect
// again (resume) once the backlog is under half of journal_max and the disk
// has room. Logs the two changes only, and mirrors the state in
// Metrics::ingress_paused.
//
// Engine thread only.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <memory>

#include "gateway/base/metrics.h"
#include "gateway/engine/link_supervisor.h"

namespace edgegw::gateway {

class IntakeGuard {
 public:
  IntakeGuard(LinkSupervisor& local, Metrics& metrics, std::shared_ptr<spdlog::logger> log, uint64_t journal_max);

  // `backlog_bytes`: the journal's bytes not yet committed; `disk_low`: DiskGuard::hold_intake().
  void check(uint64_t backlog_bytes, bool disk_low);
  bool paused() const { return paused_; }

 private:
  LinkSupervisor& local_;
  Metrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  uint64_t journal_max_;
  bool paused_ = false;
};

}  // namespace edgegw::gateway
