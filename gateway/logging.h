// gateway/logging.h — the daemon's logger.
//
// Under systemd (JOURNAL_STREAM set) lines go to the journal with their
// priority; otherwise to stderr. SPDLOG_LEVEL in the environment overrides
// the configured level. The logger is handed to the code that logs; the
// global registry is not used by library code.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace edgegw::gateway {

// level: trace|debug|info|warn|error. Unknown levels fall back to info.
std::shared_ptr<spdlog::logger> make_logger(const std::string& level);

}  // namespace edgegw::gateway
