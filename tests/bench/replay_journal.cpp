// tests/bench/replay_journal.cpp — `edgegw test --from-journal` over a kept
// journal of N generator events through the bench's 100 mixed rules
// (rule_mix.h): events per second and CPU seconds, one core (the replay is
// single-threaded). The whole command path: journal scan, ordering, the one
// event pipeline, effect lines (written to a discarding stream).
// Usage: edgegw_bench_replay [N]   (default 1,000,000)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>

#include "gateway/cli/test_command.h"
#include "gateway/journal/journal.h"
#include "rule_mix.h"

namespace fs = std::filesystem;
using namespace edgegw;

namespace {

struct NullBuf : std::streambuf {
  int overflow(int c) override { return c; }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int fail(const std::string& why) {
  std::cerr << "edgegw_bench_replay: " << why << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
  const fs::path dir = fs::temp_directory_path() / ("edgegw-replay-" + std::to_string(::getpid()));
  fs::create_directories(dir / "rules.d");
  std::ofstream(dir / "gateway.yaml") << "gateway: {id: bench, state_dir: .}\nupstream: {url: mqtt://127.0.0.1:1}\n"
                                         "rules: {paths: [rules.d]}\n";
  std::ofstream(dir / "rules.d" / "bench.yaml") << bench::rule_mix_yaml(bench::Mix::mixed, 100, "bench");
  {
    gateway::JournalOptions o;
    o.dir = (dir / "journal").string();
    auto j = gateway::Journal::open(o, 0);
    if (!j.ok()) return fail(j.status().message());
    char buf[160];
    for (size_t i = 0; i < n; ++i) {
      const int d = int(i % 100);
      std::snprintf(buf, sizeof buf,
                    "{\"dev\":\"d%d\",\"seq\":%zu,\"ts\":1768400000000000,\"temperature\":%.1f,\"battery\":%d}", d,
                    i / 100 + 1, 15.0 + double(i % 200) / 10, int(i % 100));
      const std::string topic = "bench/d" + std::to_string(d) + "/state";
      if (!(*j)->append(Link::local, topic, buf, 1, false, 1'768'400'000'000 + int64_t(i)).ok()) return fail("append");
    }
  }
  NullBuf null;
  std::ostream out(&null);
  std::ostringstream err;
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  const int code = gateway::run_test_from_journal((dir / "gateway.yaml").string(), {}, out, err);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  fs::remove_all(dir);
  if (code != 0) return fail("exit " + std::to_string(code) + ": " + err.str());
  std::printf(
      "replayed %zu events through 100 mixed rules: %.0f events/s wall, %.0f events/s per CPU second "
      "(%.2f s wall, %.2f s CPU)\n",
      n, double(n) / secs, double(n) / cpu, secs, cpu);
  std::cout << err.str().substr(0, err.str().find('\n') + 1);
  return 0;
}
