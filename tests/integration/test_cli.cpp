// The command line as a user runs it: check, version, run refusing bad input.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "support/process.h"
#include "support/temp_dir.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

struct Run {
  int code = -1;
  std::string out, err;
};

Run run_edgegw(const std::vector<std::string>& args) {
  SpawnOptions opts;
  opts.binary = EDGEGW_BINARY;
  opts.args = args;
  opts.env = {"JOURNAL_STREAM"};
  auto child = ChildProcess::spawn(opts);
  REQUIRE(child.ok());
  auto st = child->wait_exit(10s);
  REQUIRE(st);
  REQUIRE(st->exited());
  return {st->code, child->stdout_text(), child->stderr_text()};
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("Does edgegw check report every config error at once as FILE:LINE:COL and exit 1?", "[integration][cli]") {
  const std::string dir = std::string(EDGEGW_FIXTURES) + "/config/diagnostics/";
  auto r = run_edgegw({"check", "-c", dir + "several_errors.yaml"});
  CHECK(r.code == 1);
  // The expected lines name the file as opened; here it was opened by its full path.
  std::istringstream expected(slurp(dir + "several_errors.expected"));
  int lines = 0;
  for (std::string line; std::getline(expected, line);) {
    if (line.empty()) continue;
    ++lines;
    CHECK(r.err.find(dir + line) != std::string::npos);
  }
  CHECK(lines >= 10);
  CHECK(r.err.find(std::to_string(lines) + " error(s)") != std::string::npos);
}

TEST_CASE("Does edgegw check point at the column of a mistake inside a route expression?", "[integration][cli]") {
  TempDir dir;
  std::ofstream(dir / "gateway.yaml") << "gateway:\n  state_dir: .\n"
                                         "upstream:\n  url: mqtt://127.0.0.1:1\n"
                                         "forward:\n"
                                         "  - from: \"a/+\"\n"
                                         "    if: payload.t > 3 and avg(payload.t) > 2\n"
                                         "    to: \"b/{{ topic[1] }}/{{ payload. }}\"\n"
                                         "rules:\n  paths: []\n";
  std::string path = (dir / "gateway.yaml").string();
  auto r = run_edgegw({"check", "-c", path});
  CHECK(r.code == 1);
  INFO(r.err);
  CHECK(r.err.find(path + ":7:27: error: forward[0].if: unknown function 'avg' (did you mean 'abs'?)") !=
        std::string::npos);
  CHECK(r.err.find(path + ":8:") != std::string::npos);  // the `to` template, in the same run
  auto run = run_edgegw({"run", "-c", path});
  CHECK(run.code == 1);                                  // run refuses it too, before connecting
}

TEST_CASE("Does the shipped config check cleanly, and does version print the version?", "[integration][cli]") {
  auto r = run_edgegw({"check", "-c", std::string(EDGEGW_SOURCE_DIR) + "/config/gateway.yaml"});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(r.err.find("error") == std::string::npos);
  auto demo = run_edgegw({"check", "-c", std::string(EDGEGW_SOURCE_DIR) + "/config/demo/gateway.yaml"});
  INFO(demo.err);
  CHECK(demo.code == 0);
  auto v = run_edgegw({"version"});
  CHECK(v.code == 0);
  CHECK(v.out.rfind("edgegw ", 0) == 0);
}

TEST_CASE("Does run refuse a password file that others can read?", "[integration][cli]") {
  TempDir dir;
  std::ofstream(dir / "pw") << "secret\n";
  std::filesystem::permissions(dir / "pw", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                               std::filesystem::perms::others_read);
  std::ofstream(dir / "gateway.yaml") << "gateway:\n  state_dir: state\n"
                                         "local:\n  password_file: pw\n  username: gw\n"
                                         "rules:\n  paths: []\n";
  auto r = run_edgegw({"run", "-c", (dir / "gateway.yaml").string()});
  CHECK(r.code == 1);
  CHECK(r.err.find("readable or writable by others") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "state"));  // refused before touching anything
}
