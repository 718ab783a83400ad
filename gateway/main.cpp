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
#include "gateway/mqtt/paho_c_info.h"
#include "gateway/base/rfc3339.h"
#include "gateway/cli/test_command.h"

namespace gw = edgegw::gateway;

namespace {

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgegw — MQTT edge gateway"};
  app.require_subcommand(1);
  std::string config_path = gw::kDefaultConfigPath;

  auto* run = app.add_subcommand("run", "run the gateway in the foreground (systemd Type=notify)");
  run->add_option("-c,--config", config_path, "gateway config file");

  auto* check = app.add_subcommand("check", "validate the config and all rules");
  check->add_option("-c,--config", config_path, "gateway config file");
  std::string mosquitto_conf = gw::kMosquittoConfPath;
  check->add_option("--mosquitto-conf", mosquitto_conf, "the local broker's mosquitto.conf, for queueing advice");

  app.add_subcommand("version", "print the version");

  auto* test = app.add_subcommand("test", "dry run: feed events through the rules, print the effects as JSON lines");
  test->add_option("-c,--config", config_path, "gateway config file");
  std::string events_path;
  test->add_option("--events", events_path, "events, one JSON object per line")->required();
  std::string until_text;
  test->add_option("--until", until_text, "run the simulated clock to this RFC 3339 time after the last event")
      ->check([](const std::string& s) {
        return gw::parse_rfc3339(s) ? "" : "expected an RFC 3339 time such as 2026-11-22T07:00:00Z";
      });

  auto* buffer = app.add_subcommand("buffer", "inspect the outbox");
  buffer->require_subcommand(1);
  bool json = false;
  std::string link_text;
  std::string topic_filter;
  size_t limit = 50;
  auto* stats = buffer->add_subcommand("stats", "rows, bytes and drops per link");
  auto* list = buffer->add_subcommand("list", "the oldest rows waiting");
  auto* purge = buffer->add_subcommand("purge", "delete waiting rows (counted as purged)");
  for (auto* sub : {stats, list, purge}) {
    sub->add_option("-c,--config", config_path, "gateway config file");
  }
  stats->add_flag("--json", json, "JSON output");
  list->add_flag("--json", json, "JSON output");
  list->add_option("--limit", limit, "rows to show");
  list->add_option("--link", link_text, "local or upstream")->check(CLI::IsMember({"local", "upstream"}));
  purge->add_option("--link", link_text, "local or upstream")->check(CLI::IsMember({"local", "upstream"}));
  purge->add_option("--topic", topic_filter, "only rows whose topic matches this MQTT filter");

  // `edgegw deadletters` alone lists them.
  auto* dead = app.add_subcommand("deadletters", "webhook calls that finally failed, outbox rows the broker refused");
  dead->require_subcommand(0, 1);
  dead->add_option("-c,--config", config_path, "gateway config file");
  auto* dead_list = dead->add_subcommand("list", "the dead letters, oldest first");
  auto* dead_retry = dead->add_subcommand("retry", "queue them again (attempts start from 0)");
  auto* dead_purge = dead->add_subcommand("purge", "delete them");
  std::vector<int64_t> dead_ids;
  bool dead_all = false;
  dead_list->add_flag("--json", json, "JSON output");
  dead_list->add_option("--limit", limit, "rows to show");
  for (auto* sub : {dead_list, dead_retry, dead_purge})
    sub->add_option("-c,--config", config_path, "gateway config file");
  for (auto* sub : {dead_retry, dead_purge}) {
    sub->add_option("ids", dead_ids, "dead letter ids");
    sub->add_flag("--all", dead_all, "every dead letter");
  }
  auto* devices = app.add_subcommand("devices", "the device registry: online/offline, last seen, messages");
  devices->add_option("-c,--config", config_path, "gateway config file");
  devices->add_flag("--json", json, "JSON output");

  CLI11_PARSE(app, argc, argv);

  try {
    if (app.got_subcommand("version")) {
      std::cout << "edgegw " << EDGEGW_VERSION << "\n" << gw::describe(gw::paho_c_info()) << "\n";
      return 0;
    }
    if (run->parsed()) {
      auto cfg = load_or_report(config_path);
      if (!cfg) return 1;
      return gw::run_daemon(*cfg);
    }
    if (test->parsed()) {
      std::optional<edgegw::TimePoint> until;
      if (!until_text.empty()) until = gw::parse_rfc3339(until_text);
      return gw::run_test_command(config_path, events_path, until, std::cout, std::cerr);
    }
    if (devices->parsed()) {
      auto cfg = load_or_report(config_path);
      if (!cfg) return 1;
      int64_t now_ms = edgegw::to_unix_ms(edgegw::TimePoint(std::chrono::system_clock::now().time_since_epoch()));
      return gw::devices_command(cfg->gateway.state_dir + "/outbox.db", std::cout, std::cerr, now_ms, json);
    }
    if (check->parsed()) return gw::run_check(config_path, std::cout, std::cerr, mosquitto_conf);
    if (buffer->parsed()) {
      auto cfg = load_or_report(config_path);
      if (!cfg) return 1;
      std::string db = cfg->gateway.state_dir + "/outbox.db";
      auto link = parse_link(link_text);
      int64_t now_ms = edgegw::to_unix_ms(edgegw::TimePoint(std::chrono::system_clock::now().time_since_epoch()));
      if (stats->parsed()) return gw::buffer_stats(db, std::cout, std::cerr, now_ms, json);
      if (list->parsed()) return gw::buffer_list(db, std::cout, std::cerr, now_ms, limit, link, json);
      std::optional<std::string> filter;
      if (!topic_filter.empty()) filter = topic_filter;
      return gw::buffer_purge(db, std::cout, std::cerr, link, filter);
    }
    if (dead->parsed()) {
      auto cfg = load_or_report(config_path);
      if (!cfg) return 1;
      std::string db = cfg->gateway.state_dir + "/outbox.db";
      int64_t now_ms = edgegw::to_unix_ms(edgegw::TimePoint(std::chrono::system_clock::now().time_since_epoch()));
      if (dead_retry->parsed()) return gw::deadletters_retry(db, std::cout, std::cerr, dead_ids, dead_all, now_ms);
      if (dead_purge->parsed()) return gw::deadletters_purge(db, std::cout, std::cerr, dead_ids, dead_all);
      return gw::deadletters_list(db, std::cout, std::cerr, limit, json);
    }
  } catch (const std::exception& e) {
    // The one last catch: log and exit non-zero so systemd restarts us.
    std::cerr << "edgegw: fatal: " << e.what() << "\n";
    return 1;
  }
  return 1;
}
