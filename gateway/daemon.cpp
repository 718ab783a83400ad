#include "gateway/daemon.h"

#include <malloc.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/topic.h"
#include "gateway/engine_loop.h"
#include "gateway/ingress.h"
#include "gateway/logging.h"
#include "gateway/observability.h"
#include "gateway/rule_loader.h"
#include "rules/rule_set.h"

namespace edgegw::gateway {
namespace {

LinkSettings link_settings(const LinkConfig& c, const Config& cfg, const std::string& status_topic) {
  LinkSettings s;
  s.server_uri = paho_server_uri(c.scheme, c.host, c.port);
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
    for (auto s : {need(name + ".password_file", link->password_file), need(name + ".tls.ca_file", link->tls.ca_file),
                   need(name + ".tls.cert_file", link->tls.cert_file), need(name + ".tls.key_file", link->tls.key_file)}) {
      if (!s.ok()) return s;
    }
  }
  return Status();
}

// Loads and compiles every rule file; `run` refuses a missing rules path.
// Returns null after logging every error.
std::shared_ptr<const rules::RuleSet> load_rules(const Config& cfg, spdlog::logger& log) {
  Diagnostics diags;
  auto files = expand_rule_files(cfg, diags, /*strict=*/true);
  auto specs = load_rule_files(files, diags);
  auto set = diags.has_errors() ? nullptr : rules::RuleSet::compile(specs, diags, cfg.upstream.has_value());
  for (const auto& d : diags.items()) {
    if (d.severity == Severity::error) log.error("{}", d.format());
    else log.warn("{}", d.format());
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

int run_daemon(const Config& cfg) {
  auto log = make_logger(cfg.gateway.log_level);
  // glibc gives the heap top back to the kernel whenever 128 KiB are free
  // there; the engine's per-batch buffers then shrink and regrow the heap on
  // every batch, and on a VM each shrink is a TLB-shootdown IPI to every CPU
  // running our threads (27% of the engine thread in a backlog drain, by perf).
  ::mallopt(M_TRIM_THRESHOLD, 8 << 20);
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
  auto rule_set = load_rules(cfg, *log);
  if (!rule_set) return 1;
  Diagnostics diags;
  auto routes = rules::Routes::compile(cfg.forward, diags);
  if (diags.has_errors()) {
    for (const auto& d : diags.items()) log->error("{}", d.format());
    return 1;
  }
  if (auto s = make_state_dir(cfg.gateway.state_dir); !s.ok()) {
    log->error("{}", s.message());
    return 1;
  }

  OutboxOptions oopt;
  oopt.limits = cfg.buffer.limits();
  oopt.sync_full = cfg.buffer.sync_full;
  auto outbox = SqliteOutbox::open(cfg.gateway.state_dir + "/outbox.db", oopt);
  if (!outbox.ok()) {
    log->error("{}", outbox.status().message());
    return 1;
  }
  if (!(*outbox)->quarantined_path().empty()) {
    log->error("outbox.db was corrupt: kept as '{}', started a fresh one", (*outbox)->quarantined_path());
  }
  JournalOptions jopt;
  jopt.dir = cfg.gateway.state_dir + "/journal";
  jopt.sync_full = cfg.buffer.sync_full;
  auto journal = Journal::open(jopt, (*outbox)->journal_position());
  if (!journal.ok()) {
    log->error("{}", journal.status().message());
    return 1;
  }
  const auto& rec = (*journal)->recovery();
  if (rec.bytes_cut > 0) log->warn("journal: cut a torn or corrupt tail of {} bytes at start", rec.bytes_cut);
  if (rec.corrupt_mid_journal) log->error("journal: corrupt record, the records after it were lost: {}", rec.corrupt_detail);
  if (rec.missing_records > 0) log->error("journal: {} record(s) missing between segments", rec.missing_records);

  Metrics metrics;
  auto wake_fd = EventFd::create();
  if (!wake_fd.ok()) {
    log->error("{}", wake_fd.status().message());
    return 1;
  }
  EventFd& wake = *wake_fd;
  LinkEventQueue events(wake);
  Ingress ingress(**journal, wake, metrics, cfg.gateway.max_payload, log);
  std::string status_topic = "edgegw/" + cfg.gateway.id + "/status";

  // What each link subscribes: the config's list (local), the routes' and
  // the rules' filters; recomputed when SIGHUP loads other rules.
  auto plan = [&cfg, &routes](Link link, const rules::RuleSet* rs) {
    std::vector<std::pair<std::string, int>> wanted;
    if (link == Link::local) {
      for (const auto& f : cfg.local.subscribe) wanted.emplace_back(f, cfg.local.qos);
    }
    for (const auto& sub : routes.subscriptions(link)) wanted.emplace_back(sub.filter, sub.qos);
    if (rs) {
      for (const auto& f : rs->filters(link)) wanted.emplace_back(f, 1);
    }
    return plan_subscriptions(wanted);
  };

  MqttLink local(Link::local, link_settings(cfg.local, cfg, status_topic), ingress, events);
  std::unique_ptr<MqttLink> upstream;
  if (cfg.upstream) {
    upstream = std::make_unique<MqttLink>(Link::upstream, link_settings(*cfg.upstream, cfg, status_topic), ingress,
                                          events);
  }

  EngineOptions eopt;
  eopt.gateway_id = cfg.gateway.id;
  eopt.journal_max = cfg.buffer.journal_max;
  eopt.sync_full = cfg.buffer.sync_full;
  eopt.state_dir = cfg.gateway.state_dir;
  eopt.local_reconnect_min = cfg.local.reconnect.min;
  eopt.local_reconnect_max = cfg.local.reconnect.max;
  eopt.local_subscriptions = plan(Link::local, rule_set.get());
  eopt.max_messages = cfg.buffer.max_messages;
  if (cfg.upstream) {
    eopt.upstream_reconnect_min = cfg.upstream->reconnect.min;
    eopt.upstream_reconnect_max = cfg.upstream->reconnect.max;
    eopt.upstream_max_inflight = static_cast<size_t>(cfg.upstream->max_inflight);
    eopt.upstream_subscriptions = plan(Link::upstream, rule_set.get());
  }
  // READY=1 comes from the status collector, when /healthz first says 200.
  auto obs = make_observability(cfg, metrics, **outbox, local);
  eopt.status_online = obs->collector.online_status();
  EngineParts parts{**journal, **outbox, routes, wake, events, local, upstream.get(), metrics, log, sig_fd,
                    nullptr, rule_set, [&cfg, log] { return load_rules(cfg, *log); }, plan, &obs->collector};
  EngineLoop loop(std::move(parts), std::move(eopt));
  start_http(*obs, cfg, metrics, *log);

  log->info("edgegw {} started: id '{}', {} route(s), {} rule(s), state in '{}'", EDGEGW_VERSION, cfg.gateway.id,
            routes.size(), rule_set->rules().size(), cfg.gateway.state_dir);
  int rc = loop.run();
  sd_notify(0, "STOPPING=1");
  if (obs->http) obs->http->stop();
  ::close(sig_fd);
  return rc;
}

}  // namespace edgegw::gateway
