#include "gateway/engine/intake_guard.h"

namespace edgegw::gateway {

IntakeGuard::IntakeGuard(LinkSupervisor& local, Metrics& metrics, std::shared_ptr<spdlog::logger> log,
                         uint64_t journal_max)
    : local_(local), metrics_(metrics), log_(std::move(log)), journal_max_(journal_max) {}

void IntakeGuard::check(uint64_t backlog_bytes, bool disk_low) {
  const bool over = backlog_bytes > journal_max_;
  const bool under_half = backlog_bytes < journal_max_ / 2;
  if (!paused_ && (over || disk_low)) {
    paused_ = true;
    metrics_.ingress_paused = true;
    log_->warn("local link: holding it down ({}); the broker queues for our session",
               disk_low ? "state_dir is low on space" : "the journal is over buffer.journal_max");
    local_.pause();
  } else if (paused_ && under_half && !disk_low) {
    paused_ = false;
    metrics_.ingress_paused = false;
    log_->info("local link: resuming intake");
    local_.resume();
  }
}

}  // namespace edgegw::gateway
