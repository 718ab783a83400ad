#include "gateway/daemon/daemon.h"

#include <malloc.h>

#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

#include "core/topic.h"
#include "gateway/base/system_clock.h"
#include "gateway/disk/disk_guard.h"
#include "gateway/engine/engine_loop.h"
#include "gateway/mqtt/process_tuning.h"
#include "gateway/http/http_worker.h"
#include "gateway/mqtt/ingress.h"
#include "gateway/daemon/logging.h"
#include "gateway/observe/observability.h"
#include "gateway/config/rule_compile.h"
#include "gateway/observe/service_notifier.h"
#include "gateway/store/device_json.h"
#include "gateway/store/sqlite_devices.h"
#include "rules/rule_set.h"

namespace edgegw::gateway {
namespace {

LinkSettings link_settings(const LinkConfig& c, const Config& cfg, const std::string& status_topic) {
  LinkSettings s;
  s.server_uri = paho_server_uri(c.scheme, c.host, c.port);
  s.host = c.host;
  s.port = c.port;
  s.client_id = c.client_id;
  s.username = c.username;
  s.password = c.password;
  s.mqtt_version = c.mqtt_version;
  s.session_expiry = c.session_expiry;
  s.keepalive = c.keepalive;
  s.max_inflight = c.max_inflight;
  s.tls = c.scheme == "mqtts";
  s.ca_file = c.tls.ca_file;
  s.cert_file = c.tls.cert_file;
  s.key_file = c.tls.key_file;
  s.tls_verify = c.tls.verify;
  s.will_topic = status_topic;
  s.will_payload = "{\"state\":\"offline\"}";
  s.msg_id_prefix = cfg.gateway.id + ":";
  // gateway.max_payload plus room for the longest topic and the properties:
  // what fits is taken (and still dropped by ingress if above max_payload).
  constexpr uint64_t kPacketHeadroom = 65536 + 1024;
  s.max_packet = static_cast<uint32_t>(std::min<uint64_t>(cfg.gateway.max_payload + kPacketHeadroom, 0xFFFFFFFFull));
  return s;
}

Status make_state_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::error("state_dir '" + dir + "'", ec.message());
  ::chmod(dir.c_str(), 0700);
  return Status();
}

// `check` only warns about a missing file under /etc/edgegw (so the shipped
// config checks on a build machine); `run` must not connect without it.
Status required_files(const Config& cfg) {
  auto need = [](const std::string& key, const std::string& path) -> Status {
    if (path.empty() || ::access(path.c_str(), R_OK) == 0) return Status();
    return Status::error(key + " '" + path + "'", std::strerror(errno));
  };
  std::vector<std::pair<std::string, const LinkConfig*>> links{{"local", &cfg.local}};
  if (cfg.upstream) links.emplace_back("upstream", &*cfg.upstream);
  for (const auto& [name, link] : links) {
    for (auto s :
         {need(name + ".password_file", link->password_file), need(name + ".tls.ca_file", link->tls.ca_file),
          need(name + ".tls.cert_file", link->tls.cert_file), need(name + ".tls.key_file", link->tls.key_file)}) {
      if (!s.ok()) return s;
    }
  }
  return Status();
}

// Loads and compiles every rule file again (SIGHUP, a saved file); a missing
// rules path is an error. Returns null after printing every error as the
// plain line `edgegw check` prints.
std::shared_ptr<const rules::RuleSet> load_rules(const Config& cfg, spdlog::logger& log) {
  Diagnostics diags;
  auto files = expand_rule_files(cfg, diags, /*strict=*/true);
  auto set = compile_rule_files(files, cfg, diags).rules;
  for (const auto& d : diags.items()) {
    log_plain(log, d.severity == Severity::error ? spdlog::level::err : spdlog::level::warn, d.format());
  }
  return diags.has_errors() ? nullptr : set;
}

int blocked_signal_fd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  // Blocked before any thread starts, so Paho's threads inherit the mask and
  // the signals reach only the engine's signalfd.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

}  // namespace

