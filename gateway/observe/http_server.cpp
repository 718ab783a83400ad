#include "gateway/observe/http_server.h"

#include <chrono>

#include "gateway/observe/health.h"
#include "gateway/observe/status_render.h"

namespace edgegw::gateway {
namespace {

constexpr const char* kPromContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

HttpServer::HttpServer(HttpOptions opt, const Metrics& metrics, const StatusBoard& board)
    : opt_(std::move(opt)), metrics_(metrics), board_(board) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::add_routes() {
  auto health = [this] { return evaluate_health(board_.health_input(metrics_, mono_ms_now())); };
  auto json = [](std::string body) { return HttpReply{200, "application/json", std::move(body), {}}; };
  server_->get("/healthz", [health] {
    Health h = health();
    return HttpReply{h.http_status(), "application/json", h.json(), {}};
  });
  server_->get("/metrics", [this, health] {
    auto s = board_.snapshot();
    return HttpReply{200, kPromContentType, render_metrics(metrics_, s.get(), health(), wall_ms_now()), {}};
  });
  server_->get("/api/status", [this, health, json] {
    auto s = board_.snapshot();
    return json(render_status_json(metrics_, s.get(), health(), wall_ms_now()));
  });
  server_->get("/api/rules", [this, json] {
    auto s = board_.snapshot();
    return json(render_rules_json(s.get()));
  });
  server_->get("/api/devices", [this, json] {
    auto s = board_.snapshot();
    return json(s ? s->devices_json : R"({"devices":[]})");
  });
  server_->get("/", [] {
    // Nothing on the page may load from elsewhere.
    return HttpReply{200,
                     "text/html; charset=utf-8",
                     status_page_html(),
                     {{"Cache-Control", "no-store"},
                      {"Content-Security-Policy",
                       "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"}}};
  });
}

Status HttpServer::start() {
  std::string error;
  server_ = make_http_listener(error);
  if (!server_) return Status::error("http.listen '" + opt_.host + ":" + std::to_string(opt_.port) + "'", error);
  add_routes();
  if (!server_->bind(opt_.host, opt_.port)) {
    return Status::error("http.listen '" + opt_.host + ":" + std::to_string(opt_.port) + "'",
                         "cannot bind (address in use or not available)");
  }
  port_ = opt_.port;
  thread_ = std::thread([this] { server_->listen(); });
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
