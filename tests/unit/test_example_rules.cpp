// The worked examples in config/rules.d/ (design.md, issue 4): each one runs
// through `edgegw test` with tests/fixtures/examples/<name>/events.jsonl and
// must print exactly expected.out (and `until`, when present, is --until).
// The shipped files are `enabled: false`; the test runs a copy with
// `enabled: true`, next to a gateway.yaml with an upstream, in a temp folder.
#include <stdlib.h>
#include <time.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fixture_text.h"
#include "gateway/base/rfc3339.h"
#include "gateway/cli/test_command.h"
#include "support/temp_dir.h"

using namespace edgegw;
namespace fs = std::filesystem;

namespace {

const fs::path kExamples = fs::path(EDGEGW_FIXTURES) / ".." / ".." / "config" / "rules.d";
const fs::path kCases = fs::path(EDGEGW_FIXTURES) / "examples";
const TimePoint kRealNow = *gateway::parse_rfc3339("2000-01-01T00:00:00Z");

// between() and cron read the local time zone; the fixtures are written in UTC.
class ScopedUtc {
 public:
  ScopedUtc() {
    if (const char* tz = std::getenv("TZ")) saved_ = tz;
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  ~ScopedUtc() {
    if (saved_)
      ::setenv("TZ", saved_->c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }

 private:
  std::optional<std::string> saved_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The example with every `enabled: false` turned on; counts how many it turned.
std::string enabled_copy(const std::string& text, int& turned) {
  std::string out = text;
  const std::string off = "enabled: false", on = "enabled: true";
  turned = 0;
  for (size_t at = out.find(off); at != std::string::npos; at = out.find(off, at)) {
    out.replace(at, off.size(), on);
    ++turned;
  }
  return out;
}

}  // namespace

TEST_CASE("Does each shipped rule example, enabled, print exactly the effects its fixture expects?",
          "[test_command][examples]") {
  auto name = GENERATE(as<std::string>{}, "motion-light", "leaving-home", "freezer-too-warm", "water-leak",
                       "battery-low", "energy-sampling");
  CAPTURE(name);
  const fs::path example = kExamples / (name + ".yaml");
  const fs::path dir = kCases / name;
  REQUIRE(fs::exists(example));
  REQUIRE(fs::exists(dir / "expected.out"));

  testing::TempDir tmp;
  REQUIRE(tmp.ok());
  int turned = 0;
  fs::create_directories(tmp / "rules.d");
  std::ofstream(tmp / "rules.d" / (name + ".yaml")) << enabled_copy(testing::read_text(example), turned);
  CHECK(turned >= 1);  // every example ships disabled
  std::ofstream(tmp / "gateway.yaml") << "gateway: {id: pi-test, state_dir: .}\n"
                                         "upstream: {url: \"mqtt://127.0.0.1:1883\"}\n"
                                         "rules: {paths: [rules.d]}\n";
  std::optional<TimePoint> until;
  if (fs::exists(dir / "until")) {
    until = gateway::parse_rfc3339(lines_of(testing::read_text(dir / "until")).at(0));
    REQUIRE(until);
  }

  ScopedUtc utc;
  std::ostringstream out, err;
  const int code =
      gateway::run_test_command(tmp.file("gateway.yaml"), (dir / "events.jsonl").string(), until, kRealNow, out, err);
  INFO("stderr:\n" << err.str());
  CHECK(code == 0);
  const auto got = lines_of(out.str());
  const auto expected = lines_of(testing::read_text(dir / "expected.out"));
  REQUIRE_FALSE(expected.empty());
  for (size_t i = 0; i < std::max(expected.size(), got.size()); ++i) {
    CAPTURE(i);
    CHECK((i < got.size() ? got[i] : "<missing>") == (i < expected.size() ? expected[i] : "<extra>"));
  }
}
