// gateway/observe/http_server.h — /metrics, /healthz, /api/*, and the status page.
//
// An HttpListener (cpp-httplib, loaded by start(): http_module.h) on one
// listener thread with a task queue of two workers. Read-only: every answer
// is built from the Metrics atomics and the StatusBoard's latest snapshot;
// nothing here touches SQLite or the engine's objects, so a slow scrape
// never slows the engine.
//
// Threads: start() and stop() from the daemon's main thread; requests run
// on the server's own threads. Metrics and the StatusBoard must outlive it.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "core/status.h"
#include "gateway/http/http_module.h"
#include "gateway/base/metrics.h"
#include "gateway/observe/status_snapshot.h"

namespace edgegw::gateway {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8088;
};

class HttpServer {
 public:
  HttpServer(HttpOptions opt, const Metrics& metrics, const StatusBoard& board);
  ~HttpServer();  // stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the server module, binds (fails if the module cannot be loaded or
  // the address is taken) and serves on a thread of its own.
  Status start();
  // Stops accepting, finishes the requests in progress, joins. Idempotent.
  void stop();
  int port() const { return port_; }

 private:
  void add_routes();

  HttpOptions opt_;
  const Metrics& metrics_;
  const StatusBoard& board_;
  std::unique_ptr<HttpListener> server_;
  std::thread thread_;
  int port_ = 0;
};

// The status page (gateway/observe/status_page.html, embedded at build time).
const char* status_page_html();

}  // namespace edgegw::gateway
