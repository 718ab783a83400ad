// gateway/http_worker.h — the one webhook thread (libcurl easy API).
//
// The engine hands it jobs (a mutex + condvar queue) and never waits for it:
// submit() and take_results() only take a short lock. The thread performs
// one request at a time with the job's timeout, queues the outcome and
// signals the engine's EventFd, so a slow webhook delays other webhooks at
// most, never the MQTT forwarding. It never touches the database: the engine
// writes what an outcome means (design.md, Delivery).
//
// HttpJobSink is the engine side's view of it, so the dispatcher is unit
// tested with a fake. Call http_global_init() once in main, before any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gateway/event_fd.h"

namespace edgegw::gateway {

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
  bool delivered = false;     // a 2xx answer
  bool host_failed = false;   // transport error, timeout, 5xx or 429: counts against the host's breaker
  std::string error;          // when not delivered: "HTTP 500", or curl's message
};

class HttpJobSink {
 public:
  virtual ~HttpJobSink() = default;
  virtual void submit(HttpJob job) = 0;
  // Appends every outcome that arrived since the last call.
  virtual void take_results(std::vector<HttpOutcome>& out) = 0;
};

// Call once, before any other thread starts. A libcurl that is thread-safe
// (CURL_VERSION_THREADSAFE, 7.84 and later: Debian 12 has 7.88) initialises
// itself on the worker's first call instead, so a gateway without http
// actions does not initialise libcurl's TLS, SSH and HTTP/2 backends; an
// older one is initialised here. (OpenSSL itself is initialised at load
// time anyway, by Debian's cpp-httplib: see docs/performance.md.)
void http_global_init();

class HttpWorker final : public HttpJobSink {
 public:
  // Starts the thread; `wake` is notified after each outcome and must outlive it.
  explicit HttpWorker(EventFd& wake);
  // stop(), then join.
  ~HttpWorker() override;
  HttpWorker(const HttpWorker&) = delete;
  HttpWorker& operator=(const HttpWorker&) = delete;

  void submit(HttpJob job) override;
  void take_results(std::vector<HttpOutcome>& out) override;
  // Any thread: aborts the request in progress (within about a second) and
  // drops the queued jobs; their rows stay in http_queue for the next start.
  void stop();

 private:
  void run();

  EventFd& wake_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<HttpJob> jobs_;
  std::vector<HttpOutcome> results_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace edgegw::gateway
