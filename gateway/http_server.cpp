#include "gateway/http_server.h"

#include <httplib.h>

#include <chrono>

#include "gateway/health.h"
#include "gateway/status_render.h"

namespace edgegw::gateway {
namespace {

constexpr size_t kWorkers = 2;
constexpr const char* kPromContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

HttpServer::HttpServer(HttpOptions opt, const Metrics& metrics, const StatusBoard& board)
    : opt_(std::move(opt)), metrics_(metrics), board_(board), server_(std::make_unique<httplib::Server>()) {
  server_->new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  server_->set_keep_alive_max_count(20);
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
  add_routes();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::add_routes() {
  auto health = [this] { return evaluate_health(board_.health_input(metrics_, mono_ms_now())); };
  server_->Get("/healthz", [health](const httplib::Request&, httplib::Response& res) {
    Health h = health();
    res.status = h.http_status();
    res.set_content(h.json(), "application/json");
  });
  server_->Get("/metrics", [this, health](const httplib::Request&, httplib::Response& res) {
    auto s = board_.snapshot();
    res.set_content(render_metrics(metrics_, s.get(), health(), wall_ms_now()), kPromContentType);
  });
  server_->Get("/api/status", [this, health](const httplib::Request&, httplib::Response& res) {
    auto s = board_.snapshot();
    res.set_content(render_status_json(metrics_, s.get(), health(), wall_ms_now()), "application/json");
  });
  server_->Get("/api/rules", [this](const httplib::Request&, httplib::Response& res) {
    auto s = board_.snapshot();
    res.set_content(render_rules_json(s.get()), "application/json");
  });
  server_->Get("/api/devices", [this](const httplib::Request&, httplib::Response& res) {
    auto s = board_.snapshot();
    res.set_content(s ? s->devices_json : "[]", "application/json");
  });
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    // Nothing on the page may load from elsewhere.
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:");
    res.set_content(status_page_html(), "text/html; charset=utf-8");
  });
}

Status HttpServer::start() {
  if (!server_->bind_to_port(opt_.host, opt_.port)) {
    return Status::error("http.listen '" + opt_.host + ":" + std::to_string(opt_.port) + "'",
                         "cannot bind (address in use or not available)");
  }
  port_ = opt_.port;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status();
}

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  // httplib's stop() only closes a socket that listen has started on; wait
  // for that (briefly: listen_after_bind may also have returned early).
  for (int i = 0; i < 1000 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server_->stop();
  thread_.join();
}

}  // namespace edgegw::gateway
