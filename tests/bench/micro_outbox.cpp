// tests/bench/micro_outbox.cpp — outbox append and ack throughput (not a
// test): the SQLite outbox as the engine uses it, one transaction per batch
// of `range(0)` rows (the engine commits everything a wake-up took in one
// transaction), rows of the generator's size. items_per_second is rows/s.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "gateway/mqtt/process_tuning.h"
#include "gateway/store/sqlite_outbox.h"

namespace edgegw::bench {
namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "micro_outbox: %s\n", what.c_str());
  std::abort();
}

void check(const Status& s) {
  if (!s.ok()) fail(s.message());
}

// A fresh outbox in its own temporary directory, removed afterwards.
struct TempOutbox {
  std::filesystem::path dir;
  std::unique_ptr<gateway::SqliteOutbox> outbox;
  TempOutbox() {
    char tmpl[] = "/tmp/edgegw-micro-outbox.XXXXXX";
    if (!mkdtemp(tmpl)) fail("mkdtemp");
    dir = tmpl;
    auto r = gateway::SqliteOutbox::open((dir / "outbox.db").string(), gateway::OutboxOptions{});
    if (!r.ok()) fail(r.status().message());
    outbox = std::move(r.value());
  }
  ~TempOutbox() {
    outbox.reset();
    std::filesystem::remove_all(dir);
  }
};

gateway::OutboxRow row(int64_t i) {
  gateway::OutboxRow r;
  r.topic = "bench/d" + std::to_string(i % 100) + "/state";
  r.payload = "{\"dev\":\"d" + std::to_string(i % 100) + "\",\"seq\":" + std::to_string(i) +
              ",\"ts\":1768400000000000,\"temperature\":21.5,\"battery\":90}";
  r.created_ms = 1768400000000;
  return r;
}

// Appends, then in the next batch reads and removes what it appended: the
// steady state of a connected link (append, send, PUBACK, remove).
void BM_outbox_append_ack(benchmark::State& state) {
  TempOutbox t;
  auto& ob = *t.outbox;
  const int64_t batch = state.range(0);
  std::vector<gateway::OutboxRow> page;
  int64_t n = 0, after = 0;
  for (auto _ : state) {
    check(ob.begin());
    for (int64_t i = 0; i < batch; ++i) {
      auto r = ob.append(row(n++), false);
      if (!r.ok()) fail(r.status().message());
    }
    page.clear();
    check(ob.read(Link::upstream, rules::Priority::normal, after, size_t(batch), page));
    for (const auto& p : page) {
      check(ob.remove(p.seq));
      after = p.seq;
    }
    check(ob.commit());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * batch);
}
BENCHMARK(BM_outbox_append_ack)->Arg(1)->Arg(16)->Arg(256);

// Reading a backlog page by page and removing each page in the next
// transaction: the drain after an outage.
void BM_outbox_drain(benchmark::State& state) {
  TempOutbox t;
  auto& ob = *t.outbox;
  const int64_t page_rows = state.range(0);
  std::vector<gateway::OutboxRow> page;
  int64_t n = 0, after = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (ob.stats(Link::upstream).messages < size_t(page_rows)) {  // refill the backlog
      check(ob.begin());
      for (int i = 0; i < 20000; ++i)
        if (auto r = ob.append(row(n++), false); !r.ok()) fail(r.status().message());
      check(ob.commit());
    }
    state.ResumeTiming();
    page.clear();
    check(ob.read(Link::upstream, rules::Priority::normal, after, size_t(page_rows), page));
    check(ob.begin());
    for (const auto& p : page) {
      check(ob.remove(p.seq));
      after = p.seq;
    }
    check(ob.commit());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * page_rows);
}
BENCHMARK(BM_outbox_drain)->Arg(64)->Arg(1024);

}  // namespace
}  // namespace edgegw::bench

// The daemon's malloc settings (gateway/mqtt/process_tuning.h) unless
// EDGEGW_BENCH_NO_TUNE=1: without them glibc trims the heap top after each
// transaction, and the TLB shootdowns cost more than SQLite itself.
int main(int argc, char** argv) {
  const char* no_tune = std::getenv("EDGEGW_BENCH_NO_TUNE");
  if (!no_tune || std::string(no_tune) != "1") edgegw::gateway::tune_process();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
