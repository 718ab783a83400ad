// gateway/daemon/logging.h — the daemon's logger.
//
// Under systemd (JOURNAL_STREAM set, and naming our stderr) lines go to the
// journal with their priority (trace/debug -> 7, info -> 6, warn -> 4,
// error -> 3, critical -> 2); otherwise to stderr. SPDLOG_LEVEL in the environment overrides
// the configured level. The logger is handed to the code that logs; the
// global registry is not used by library code.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace edgegw::gateway {

// level: trace|debug|info|warn|error. Unknown levels fall back to info.
std::shared_ptr<spdlog::logger> make_logger(const std::string& level);

// A line that must read as `edgegw check` prints it (a rule file's
// `FILE:LINE:COL: error: ...` at a reload), at `level`: to stderr as is,
// without the time stamp and level that log lines carry there; to the
// journal like every line of `log`, which carry none there either, with the
// level's priority. Nothing below `log`'s level.
void log_plain(spdlog::logger& log, spdlog::level::level_enum level, const std::string& line);

// True when `journal_stream` (JOURNAL_STREAM's "DEVICE:INODE") names the file
// `fd` is open on, as systemd.exec(5) asks: a shell started from a service
// inherits the variable but not the journal as its stderr.
bool is_journal_stream(const char* journal_stream, int fd);

}  // namespace edgegw::gateway
