#include "gateway/engine/backlog_log.h"

#include <algorithm>

namespace edgegw::gateway {

BacklogLog::BacklogLog(std::shared_ptr<spdlog::logger> log, uint64_t max_messages)
    : log_(std::move(log)), max_messages_(max_messages) {}

void BacklogLog::update(uint64_t depth) {
  uint64_t level = 0;
  for (uint64_t t = 1000; t <= depth; t *= 10) level = t;
  if (level > logged_level_) log_->info("outbox: upstream backlog passed {} rows", level);
  logged_level_ = std::max(logged_level_, level);
  const bool high = depth * 10 >= max_messages_ * 8;
  if (high && !high_) log_->warn("outbox: upstream backlog {} rows is over 80% of buffer.max_messages", depth);
  high_ = high;
  if (depth == 0 && logged_level_ > 0) {
    log_->info("outbox: upstream backlog drained");
    logged_level_ = 0;
  }
}

}  // namespace edgegw::gateway
