#include "gateway/daemon/logging.h"

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace edgegw::gateway {

bool is_journal_stream(const char* journal_stream, int fd) {
  if (journal_stream == nullptr) return false;
  uintmax_t dev = 0, ino = 0;
  char extra = 0;
  if (std::sscanf(journal_stream, "%" SCNuMAX ":%" SCNuMAX "%c", &dev, &ino, &extra) != 2) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return static_cast<uintmax_t>(st.st_dev) == dev && static_cast<uintmax_t>(st.st_ino) == ino;
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& level) {
  std::shared_ptr<spdlog::logger> log;
  if (is_journal_stream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO)) {
    // journald adds its own timestamp and identifier.
    auto sink = std::make_shared<spdlog::sinks::systemd_sink_mt>("edgegw");
    log = std::make_shared<spdlog::logger>("edgegw", sink);
    log->set_pattern("%v");
  } else {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(spdlog::color_mode::automatic);
    log = std::make_shared<spdlog::logger>("edgegw", sink);
    log->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  }
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") lvl = spdlog::level::info;
  log->set_level(lvl);
  log->flush_on(spdlog::level::warn);
  if (const char* env = std::getenv("SPDLOG_LEVEL"); env && *env) {
    auto e = spdlog::level::from_str(env);
    if (e != spdlog::level::off || std::string(env) == "off") log->set_level(e);
  }
  return log;
}

void log_plain(spdlog::logger& log, spdlog::level::level_enum level, const std::string& line) {
  if (!log.should_log(level)) return;
  bool journal = std::any_of(log.sinks().begin(), log.sinks().end(), [](const auto& sink) {
    return dynamic_cast<spdlog::sinks::systemd_sink_mt*>(sink.get()) != nullptr;
  });
  if (journal) {
    log.log(level, "{}", line);
    return;
  }
  log.flush();  // keep the order of lines on stderr
  std::string out = line + '\n';
  // One write, so the line does not interleave with a log line from another thread.
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, out.data(), out.size());
}

}  // namespace edgegw::gateway
