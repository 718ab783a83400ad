// tests/bench/micro_rules.cpp — microbenchmarks of the rules/ hot path (not
// tests): rule evaluation with 100 rules loaded (issue 4: >= 1,000,000
// events/s on one core with topic-only rules, >= 300,000 with JSON
// conditions), expression evaluation, topic-trie matching with 1,000
// filters, template rendering. items_per_second is events (or evaluations)
// per second on one core.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/diag.h"
#include "gateway/mqtt/process_tuning.h"
#include "gateway/config/rule_loader.h"
#include "rule_mix.h"
#include "rules/engine.h"
#include "rules/eval_context.h"
#include "rules/expression.h"
#include "rules/rule_set.h"
#include "rules/template.h"
#include "rules/topic_trie.h"

namespace edgegw::bench {
namespace {

constexpr int kDevices = 100;
const TimePoint kNow = from_unix_ms(1768400000000);

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "micro_rules: %s\n", what.c_str());
  std::abort();
}

std::shared_ptr<const rules::RuleSet> compile_mix(Mix mix, int count) {
  Diagnostics diag;
  auto specs = gateway::load_rule_text("bench.yaml", rule_mix_yaml(mix, count, "bench"), diag);
  auto set = rules::RuleSet::compile(specs, diag, true);
  if (!set || diag.has_errors()) fail("rule set does not compile: " + diag.format_all());
  return set;
}

// The generator's events: device d, seq s, values cycling like edgegw_loadgen's.
std::vector<Event> make_events(size_t n) {
  std::vector<Event> events(n);
  for (size_t i = 0; i < n; ++i) {
    const int d = int(i % kDevices);
    events[i].topic = "bench/d" + std::to_string(d) + "/state";
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "{\"dev\":\"d%d\",\"seq\":%zu,\"ts\":1768400000000000,\"temperature\":%.1f,\"battery\":%d}", d,
                  i / kDevices + 1, 15.0 + double(i % 200) / 10, int(i % 100));
    events[i].payload = buf;
    events[i].qos = 1;
  }
  return events;
}