std::vector<Subscription> plan_subscriptions(const std::vector<std::pair<std::string, int>>& wanted) {
  std::vector<std::string> filters;
  for (const auto& [f, q] : wanted) filters.push_back(f);
  std::vector<Subscription> out;
  for (const auto& f : minimal_filters(filters)) {
    int qos = 0;
    for (const auto& [g, q] : wanted) {
      if (g == f || filter_covers(f, g)) qos = std::max(qos, q);
    }
    out.push_back({f, qos});
  }
  return out;
}

// The registry as the status page and /api/devices show it (engine thread,
// once a second).
DevicesView devices_view(const devices::Registry& registry) {
  DevicesView v;
  for (const devices::Device& d : registry.devices()) {
    ++v.total;
    v.online += d.online ? 1 : 0;
  }
  v.json = devices_document(registry.devices());  // what `edgegw devices --json` prints
  return v;
}

namespace {

// outbox.db, sized for the disk (disk_guard.h); null after logging why.
std::unique_ptr<SqliteOutbox> open_outbox(const Config& cfg, const DiskSizing& sizing, spdlog::logger& log) {
  OutboxOptions oopt;
  oopt.wal_autocheckpoint_pages = sizing.wal_autocheckpoint_pages;
  oopt.journal_size_limit = sizing.journal_size_limit;
  oopt.limits = cfg.buffer.limits();
  oopt.sync_full = cfg.buffer.sync_full;
  oopt.background_checkpoints = true;  // off the engine thread: docs/performance.md, latency
  auto outbox = SqliteOutbox::open(cfg.gateway.state_dir + "/outbox.db", oopt);
  if (!outbox.ok()) {
    log.error("{}", outbox.status().message());
    return nullptr;
  }
  if (!(*outbox)->quarantined_path().empty()) {
    log.error("outbox.db was corrupt: kept as '{}', started a fresh one", (*outbox)->quarantined_path());
  }
  return std::move(*outbox);
}

// The ingress journal, read on from the outbox's committed position; null
// after logging why. What its recovery cut or lost is logged.
std::unique_ptr<Journal> open_journal(const Config& cfg, const DiskSizing& sizing, uint64_t position,
                                      spdlog::logger& log) {
  JournalOptions jopt;
  jopt.dir = cfg.gateway.state_dir + "/journal";
  jopt.sync_full = cfg.buffer.sync_full;
  jopt.segment_bytes = sizing.segment_bytes;
  jopt.keep = JournalKeep{std::chrono::duration_cast<std::chrono::milliseconds>(cfg.gateway.journal_keep_age).count(),
                          cfg.gateway.journal_keep_bytes};
  auto journal = Journal::open(jopt, position);
  if (!journal.ok()) {
    log.error("{}", journal.status().message());
    return nullptr;
  }
  const auto& rec = (*journal)->recovery();
  if (rec.bytes_cut > 0) log.warn("journal: cut a torn or corrupt tail of {} bytes at start", rec.bytes_cut);
  if (rec.corrupt_mid_journal) {
    log.error("journal: corrupt record, the records after it were lost: {}", rec.corrupt_detail);
  }
  if (rec.missing_records > 0) log.error("journal: {} record(s) missing between segments", rec.missing_records);
  return std::move(*journal);
}

// What each link subscribes: the config's list (local), the device
// profiles' topics, the routes' and the rules' filters; recomputed when
// SIGHUP loads other rules.
using SubscriptionPlan = std::function<std::vector<Subscription>(Link, const rules::RuleSet*)>;
SubscriptionPlan subscription_plan(const Config& cfg, const rules::Routes& routes,
                                   std::vector<std::string> device_filters) {
  return [&cfg, &routes, device_filters = std::move(device_filters)](Link link, const rules::RuleSet* rs) {
    std::vector<std::pair<std::string, int>> wanted;
    if (link == Link::local) {
      for (const auto& f : cfg.local.subscribe) wanted.emplace_back(f, cfg.local.qos);
      for (const auto& f : device_filters) wanted.emplace_back(f, cfg.local.qos);
    }
    for (const auto& sub : routes.subscriptions(link)) wanted.emplace_back(sub.filter, sub.qos);
    if (rs) {
      for (const auto& f : rs->filters(link)) wanted.emplace_back(f, 1);
    }
    return plan_subscriptions(wanted);
  };
}

EngineOptions engine_options(const Config& cfg, const DiskSizing& sizing, const SubscriptionPlan& plan,
                             const rules::RuleSet* rules) {
  EngineOptions eopt;
  eopt.gateway_id = cfg.gateway.id;
  eopt.journal_max = cfg.buffer.journal_max;
  eopt.sync_full = cfg.buffer.sync_full;
  eopt.batch_bytes = sizing.batch_bytes;
  eopt.local_reconnect_min = cfg.local.reconnect.min;
  eopt.local_reconnect_max = cfg.local.reconnect.max;
  eopt.local_subscriptions = plan(Link::local, rules);
  eopt.max_messages = cfg.buffer.max_messages;
  if (cfg.upstream) {
    eopt.upstream_reconnect_min = cfg.upstream->reconnect.min;
    eopt.upstream_reconnect_max = cfg.upstream->reconnect.max;
    eopt.upstream_max_inflight = static_cast<size_t>(cfg.upstream->max_inflight);
    eopt.upstream_subscriptions = plan(Link::upstream, rules);
  }
  return eopt;
}

// The device registry as outbox.db last saved it.
void load_devices(DeviceTracker& devices, spdlog::logger& log) {
  if (auto n = devices.load(TimePoint(std::chrono::system_clock::now().time_since_epoch())); !n.ok()) {
    log.error("devices: {}", n.status().message());
  } else if (*n > 0) {
    log.info("devices: {} known from outbox.db", *n);
  }
}

}  // namespace

