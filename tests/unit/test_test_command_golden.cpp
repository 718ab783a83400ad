// edgegw test end to end: tests/fixtures/edgegw_test/<case>/ holds
// gateway.yaml, rules.d/, events.jsonl, expected.out and optionally `until` (an
// RFC 3339 time for --until). Each case runs through run_test_command, the real
// loader, routes and engine, and stdout is compared line by line.
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/base/rfc3339.h"
#include "gateway/cli/test_command.h"

using namespace edgegw;
using namespace edgegw::gateway;
namespace fs = std::filesystem;

namespace {

const fs::path kCases = fs::path(EDGEGW_FIXTURES) / "edgegw_test";
// Never the start: every fixture event has an `at`.
const TimePoint kRealNow = *parse_rfc3339("2000-01-01T00:00:00Z");

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct Outcome {
  int code = -1;
  std::vector<std::string> out;
  std::string err;
};

Outcome run_case(const fs::path& dir, const fs::path& events) {
  std::optional<TimePoint> until;
  if (fs::exists(dir / "until")) {
    auto text = read_text(dir / "until");
    until = parse_rfc3339(text.substr(0, text.find('\n')));
    REQUIRE(until);
  }
  std::ostringstream out, err;
  Outcome o;
  o.code = run_test_command((dir / "gateway.yaml").string(), events.string(), until, kRealNow, out, err);
  o.out = lines_of(out.str());
  o.err = err.str();
  return o;
}

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "edgegw-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path write(const std::string& name, const std::string& text) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }

 private:
  fs::path path_;
};

}  // namespace

TEST_CASE("Does each edgegw test fixture print exactly its expected effect lines?", "[test_command][golden]") {
  auto name = GENERATE(as<std::string>{}, "route_forward", "publish_typed", "delay", "for_until", "throttle",
                       "set_state", "device_triggers");
  CAPTURE(name);
  fs::path dir = kCases / name;
  REQUIRE(fs::exists(dir / "expected.out"));
  Outcome o = run_case(dir, dir / "events.jsonl");
  INFO("stderr:\n" << o.err);
  CHECK(o.code == 0);
  CHECK(o.err.find("error:") == std::string::npos);
  auto expected = lines_of(read_text(dir / "expected.out"));
  REQUIRE_FALSE(expected.empty());
  for (size_t i = 0; i < std::max(expected.size(), o.out.size()); ++i) {
    CAPTURE(i);
    CHECK((i < o.out.size() ? o.out[i] : "<missing>") == (i < expected.size() ? expected[i] : "<extra>"));
  }
}

TEST_CASE(
    "Without --until, does the clock stop at the last event so a later "
    "`for` does not fire?",
    "[test_command][golden]") {
  fs::path dir = kCases / "for_until";
  std::ostringstream out, err;
  int code = run_test_command((dir / "gateway.yaml").string(), (dir / "events.jsonl").string(), std::nullopt, kRealNow,
                              out, err);
  CHECK(code == 0);
  CHECK(out.str().empty());
}

TEST_CASE(
    "Are bad events lines reported while the good ones still run, with "
    "exit code 1?",
    "[test_command][golden]") {
  TempDir tmp;
  fs::path events = tmp.write("events.jsonl",
                              "{\"topic\": \"doors/front\", \"payload\": {\"open\": "
                              "true}, \"at\": \"2026-11-22T07:00:00Z\"}\n"
                              "{\"topic\": \"doors/front\", \"payload\": {\"open\": "
                              "true}, \"at\": \"soon\"}\n"
                              "not json\n"
                              "{\"topic\": \"doors/back\", \"payload\": {\"open\": "
                              "true}, \"at\": \"2026-11-22T07:00:01Z\"}\n");
  Outcome o = run_case(kCases / "throttle", events);
  CHECK(o.code == 1);
  REQUIRE(o.out.size() == 2);
  CHECK(o.out[0] ==
        R"({"at": "2026-11-22T07:00:00Z", "rule": "door-open", "action": "log", "message": "door front open"})");
  CHECK(o.out[1] ==
        R"({"at": "2026-11-22T07:00:01Z", "rule": "door-open", "action": "log", "message": "door back open"})");
  CHECK(o.err.find(events.string() + ":2:1: error: at: expected an RFC 3339 time") != std::string::npos);
  CHECK(o.err.find(events.string() + ":3:") != std::string::npos);
}

