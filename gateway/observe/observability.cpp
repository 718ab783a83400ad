#include "gateway/observe/observability.h"

#include <systemd/sd-daemon.h>

#include <chrono>

namespace edgegw::gateway {
namespace {

HaMode ha_mode(Discovery d) {
  switch (d) {
    case Discovery::on: return HaMode::on;
    case Discovery::off: return HaMode::off;
    case Discovery::automatic: return HaMode::automatic;
  }
  return HaMode::automatic;
}

bool ha_seen(SqliteOutbox& outbox) {
  std::vector<std::pair<std::string, std::string>> state;
  if (!outbox.load_state(state).ok()) return false;
  for (const auto& [name, json] : state) {
    if (name == kHaSeenState) return true;
  }
  return false;
}

}  // namespace

std::unique_ptr<Observability> make_observability(const Config& cfg, const Metrics& metrics, SqliteOutbox& outbox,
                                                  MqttLink& local, std::function<DevicesView()> devices) {
  StatusOptions opt;
  opt.devices = std::move(devices);
  opt.gateway_id = cfg.gateway.id;
  opt.version = EDGEGW_VERSION;
  opt.upstream_configured = cfg.upstream.has_value();
  opt.started_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  opt.ha = ha_mode(cfg.homeassistant.discovery);
  opt.ha_prefix = cfg.homeassistant.prefix;
  opt.ha_seen = opt.ha == HaMode::automatic && ha_seen(outbox);
  // READY=1 comes from here (the health predicate); STATUS= lines from the
  // engine loop's ServiceNotifier.
  opt.notify = [](const std::string& line) { sd_notify(0, line.c_str()); };
  opt.publish_local = [&local](const std::string& topic, const std::string& payload) {
    local.publish_retained(topic, payload);
  };
  return std::make_unique<Observability>(std::move(opt), metrics, cfg.upstream.has_value());
}

void start_http(Observability& o, const Config& cfg, const Metrics& metrics, spdlog::logger& log) {
  if (cfg.http.listen.empty() || cfg.http.port <= 0) return;
  o.http = std::make_unique<HttpServer>(HttpOptions{cfg.http.host, cfg.http.port}, metrics, o.board);
  if (auto s = o.http->start(); !s.ok()) {
    log.error("{}; running without the status page, /metrics and /healthz", s.message());
    o.http.reset();
    return;
  }
  log.info("http: serving /metrics, /healthz and the status page on {}", cfg.http.listen);
}

}  // namespace edgegw::gateway
