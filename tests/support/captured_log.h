// tests/support/captured_log.h — an spdlog logger whose lines land in a
// string, for unit tests of what a class logs.
#pragma once

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace edgegw::testing {

struct CapturedLog {
  // `pattern`: spdlog's, "%v" for the bare message, "%l %v" with the level.
  explicit CapturedLog(const std::string& pattern = "%v")
      : log(std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(out))) {
    log->set_level(spdlog::level::debug);
    log->set_pattern(pattern);
  }
  std::string text() const { return out.str(); }
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) v.push_back(line);
    return v;
  }
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> log;
};

}  // namespace edgegw::testing