namespace {

// What run_daemon checked and opened, for the parts built on it.
struct Opened {
  const Config& cfg;
  DiskSizing sizing;
  std::shared_ptr<spdlog::logger> log;
  int sig_fd;
  std::shared_ptr<const rules::RuleSet> rules;
  const rules::Routes& routes;
  SqliteOutbox& outbox;
  Journal& journal;
};

// The links and what feeds them, for the engine.
struct Wired {
  Metrics& metrics;
  EventFd& wake;
  LinkEventQueue& events;
  Ingress& ingress;
  DeviceTracker& devices;
  const SubscriptionPlan& plan;
  MqttLink& local;
  MqttLink* upstream;
};

// The engine loop and the HTTP side on the links; runs until SIGTERM.
int run_engine(const Opened& o, const Wired& w) {
  const Config& cfg = o.cfg;
  EngineOptions eopt = engine_options(cfg, o.sizing, w.plan, o.rules.get());
  // READY=1 comes from the status collector, when /healthz first says 200.
  auto obs = make_observability(cfg, w.metrics, o.outbox, w.local,
                                [&devices = w.devices] { return devices_view(devices.registry()); });
  eopt.status_online = obs->collector.online_status();
  SystemClock clock;
  auto log = o.log;
  EngineParts parts{o.journal,
                    o.outbox,
                    o.routes,
                    w.wake,
                    w.events,
                    w.local,
                    w.upstream,
                    w.metrics,
                    clock,
                    log,
                    o.sig_fd,
                    o.rules,
                    [&cfg, log] { return load_rules(cfg, *log); },
                    w.plan};
  parts.status = &obs->collector;
  std::vector<std::string> watch_warnings;
  auto rule_watch = RuleWatch::open(cfg.rule_paths, watch_warnings);
  for (const auto& warning : watch_warnings) log->warn("{}", warning);
  parts.rule_watch = rule_watch.get();
  HttpWorker http_worker(w.wake);  // stopped and joined before `wake` goes
  parts.http = &http_worker;
  auto notifier = ServiceNotifier::from_systemd(cfg.upstream.has_value());
  parts.service = &notifier;
  parts.devices = &w.devices;
  DiskGuard disk({cfg.gateway.state_dir, cfg.buffer.journal_max, o.sizing.reserve_bytes}, o.outbox, o.journal,
                 w.metrics, log);
  parts.disk = &disk;
  w.ingress.set_release_reserve(
      [path = disk.reserve_path(), target = o.sizing.reserve_bytes] { return DiskReserve(path, target).release(); });
  EngineLoop loop(std::move(parts), std::move(eopt));
  start_http(*obs, cfg, w.metrics, *log);

  log->info("edgegw {} started: id '{}', {} route(s), {} rule(s), state in '{}'", EDGEGW_VERSION, cfg.gateway.id,
            o.routes.size(), o.rules->rules().size(), cfg.gateway.state_dir);
  int rc = loop.run();
  sd_notify(0, "STOPPING=1");
  if (obs->http) obs->http->stop();
  return rc;
}

// The journal's intake, the device registry and the two links, then the engine.
int serve(const Opened& o) {
  const Config& cfg = o.cfg;
  Metrics metrics;
  auto wake_fd = EventFd::create();
  if (!wake_fd.ok()) {
    o.log->error("{}", wake_fd.status().message());
    return 1;
  }
  EventFd& wake = *wake_fd;
  LinkEventQueue events(wake);
  Ingress ingress(o.journal, wake, metrics, cfg.gateway.max_payload, o.log);
  std::string status_topic = "edgegw/" + cfg.gateway.id + "/status";

  auto device_store = SqliteDevices::open(o.outbox.db(), /*create=*/true);
  if (!device_store.ok()) {
    o.log->error("devices: {}", device_store.status().message());
    return 1;
  }
  DeviceTracker devices(devices::Profiles::compile(profile_config(cfg)), device_store->get());
  load_devices(devices, *o.log);
  const auto plan = subscription_plan(cfg, o.routes, devices.registry().profiles().filters());

  MqttLink local(Link::local, link_settings(cfg.local, cfg, status_topic), ingress, events);
  std::unique_ptr<MqttLink> upstream;
  if (cfg.upstream) {
    upstream =
        std::make_unique<MqttLink>(Link::upstream, link_settings(*cfg.upstream, cfg, status_topic), ingress, events);
  }
  return run_engine(o, {metrics, wake, events, ingress, devices, plan, local, upstream.get()});
}

}  // namespace

