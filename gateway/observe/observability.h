// gateway/observe/observability.h — wiring for the daemon: the StatusBoard, the
// engine thread's StatusCollector and the HTTP server, built from the config.
//
// Main thread: build with make_observability() before the EngineLoop (pass
// `collector` in EngineParts), start_http() before running the loop, and
// destroy (or stop_http()) after it returned. A port that cannot be bound
// is logged and the gateway runs on without HTTP: delivery matters more
// than the status page.
#pragma once

#include <spdlog/logger.h>

#include <memory>

#include "gateway/config/config.h"
#include "gateway/observe/http_server.h"
#include "gateway/base/metrics.h"
#include "gateway/mqtt/mqtt_link.h"
#include "gateway/store/sqlite_outbox.h"
#include "gateway/observe/status_collector.h"
#include "gateway/observe/status_snapshot.h"

namespace edgegw::gateway {

struct Observability {
  Observability(StatusOptions opt, const Metrics& metrics, bool upstream_configured)
      : board(upstream_configured), collector(std::move(opt), metrics, board) {}
  StatusBoard board;
  StatusCollector collector;
  std::unique_ptr<HttpServer> http;
};

// `local` is used from the engine thread only (Home Assistant messages).
std::unique_ptr<Observability> make_observability(const Config& cfg, const Metrics& metrics, SqliteOutbox& outbox,
                                                  MqttLink& local, std::function<DevicesView()> devices = {});
void start_http(Observability& o, const Config& cfg, const Metrics& metrics, spdlog::logger& log);

}  // namespace edgegw::gateway
