// gateway/observe/http_server_module.cpp — edgegw-http-server.so: HttpListener on
// cpp-httplib (see http_module.h for why it is a module).
//
// One listener thread with a task queue of two workers (a Pi has no use for
// eight), keep-alive for scrapers, five-second read and write timeouts.
#include <httplib.h>

#include "gateway/http/http_module.h"

namespace edgegw::gateway {
namespace {

constexpr size_t kWorkers = 2;

class HttplibListener final : public HttpListener {
 public:
  HttplibListener() {
    server_.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
    server_.set_keep_alive_max_count(20);
    server_.set_read_timeout(5, 0);
    server_.set_write_timeout(5, 0);
  }

  void get(const std::string& path, std::function<HttpReply()> handler) override {
    server_.Get(path, [handler = std::move(handler)](const httplib::Request&, httplib::Response& res) {
      HttpReply reply = handler();
      res.status = reply.status;
      for (const auto& [name, value] : reply.headers) res.set_header(name, value);
      res.set_content(reply.body, reply.content_type);
    });
  }
  bool bind(const std::string& host, int port) override { return server_.bind_to_port(host, port); }
  void listen() override { server_.listen_after_bind(); }
  bool is_running() const override { return server_.is_running(); }
  void stop() override { server_.stop(); }

 private:
  httplib::Server server_;
};

}  // namespace
}  // namespace edgegw::gateway

extern "C" __attribute__((visibility("default"))) edgegw::gateway::HttpListener* edgegw_new_http_listener() {
  return new edgegw::gateway::HttplibListener();
}