TEST_CASE("Does a broken rule file stop the run with its position and exit code 1?", "[test_command][golden]") {
  TempDir tmp;
  fs::path config = tmp.write("gateway.yaml", "gateway: {id: pi-test, state_dir: .}\nrules: {paths: [rules.d]}\n");
  tmp.write("rules.d/bad.yaml",
            "rules:\n  - id: r\n    when: {topic: a/b, if: "
            "\"payload.x >\"}\n    then: [{log: hi}]\n");
  fs::path events = tmp.write("events.jsonl", "{\"topic\": \"a/b\", \"at\": \"2026-11-22T07:00:00Z\"}\n");
  std::ostringstream out, err;
  CHECK(run_test_command(config.string(), events.string(), std::nullopt, kRealNow, out, err) == 1);
  CHECK(out.str().empty());
  CHECK(err.str().find((tmp.write("x", "").parent_path() / "rules.d/bad.yaml").string() + ":3:") != std::string::npos);
}

TEST_CASE("Does a missing events file fail with exit code 1?", "[test_command][golden]") {
  fs::path dir = kCases / "throttle";
  std::ostringstream out, err;
  CHECK(run_test_command((dir / "gateway.yaml").string(), (dir / "no-such.jsonl").string(), std::nullopt, kRealNow, out,
                         err) == 1);
  CHECK(err.str().find("no-such.jsonl: error: cannot read the events file") != std::string::npos);
}

TEST_CASE("Is an action dropped for a bad topic told on stderr, with stdout left to effects?",
          "[test_command][golden][notes]") {
  TempDir tmp;
  fs::path config = tmp.write("gateway.yaml", "gateway: {id: pi-test, state_dir: .}\nrules: {paths: [rules.d]}\n");
  tmp.write("rules.d/lights.yaml",
            "rules:\n  - id: lights\n    when: {topic: motion/+}\n"
            "    then:\n      - publish: {to: local, topic: \"lights/{{ payload.room }}/set\", payload: \"ON\"}\n");
  fs::path events = tmp.write("events.jsonl",
                              "{\"topic\": \"motion/1\", \"payload\": {\"occupancy\": true}, "
                              "\"at\": \"2026-11-22T07:00:00Z\"}\n");
  std::ostringstream out, err;
  CHECK(run_test_command(config.string(), events.string(), std::nullopt, kRealNow, out, err) == 0);
  CHECK(out.str().empty());
  CHECK(err.str().find("2026-11-22T07:00:00Z rule lights dropped action 0: bad_topic: ") != std::string::npos);
  CHECK(err.str().find("[motion/1]") != std::string::npos);
}

TEST_CASE("Does --explain tell on stderr, per event, where each matched rule stopped, and leave stdout alone?",
          "[test_command][golden][notes]") {
  fs::path dir = kCases / "throttle";
  std::ostringstream out, err;
  CHECK(run_test_command((dir / "gateway.yaml").string(), (dir / "events.jsonl").string(), std::nullopt, kRealNow, out,
                         err, /*explain=*/true) == 0);
  CHECK(lines_of(out.str()) == lines_of(read_text(dir / "expected.out")));
  const auto lines = lines_of(err.str());
  CHECK(lines == std::vector<std::string>{
                     "2026-11-22T07:00:00Z rule door-open fired [doors/front]",
                     "2026-11-22T07:00:30Z rule door-open stopped: throttled until 2026-11-22T07:01:00Z: throttle 1m "
                     "[doors/front]",
                     "2026-11-22T07:00:40Z rule door-open fired [doors/back]",
                     "2026-11-22T07:01:01Z rule door-open fired [doors/front]",
                     "2026-11-22T07:01:30Z rule door-open stopped: throttled until 2026-11-22T07:02:01Z: throttle 1m "
                     "[doors/front]",
                     "2026-11-22T07:01:45Z rule door-open stopped: if_false: payload.open == true was false; "
                     "payload.open = false [doors/back]",
                 });
}
