// edgegw — the command line (design.md, Commands).
#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>
#include <vector>

#include "gateway/cli/buffer_cli.h"
#include "gateway/cli/devices_cli.h"
#include "gateway/cli/check.h"
#include "gateway/config/config.h"
#include "gateway/daemon/daemon.h"
#include "gateway/cli/deadletters_cli.h"
#include "gateway/cli/journal_cli.h"
#include "gateway/mqtt/paho_c_info.h"
#include "gateway/base/rfc3339.h"
#include "gateway/cli/test_command.h"

namespace gw = edgegw::gateway;

namespace {

// Exit codes (README.md, Commands): 0 done, 1 failed (a config error, cannot
// start, …), 2 the command line itself was wrong.
constexpr int kUsageError = 2;

// Loads the config for a command that needs it; prints diagnostics.
std::optional<gw::Config> load_or_report(const std::string& path) {
  edgegw::Diagnostics diags;
  auto cfg = gw::load_config(path, diags);
  std::cerr << diags.format_all();
  if (!cfg || diags.has_errors()) return std::nullopt;
  return cfg;
}

std::optional<edgegw::Link> parse_link(const std::string& s) {
  if (s == "local") return edgegw::Link::local;
  if (s == "upstream") return edgegw::Link::upstream;
  return std::nullopt;
}

int64_t now_ms() { return edgegw::to_unix_ms(edgegw::TimePoint(std::chrono::system_clock::now().time_since_epoch())); }

// Every option's value and every subcommand, as CLI11 fills them in.
struct Cli {
  std::string config_path = gw::kDefaultConfigPath;
  std::string mosquitto_conf = gw::kMosquittoConfPath;
  std::string events_path, until_text, since_text, link_text, topic_filter;
  size_t limit = 50;
  bool json = false;
  bool explain = false;
  bool from_journal = false;
  std::vector<int64_t> dead_ids;
  bool dead_all = false;
  CLI::App *run = nullptr, *check = nullptr, *version = nullptr, *test = nullptr, *devices = nullptr;
  CLI::App *buffer = nullptr, *stats = nullptr, *list = nullptr, *purge = nullptr;
  CLI::App *dead = nullptr, *dead_retry = nullptr, *dead_purge = nullptr;
  CLI::App *journal = nullptr, *export_ = nullptr, *journal_purge = nullptr;
};

std::string check_rfc3339(const std::string& s) {
  return gw::parse_rfc3339(s) ? "" : "expected an RFC 3339 time such as 2026-11-22T07:00:00Z";
}

std::string check_since(const std::string& s) {
  return gw::parse_since(s, edgegw::TimePoint{}) ? ""
                                                 : "expected a duration back from now (2h, 30m) or an RFC 3339 time";
}

// --since and --until of `journal export` and `test --from-journal`.
void add_window_options(CLI::App* sub, Cli& c, const std::string& until_help) {
  sub->add_option("--since", c.since_text, "only messages received since then: 2h (back from now) or RFC 3339")
      ->check(check_since);
  sub->add_option("--until", c.until_text, until_help)->check(check_rfc3339);
}

gw::JournalQuery journal_query(const Cli& c) {
  gw::JournalQuery q;
  const edgegw::TimePoint now(std::chrono::system_clock::now().time_since_epoch());
  if (!c.since_text.empty()) q.since = gw::parse_since(c.since_text, now);
  if (!c.until_text.empty()) q.until = gw::parse_rfc3339(c.until_text);
  q.topic_filter = c.topic_filter;
  return q;
}

// -c/--config, with the default in --help, as every command that reads the config takes it.
void add_config_option(CLI::App* sub, Cli& c) {
  sub->add_option("-c,--config", c.config_path,
                  std::string("gateway config file (default ") + gw::kDefaultConfigPath + ")");
}

// run, check, version and test.
void add_gateway_commands(CLI::App& app, Cli& c) {
  c.run = app.add_subcommand("run", "run the gateway in the foreground (systemd Type=notify)");
  add_config_option(c.run, c);
  c.check = app.add_subcommand("check", "validate the config and all rules");
  add_config_option(c.check, c);
  for (auto* sub : {c.run, c.check}) {
    sub->add_option(
        "--mosquitto-conf", c.mosquitto_conf,
        std::string("the local broker's mosquitto.conf, for queueing advice (default ") + gw::kMosquittoConfPath + ")");
  }
  c.version = app.add_subcommand("version", "print the version");
  c.test = app.add_subcommand("test", "dry run: feed events through the rules, print the effects as JSON lines");
  add_config_option(c.test, c);
  auto* events = c.test->add_option("--events", c.events_path, "events, one JSON object per line");
  auto* journal = c.test->add_flag("--from-journal", c.from_journal,
                                   "replay the messages the daemon kept (gateway.journal_keep) instead of --events");
  events->excludes(journal);
  c.test->add_flag("--explain", c.explain,
                   "print on stderr, per event, each matched rule: fired, or where it stopped and why");
  add_window_options(c.test, c,
                     "with --events: run the simulated clock to this RFC 3339 time after the last event; "
                     "with --from-journal: only messages received before it");
  c.test->get_option("--since")->needs(journal);
  c.test->callback([&c] {
    if (c.events_path.empty() && !c.from_journal) throw CLI::RequiredError("--events or --from-journal");
  });
}

void add_journal_commands(CLI::App& app, Cli& c) {
  c.journal = app.add_subcommand("journal", "the messages received lately (gateway.journal_keep)");
  c.journal->require_subcommand(1);
  c.export_ = c.journal->add_subcommand("export", "the kept messages as events lines, for edgegw test --events");
  c.journal_purge = c.journal->add_subcommand("purge", "delete the kept messages");
  for (auto* sub : {c.export_, c.journal_purge}) add_config_option(sub, c);
  add_window_options(c.export_, c, "only messages received before this RFC 3339 time");
  c.export_->add_option("--topic", c.topic_filter, "only messages whose topic matches this MQTT filter");
}

void add_buffer_commands(CLI::App& app, Cli& c) {
  c.buffer = app.add_subcommand("buffer", "inspect the outbox");
  c.buffer->require_subcommand(1);
  c.stats = c.buffer->add_subcommand("stats", "rows, bytes and drops per link");
  c.list = c.buffer->add_subcommand("list", "the oldest rows waiting");
  c.purge = c.buffer->add_subcommand("purge", "delete waiting rows (counted as purged)");
  for (auto* sub : {c.stats, c.list, c.purge}) add_config_option(sub, c);
  c.stats->add_flag("--json", c.json, "JSON output");
  c.list->add_flag("--json", c.json, "JSON output");
  c.list->add_option("--limit", c.limit, "rows to show");
  for (auto* sub : {c.list, c.purge}) {
    sub->add_option("--link", c.link_text, "local or upstream")->check(CLI::IsMember({"local", "upstream"}));
  }
  c.purge->add_option("--topic", c.topic_filter, "only rows whose topic matches this MQTT filter");
}

// `edgegw deadletters` alone lists them.
void add_deadletter_commands(CLI::App& app, Cli& c) {
  c.dead = app.add_subcommand("deadletters", "webhook calls that finally failed, outbox rows the broker refused");
  c.dead->require_subcommand(0, 1);
  add_config_option(c.dead, c);
  auto* dead_list = c.dead->add_subcommand("list", "the dead letters, oldest first");
  c.dead_retry = c.dead->add_subcommand("retry", "queue them again (attempts start from 0)");
  c.dead_purge = c.dead->add_subcommand("purge", "delete them");
  dead_list->add_flag("--json", c.json, "JSON output");
  dead_list->add_option("--limit", c.limit, "rows to show");
  for (auto* sub : {dead_list, c.dead_retry, c.dead_purge}) add_config_option(sub, c);
  for (auto* sub : {c.dead_retry, c.dead_purge}) {
    sub->add_option("ids", c.dead_ids, "dead letter ids");
    sub->add_flag("--all", c.dead_all, "every dead letter");
  }
}

void add_devices_command(CLI::App& app, Cli& c) {
  c.devices = app.add_subcommand("devices", "the device registry: online/offline, last seen, messages");
  add_config_option(c.devices, c);
  c.devices->add_flag("--json", c.json, "JSON output");
}

int buffer_command(const Cli& c, const std::string& db) {
  auto link = parse_link(c.link_text);
  if (c.stats->parsed()) return gw::buffer_stats(db, std::cout, std::cerr, now_ms(), c.json);
  if (c.list->parsed()) return gw::buffer_list(db, std::cout, std::cerr, now_ms(), c.limit, link, c.json);
  std::optional<std::string> filter;
  if (!c.topic_filter.empty()) filter = c.topic_filter;
  return gw::buffer_purge(db, std::cout, std::cerr, link, filter);
}

int deadletters_command(const Cli& c, const std::string& db) {
  if (c.dead_retry->parsed()) return gw::deadletters_retry(db, std::cout, std::cerr, c.dead_ids, c.dead_all, now_ms());
  if (c.dead_purge->parsed()) return gw::deadletters_purge(db, std::cout, std::cerr, c.dead_ids, c.dead_all);
  return gw::deadletters_list(db, std::cout, std::cerr, c.limit, c.json);
}

// `run` checks what `check` checks, and prints the same lines, before it starts.
int run_command(const Cli& c) {
  edgegw::Diagnostics diags;
  gw::CheckOptions opts;
  opts.strict = true;
  opts.mosquitto_conf = c.mosquitto_conf;
  opts.load_http_modules = false;
  gw::Checked checked = gw::check_config(c.config_path, opts, diags);
  if (!gw::report_diagnostics(c.config_path, diags, std::cerr) || !checked.rules) return 1;
  return gw::run_daemon(*checked.cfg, checked.rules, checked.routes);
}

// The commands that read the config first.
int config_command(const Cli& c) {
  if (c.run->parsed()) return run_command(c);
  auto cfg = load_or_report(c.config_path);
  if (!cfg) return 1;
  const std::string db = cfg->gateway.state_dir + "/outbox.db";
  if (c.devices->parsed()) return gw::devices_command(db, std::cout, std::cerr, now_ms(), c.json);
  if (c.buffer->parsed()) return buffer_command(c, db);
  if (c.export_->parsed())
    return gw::journal_export(cfg->gateway.state_dir + "/journal", journal_query(c), std::cout, std::cerr);
  if (c.journal_purge->parsed()) {
    return gw::journal_purge(cfg->gateway.state_dir, std::cout, std::cerr,
                             edgegw::TimePoint(std::chrono::system_clock::now().time_since_epoch()));
  }
  return deadletters_command(c, db);
}

int dispatch(const Cli& c) {
  if (c.version->parsed()) {
    std::cout << "edgegw " << EDGEGW_VERSION << "\n" << gw::describe(gw::paho_c_info()) << "\n";
    return 0;
  }
  if (c.test->parsed() && c.from_journal) {
    return gw::run_test_from_journal(c.config_path, journal_query(c), std::cout, std::cerr, c.explain);
  }
  if (c.test->parsed()) {
    std::optional<edgegw::TimePoint> until;
    if (!c.until_text.empty()) until = gw::parse_rfc3339(c.until_text);
    return gw::run_test_command(c.config_path, c.events_path, until, std::cout, std::cerr, c.explain);
  }
  if (c.check->parsed()) return gw::run_check(c.config_path, std::cout, std::cerr, c.mosquitto_conf);
  if (c.run->parsed() || c.devices->parsed() || c.buffer->parsed() || c.dead->parsed() || c.journal->parsed()) {
    return config_command(c);
  }
  return 1;
}

// A usage error: what was wrong, then the help of the command it was given to
// (the list of commands when none was), on stderr.
int usage_error(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* at = &app;
  while (!at->get_subcommands().empty()) at = at->get_subcommands().front();
  std::cerr << "edgegw: " << e.what() << "\n\n" << at->help();
  return kUsageError;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgegw — MQTT edge gateway"};
  app.require_subcommand(1);
  Cli cli;
  add_gateway_commands(app, cli);
  add_buffer_commands(app, cli);
  add_deadletter_commands(app, cli);
  add_devices_command(app, cli);
  add_journal_commands(app, cli);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    return usage_error(app, e);
  }
  try {
    return dispatch(cli);
  } catch (const std::exception& e) {
    // The one last catch: log and exit non-zero so systemd restarts us.
    std::cerr << "edgegw: fatal: " << e.what() << "\n";
    return 1;
  }
}