int run_daemon(const Config& cfg, std::shared_ptr<const rules::RuleSet> rule_set, const rules::Routes& routes) {
  tune_process();  // before any thread or client: see process_tuning.h
  auto log = make_logger(cfg.gateway.log_level);
  ::signal(SIGPIPE, SIG_IGN);  // Paho C #1346: a dead TLS peer must not kill us
  int sig_fd = blocked_signal_fd();
  if (sig_fd < 0) {
    log->error("signalfd: {}", std::strerror(errno));
    return 1;
  }
  if (auto s = required_files(cfg); !s.ok()) {
    log->error("{}", s.message());
    return 1;
  }
  if (auto s = make_state_dir(cfg.gateway.state_dir); !s.ok()) {
    log->error("{}", s.message());
    return 1;
  }
  // A small disk gets a small WAL, journal segments and batches (disk_guard.h).
  const DiskSizing sizing = DiskSizing::for_journal_max(cfg.buffer.journal_max);
  auto outbox = open_outbox(cfg, sizing, *log);
  if (!outbox) return 1;
  auto journal = open_journal(cfg, sizing, outbox->journal_position(), *log);
  if (!journal) return 1;
  const int rc = serve({cfg, sizing, log, sig_fd, rule_set, routes, *outbox, *journal});
  ::close(sig_fd);
  return rc;
}

}  // namespace edgegw::gateway
