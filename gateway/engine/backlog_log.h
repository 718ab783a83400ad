// gateway/engine/backlog_log.h — the upstream backlog in the log, as state
// changes only: each power of ten from 1,000 rows up, crossing 80 % of
// buffer.max_messages, and the return to empty. Never one line per check.
//
// Engine thread only.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <memory>

namespace edgegw::gateway {

class BacklogLog {
 public:
  BacklogLog(std::shared_ptr<spdlog::logger> log, uint64_t max_messages);
  // The upstream queue's depth now (rows).
  void update(uint64_t depth);

 private:
  std::shared_ptr<spdlog::logger> log_;
  uint64_t max_messages_;
  uint64_t logged_level_ = 0;
  bool high_ = false;
};

}  // namespace edgegw::gateway
