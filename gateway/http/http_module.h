// gateway/http/http_module.h — libcurl and cpp-httplib, loaded only when used.
//
// Loading libcurl (with the GnuTLS, LDAP, Kerberos and SSH libraries Debian
// builds it with) costs 4 MiB of RSS, and loading Debian's cpp-httplib 2.2
// MiB (its constructor initialises OpenSSL with every error string), before
// either does anything: two thirds of what edgegw itself needs. Most
// gateways use neither webhooks nor, on a headless Pi, the status page. So
// each sits behind an interface here, implemented in a module of its own
// that links the library (webhook_module.cpp -> edgegw-webhook.so,
// http_server_module.cpp -> edgegw-http-server.so), and the daemon dlopen()s
// a module the first time it needs it: the HTTP server at start when
// http.listen is set, the webhook client on the first http action.
//
// A module is looked for next to the executable (the build tree), then in
// ../lib/edgegw/ from it (/usr/bin/edgegw -> /usr/lib/edgegw/, the package).
// Modules are built with the binary and never unloaded.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace edgegw::gateway {

// ---- the webhook client (edgegw-webhook.so: libcurl)

struct HttpJob {
  int64_t id = 0;  // http_queue row
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{5000};
};

struct HttpOutcome {
  int64_t id = 0;
  bool delivered = false;    // a 2xx answer
  bool host_failed = false;  // transport error, timeout, 5xx or 429: counts against the host's breaker
  std::string error;         // when not delivered: "HTTP 500", or curl's message
};

// One request at a time, from one thread (the HttpWorker's); keeps its
// connections open for the next call to the same host.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // `stopping` set by another thread aborts the call within about a second.
  virtual HttpOutcome perform(const HttpJob& job, const std::atomic<bool>& stopping) = 0;
};

// ---- the HTTP server (edgegw-http-server.so: cpp-httplib)

struct HttpReply {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// GET routes answered by handlers on the server's own threads.
class HttpListener {
 public:
  virtual ~HttpListener() = default;
  // Before bind().
  virtual void get(const std::string& path, std::function<HttpReply()> handler) = 0;
  virtual bool bind(const std::string& host, int port) = 0;
  // Serves until stop(); call on a thread of its own.
  virtual void listen() = 0;
  virtual bool is_running() const = 0;
  virtual void stop() = 0;
};

// Load the module (once; thread-safe) and make one. On failure: null, and
// `error` says which file could not be loaded and why.
std::unique_ptr<HttpClient> make_http_client(std::string& error);
std::unique_ptr<HttpListener> make_http_listener(std::string& error);

// What the modules export (extern "C", so dlsym finds them by these names).
// The objects are created in the module and deleted through their virtual
// destructors; both sides are built from this header in one build.
inline constexpr const char* kWebhookModule = "edgegw-webhook.so";
inline constexpr const char* kWebhookFactory = "edgegw_new_http_client";
inline constexpr const char* kHttpServerModule = "edgegw-http-server.so";
inline constexpr const char* kHttpServerFactory = "edgegw_new_http_listener";

}  // namespace edgegw::gateway
