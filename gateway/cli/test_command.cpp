#include "gateway/cli/test_command.h"

#include <fstream>
#include <iterator>

#include "gateway/cli/backtest_summary.h"
#include "gateway/cli/journal_cli.h"
#include "gateway/config/config.h"
#include "gateway/engine/device_tracker.h"
#include "gateway/sim/dry_run.h"
#include "gateway/engine/engine_driver.h"
#include "gateway/config/rule_compile.h"
#include "gateway/sim/sim_events.h"

namespace edgegw::gateway {

namespace {

// What the run needs from gateway.yaml and the rule files; null driver when
// anything had an error (then nothing is run).
struct Loaded {
  std::optional<Config> cfg;
  rules::Routes routes;
  std::unique_ptr<RuleDriver> driver;
};

Loaded load_all(const std::string& config_path, Diagnostics& diags, bool explain) {
  Loaded l;
  l.cfg = load_config(config_path, diags);
  if (!l.cfg) return l;
  l.routes = rules::Routes::compile(l.cfg->forward, diags);
  auto files = expand_rule_files(*l.cfg, diags, /*strict=*/true);
  auto compiled = compile_rule_files(files, *l.cfg, diags);
  if (diags.has_errors() || !compiled.rules) return l;
  l.driver = make_engine_driver(std::move(compiled.rules), l.cfg->gateway.id, explain);
  return l;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return std::nullopt;
  return text;
}

}  // namespace

namespace {

// The loaded config and rules, or the diagnostics and false.
bool report_load(const Loaded& l, Diagnostics& diags, const std::string& config_path, std::ostream& err) {
  if (l.driver && !diags.has_errors()) return true;
  err << diags.format_all();
  err << config_path << ": " << diags.error_count() << " error(s); no events were run\n";
  return false;
}

// `events` through the one pipeline, on the simulated clock; then every
// diagnostic. The exit code.
int replay(Loaded& l, std::vector<SimEvent> events, const std::string& source, std::optional<TimePoint> until,
           TimePoint real_now, std::ostream& out, std::ostream& err, Diagnostics& diags) {
  DryRun run(*l.driver, l.routes, l.cfg->gateway.id, out, err);
  DeviceTracker devices(devices::Profiles::compile(profile_config(*l.cfg)),
                        /*store=*/nullptr);
  run.track_devices(&devices);
  run_events(run, std::move(events), source, until, real_now, diags);
  out.flush();
  err << diags.format_all();
  if (diags.has_errors()) {
    err << source << ": " << diags.error_count() << " error(s)\n";
    return 1;
  }
  return 0;
}

}  // namespace

int run_test_command(const std::string& config_path, const std::string& events_path, std::optional<TimePoint> until,
                     TimePoint real_now, std::ostream& out, std::ostream& err, bool explain) {
  Diagnostics diags;
  Loaded l = load_all(config_path, diags, explain);
  if (!report_load(l, diags, config_path, err)) return 1;
  auto text = read_file(events_path);
  if (!text) {
    err << diags.format_all() << events_path << ": error: cannot read the events file\n";
    return 1;
  }
  auto events = parse_events(*text, events_path, diags);
  return replay(l, std::move(events), events_path, until, real_now, out, err, diags);
}

int run_test_from_journal(const std::string& config_path, const JournalQuery& q, std::ostream& out, std::ostream& err,
                          bool explain) {
  Diagnostics diags;
  Loaded l = load_all(config_path, diags, explain);
  if (!report_load(l, diags, config_path, err)) return 1;
  const std::string dir = l.cfg->gateway.state_dir + "/journal";
  DryRun run(*l.driver, l.routes, l.cfg->gateway.id, out, err);
  DeviceTracker devices(devices::Profiles::compile(profile_config(*l.cfg)), /*store=*/nullptr);
  run.track_devices(&devices);
  const TimePoint real_now(std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch()));
  BacktestSpan span;
  auto replayed = each_journal_event(dir, q, [&](SimEvent& ev) {
    span.add(*ev.at);
    feed_event(run, ev, dir, real_now, diags);
  });
  if (!replayed.ok()) {
    err << dir << ": error: " << replayed.status().message() << "\n";
    return 1;
  }
  finish_events(run, dir, std::nullopt, real_now, diags);
  out.flush();
  err << diags.format_all() << span.text() << backtest_rules(*l.driver->engine());
  return diags.has_errors() ? 1 : 0;
}

int run_test_command(const std::string& config_path, const std::string& events_path, std::optional<TimePoint> until,
                     std::ostream& out, std::ostream& err, bool explain) {
  TimePoint real_now(std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch()));
  return run_test_command(config_path, events_path, until, real_now, out, err, explain);
}

}  // namespace edgegw::gateway