// Events/s through Engine::on_event with 100 rules of one mix; time advances
// 1 ms per event so throttle windows open and close as in a live run.
void run_engine(benchmark::State& state, Mix mix) {
  rules::Engine engine(compile_mix(mix, int(state.range(0))));
  rules::JsonParser parser;
  const auto& lookups = rules::Lookups::defaults();
  std::vector<rules::TimedDecision> out;
  const auto events = make_events(4000);
  TimePoint now = kNow;
  engine.on_tick(now, parser, lookups, "bench", out);
  size_t i = 0, decisions = 0;
  for (auto _ : state) {
    now += std::chrono::milliseconds(1);
    engine.on_event(events[i], parser, lookups, "bench", now, out);
    decisions += out.size();
    out.clear();
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.counters["decisions_per_event"] = double(decisions) / double(state.iterations());
}

void BM_engine_topic_rules(benchmark::State& s) { run_engine(s, Mix::topic); }
void BM_engine_json_rules(benchmark::State& s) { run_engine(s, Mix::json); }
void BM_engine_mixed_rules(benchmark::State& s) { run_engine(s, Mix::mixed); }
BENCHMARK(BM_engine_topic_rules)->Arg(100);
BENCHMARK(BM_engine_json_rules)->Arg(100);
BENCHMARK(BM_engine_mixed_rules)->Arg(100);

// One compiled expression against fresh events (each event parses its payload once).
void BM_expression(benchmark::State& state, const char* text) {
  auto compiled = rules::Expression::compile(text);
  if (!compiled.ok()) fail(std::string("expression does not compile: ") + text);
  const auto& expr = compiled.value();
  const auto events = make_events(1000);
  rules::JsonParser parser;
  size_t i = 0, truthy = 0;
  for (auto _ : state) {
    rules::EvalContext ctx(events[i], parser, "bench", kNow);
    truthy += expr.test(ctx);
    if (++i == events.size()) i = 0;
  }
  benchmark::DoNotOptimize(truthy);
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK_CAPTURE(BM_expression, topic_level, "topic[1] == \"d7\"");
BENCHMARK_CAPTURE(BM_expression, json_compare, "payload.temperature > 34.5 and payload.battery < 50");
BENCHMARK_CAPTURE(BM_expression, functions, "starts_with(topic[1], \"d\") and round(payload.temperature) % 2 == 0");

// Topic-trie matching with 1,000 filters: 900 exact device topics, 90 with
// `+`, 10 with `#`; topics are a mix that hits and misses.
void BM_trie_match_1000(benchmark::State& state) {
  rules::TopicTrie trie;
  for (uint32_t i = 0; i < 900; ++i) trie.add("site/d" + std::to_string(i) + "/state", i);
  for (uint32_t i = 0; i < 90; ++i) trie.add("site/+/sensor" + std::to_string(i), 900 + i);
  for (uint32_t i = 0; i < 10; ++i) trie.add("other" + std::to_string(i) + "/#", 990 + i);
  std::vector<std::string> topics;
  for (int i = 0; i < 1000; ++i) {
    if (i % 3 == 0)
      topics.push_back("site/d" + std::to_string(i * 7 % 1200) + "/state");
    else if (i % 3 == 1)
      topics.push_back("site/x" + std::to_string(i) + "/sensor" + std::to_string(i % 120));
    else
      topics.push_back("other" + std::to_string(i % 20) + "/a/b/c");
  }
  std::vector<uint32_t> out;
  size_t i = 0, matches = 0;
  for (auto _ : state) {
    out.clear();
    trie.match(topics[i], out);
    matches += out.size();
    if (++i == topics.size()) i = 0;
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.counters["matches_per_topic"] = double(matches) / double(state.iterations());
}
BENCHMARK(BM_trie_match_1000);

void BM_template(benchmark::State& state, const char* text) {
  auto compiled = rules::Template::compile(text);
  if (!compiled.ok()) fail(std::string("template does not compile: ") + text);
  const auto& tpl = compiled.value();
  const auto events = make_events(1000);
  rules::JsonParser parser;
  std::string out;
  size_t i = 0;
  for (auto _ : state) {
    rules::EvalContext ctx(events[i], parser, "bench", kNow);
    out.clear();
    tpl.render(ctx, out);
    benchmark::DoNotOptimize(out.data());
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK_CAPTURE(BM_template, topic, "sites/{{ gateway.id }}/{{ topic[1] }}/state");
BENCHMARK_CAPTURE(BM_template, payload_fields,
                  "{{ topic[1] }} at {{ payload.temperature }} C, battery {{ payload.battery }}%");

// matches() on 64 KiB adversarial input (issue 9: linear time with RE2, p99
// evaluation under 10 ms). "(a+)+b" on a run of 'a' without a 'b', and
// "(x|x|xx)*y" on a run of 'x' without a 'y', take exponential time in a
// backtracking engine; RE2 makes one pass. `subject` is the payload: "json"
// puts the 64 KiB string in {"s": ...} and evaluation includes parsing it
// (a fresh context per evaluation, as for each live event); "raw" matches the
// payload text itself. Every evaluation is timed on its own and the counters
// give its p50, p99 and max in milliseconds of wall time (also printed to
// stderr), and the p99 of the thread's CPU time (cpu_p99_ms), which a busy
// machine's preemptions (a 4 ms scheduler tick) do not inflate; a wrong
// answer aborts the run.
void BM_matches_adversarial(benchmark::State& state, const char* pattern, char fill, char last, bool json) {
  const std::string text(64u << 10, fill);
  const std::string matching = text.substr(0, text.size() - 1) + last;  // the same run, ending in the wanted char
  const std::string field = json ? "payload.s" : "payload";
  auto compiled = rules::Expression::compile("matches(" + field + ", \"" + pattern + "\")");
  if (!compiled.ok()) fail(std::string("expression does not compile: ") + pattern);
  const auto& expr = compiled.value();
  std::vector<Event> events(2);
  for (size_t i = 0; i < 2; ++i) {
    const std::string& s = i == 0 ? text : matching;
    events[i].topic = "bench/d1/state";
    events[i].payload = json ? "{\"s\":\"" + s + "\"}" : s;
    events[i].qos = 1;
  }
  rules::JsonParser parser;
  std::vector<double> ms, cpu_ms;
  ms.reserve(1u << 16);
  cpu_ms.reserve(1u << 16);
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
  };
  size_t i = 0;
  for (auto _ : state) {
    const double c0 = cpu_now();
    const auto t0 = std::chrono::steady_clock::now();
    rules::EvalContext ctx(events[i], parser, "bench", kNow);
    const bool hit = expr.test(ctx);
    const auto t1 = std::chrono::steady_clock::now();
    cpu_ms.push_back(cpu_now() - c0);
    if (hit != (i == 1)) fail(std::string("wrong answer for ") + pattern);
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    i ^= 1;
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu_ms.begin(), cpu_ms.end());
  auto at = [](const std::vector<double>& v, double p) {
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
  };
  state.counters["p50_ms"] = at(ms, 0.50);
  state.counters["p99_ms"] = at(ms, 0.99);
  state.counters["max_ms"] = ms.back();
  state.counters["cpu_p99_ms"] = at(cpu_ms, 0.99);
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
  std::fprintf(
      stderr,
      "matches(%s, \"%s\") on 64 KiB: %zu evaluations, p50 %.3f ms, p99 %.3f ms, max %.3f ms, CPU p99 %.3f ms\n",
      field.c_str(), pattern, ms.size(), at(ms, 0.50), at(ms, 0.99), ms.back(), at(cpu_ms, 0.99));
}
BENCHMARK_CAPTURE(BM_matches_adversarial, nested_plus_json, "(a+)+b", 'a', 'b', true);
BENCHMARK_CAPTURE(BM_matches_adversarial, nested_plus_raw, "(a+)+b", 'a', 'b', false);
BENCHMARK_CAPTURE(BM_matches_adversarial, alternation_json, "(x|x|xx)*y", 'x', 'y', true);
BENCHMARK_CAPTURE(BM_matches_adversarial, alternation_raw, "(x|x|xx)*y", 'x', 'y', false);

}  // namespace
}  // namespace edgegw::bench

// The daemon's process settings (gateway/mqtt/process_tuning.h), as in micro_outbox.
int main(int argc, char** argv) {
  edgegw::gateway::tune_process();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
