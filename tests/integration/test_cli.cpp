// The command line as a user runs it: check, version, run refusing bad input.
#include <catch2/catch.hpp>

#include <filesystem>
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

Run run_edgegw(const std::vector<std::string>& args, const std::string& binary = EDGEGW_BINARY,
               const std::vector<std::string>& env = {}) {
  SpawnOptions opts;
  opts.binary = binary;
  opts.args = args;
  opts.env = {"JOURNAL_STREAM"};
  opts.env.insert(opts.env.end(), env.begin(), env.end());
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
  CHECK(run.code == 1);  // run refuses it too, before connecting
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

TEST_CASE("Does the gateway run on its private Paho C, the one without heap tracking?", "[integration][cli]") {
  namespace fs = std::filesystem;
  auto v = run_edgegw({"version"});
  INFO(v.out << v.err);
  REQUIRE(v.code == 0);
  if (std::string(EDGEGW_PAHO_C) == "system") {  // -DEDGEGW_PAHO_C=system: Debian's, as it is
    CHECK(v.out.find("\nPaho C ") != std::string::npos);
    return;
  }
  // gateway/mqtt/paho_c builds it into lib/edgegw/ of the build tree; RUNPATH $ORIGIN/../lib/edgegw.
  const fs::path copy = fs::path(EDGEGW_BINARY).parent_path().parent_path() / "lib" / "edgegw" / "libpaho-mqtt3as.so.1";
  CHECK(v.out.find("(" + copy.lexically_normal().string() + "), heap tracking off\n") != std::string::npos);

  // The same binary on Debian's library, which tracks its heap, is told apart.
  const fs::path debian = fs::path(EDGEGW_PAHO_C_SYSTEM_LIBRARY).parent_path();
  auto tracked = run_edgegw({"version"}, EDGEGW_BINARY, {"LD_LIBRARY_PATH=" + debian.string()});
  INFO(tracked.out << tracked.err);
  REQUIRE(tracked.code == 0);
  CHECK(tracked.out.find("(" + (debian / "libpaho-mqtt3as.so.1").string() + "), heap tracking on\n") !=
        std::string::npos);
}

TEST_CASE("Does edgegw check fail when the HTTP modules its config needs are missing, and pass once they are there?",
          "[integration][cli]") {
  namespace fs = std::filesystem;
  TempDir dir("edgegw-modules");
  REQUIRE(dir.ok());
  // A copy of the binary alone, as if the package's /usr/lib/edgegw were gone.
  fs::create_directories(dir / "bin");
  const fs::path bin = dir / "bin" / "edgegw";
  fs::copy_file(EDGEGW_BINARY, bin);
  std::ofstream(dir / "gateway.yaml") << "gateway: {id: pi, state_dir: " << (dir / "state").string()
                                      << "}\nhttp: {listen: 127.0.0.1:18088}\nrules: {paths: [r.yaml]}\n";
  std::ofstream(dir / "r.yaml") << "rules:\n  - id: hook\n    when: {topic: a/b}\n"
                                   "    then:\n      - http: {url: http://127.0.0.1:9/x}\n";
  auto missing = run_edgegw({"check", "-c", dir.file("gateway.yaml")}, bin);
  INFO(missing.err);
  CHECK(missing.code == 1);
  CHECK(missing.err.find("error: http.listen: cannot find edgegw-http-server.so in " + (dir / "bin").string()) !=
        std::string::npos);
  CHECK(missing.err.find(dir.file("r.yaml") + ":5:9: error: http action: cannot find edgegw-webhook.so") !=
        std::string::npos);

  // The package's layout: the modules in ../lib/edgegw/ from the binary.
  const fs::path built = fs::path(EDGEGW_BINARY).parent_path();
  fs::create_directories(dir / "lib" / "edgegw");
  for (const char* module : {"edgegw-http-server.so", "edgegw-webhook.so"}) {
    fs::copy_file(built / module, dir / "lib" / "edgegw" / module);
  }
  auto found = run_edgegw({"check", "-c", dir.file("gateway.yaml")}, bin);
  INFO(found.err);
  CHECK(found.code == 0);
  CHECK(found.out.find(": ok (0 route(s), 1 rule(s) in 1 file(s))") != std::string::npos);
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

TEST_CASE("Does plain edgegw print the list of commands and exit with the usage code 2?", "[integration][cli][usage]") {
  auto bare = run_edgegw({});
  INFO(bare.err);
  CHECK(bare.code == 2);
  CHECK(bare.err.find("Usage:") != std::string::npos);
  for (const char* command : {"run", "check", "test", "buffer", "deadletters", "devices", "version"}) {
    CHECK(bare.err.find(std::string("\n  ") + command) != std::string::npos);
  }
  auto typo = run_edgegw({"check", "--confg", "x.yaml"});
  INFO(typo.err);
  CHECK(typo.code == 2);
  CHECK(typo.err.find("Usage:") != std::string::npos);
  auto help = run_edgegw({"--help"});
  CHECK(help.code == 0);
}

TEST_CASE("Does every command that reads the config show its default path in --help?", "[integration][cli][usage]") {
  const std::vector<std::vector<std::string>> commands{{"run"},
                                                       {"check"},
                                                       {"test"},
                                                       {"devices"},
                                                       {"buffer", "stats"},
                                                       {"buffer", "list"},
                                                       {"buffer", "purge"},
                                                       {"deadletters"},
                                                       {"deadletters", "retry"}};
  for (auto args : commands) {
    args.push_back("--help");
    auto r = run_edgegw(args);
    INFO(args[0] << " " << args[1] << ": " << r.out);
    CHECK(r.code == 0);
    CHECK(r.out.find("gateway config file (default /etc/edgegw/gateway.yaml)") != std::string::npos);
  }
}

TEST_CASE("Does check without -c name the default file it could not open?", "[integration][cli][usage]") {
  if (std::filesystem::exists("/etc/edgegw/gateway.yaml")) {
    WARN("skipped: /etc/edgegw/gateway.yaml exists on this machine");
    return;
  }
  auto r = run_edgegw({"check"});
  INFO(r.err);
  CHECK(r.code == 1);
  CHECK(r.err.find("error: cannot open config file '/etc/edgegw/gateway.yaml': No such file or directory (the "
                   "default; name another with -c FILE)") != std::string::npos);
}

TEST_CASE("Does run report the same diagnostics as check, the rule files' too, each once and before exiting?",
          "[integration][cli]") {
  TempDir dir;
  std::ofstream(dir / "gateway.yaml") << "gateway: {state_dir: state}\nlocal:\n  qos: 7\nrules: {paths: [r.yaml]}\n";
  std::ofstream(dir / "r.yaml") << "rules:\n  - id: a\n    when: {topic: a/b}\n    then:\n      - log: {mesage: x}\n";
  const std::string path = dir.file("gateway.yaml");
  auto check = run_edgegw({"check", "-c", path, "--mosquitto-conf", dir.file("none.conf")});
  auto run = run_edgegw({"run", "-c", path, "--mosquitto-conf", dir.file("none.conf")});
  INFO("check:\n" << check.err << "run:\n" << run.err);
  CHECK(check.code == 1);
  CHECK(run.code == 1);
  CHECK(run.err.find(path + ":3:8: error: local.qos:") != std::string::npos);
  CHECK(run.err.find(dir.file("r.yaml") + ":5:") != std::string::npos);
  CHECK(run.err == check.err);                                // the same lines, in the same order
  CHECK(run.err.find("error " + path) == std::string::npos);  // not wrapped in a log line
  CHECK_FALSE(std::filesystem::exists(dir / "state"));
}

TEST_CASE("Do test and check of the demo config warn only about what they use?", "[integration][cli]") {
  const std::string demo = std::string(EDGEGW_SOURCE_DIR) + "/config/demo/";
  TempDir dir;
  // A mosquitto.conf as Debian's, without the queueing settings: for a broker on 1883, not the demo's 18831.
  std::ofstream(dir / "mosquitto.conf") << "persistence true\n";
  auto test = run_edgegw({"test", "-c", demo + "gateway.yaml", "--events", demo + "events.jsonl"});
  INFO(test.err);
  CHECK(test.code == 0);
  CHECK(test.err.find("warning") == std::string::npos);
  auto check = run_edgegw({"check", "-c", demo + "gateway.yaml", "--mosquitto-conf", dir.file("mosquitto.conf")});
  INFO(check.err);
  CHECK(check.code == 0);
  CHECK(check.err.find("state_dir") == std::string::npos);
  CHECK(check.err.find("mosquitto.conf") == std::string::npos);
}

TEST_CASE("Do check, run and test report a rule file's expression errors with its structure errors, in one run?",
          "[integration][cli]") {
  const std::string fixtures = std::string(EDGEGW_FIXTURES) + "/rules/one_pass/";
  TempDir dir;
  std::ofstream(dir / "gateway.yaml") << "gateway: {state_dir: state}\nrules: {paths: [mixed.yaml]}\n";
  std::filesystem::copy_file(fixtures + "mixed.yaml", dir / "mixed.yaml");
  std::ofstream(dir / "events.jsonl") << "{\"topic\": \"a\", \"payload\": 1}\n";
  const std::string path = dir.file("gateway.yaml");
  auto check = run_edgegw({"check", "-c", path, "--mosquitto-conf", dir.file("none.conf")});
  auto run = run_edgegw({"run", "-c", path, "--mosquitto-conf", dir.file("none.conf")});
  auto test = run_edgegw({"test", "-c", path, "--events", dir.file("events.jsonl")});
  INFO("check:\n" << check.err << "run:\n" << run.err << "test:\n" << test.err);
  CHECK(check.code == 1);
  CHECK(run.code == 1);
  CHECK(test.code == 1);
  std::istringstream expected(slurp(fixtures + "mixed.expected"));
  std::string lines;
  for (std::string line; std::getline(expected, line);) lines += dir.file(line) + "\n";
  CHECK(lines.find("unknown action") != std::string::npos);
  CHECK(check.err.find(lines) != std::string::npos);  // all of them, in line order
  CHECK(run.err == check.err);
  CHECK(test.err.find(lines) != std::string::npos);
  CHECK(test.out.empty());
}
