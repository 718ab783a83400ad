// gateway/http/http_worker.h — the one webhook thread (an HttpClient: libcurl,
// loaded on the first job, see http_module.h).
//
// The engine hands it jobs (a mutex + condvar queue) and never waits for it:
// submit() and take_results() only take a short lock. The thread performs
// one request at a time with the job's timeout, queues the outcome and
// signals the engine's EventFd, so a slow webhook delays other webhooks at
// most, never the MQTT forwarding. It never touches the database: the engine
// writes what an outcome means (design.md, Delivery).
//
// HttpJobSink is the engine side's view of it, so the dispatcher is unit
// tested with a fake.
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

#include "gateway/base/event_fd.h"
#include "gateway/http/http_module.h"

namespace edgegw::gateway {

class HttpJobSink {
 public:
  virtual ~HttpJobSink() = default;
  virtual void submit(HttpJob job) = 0;
  // Appends every outcome that arrived since the last call.
  virtual void take_results(std::vector<HttpOutcome>& out) = 0;
};

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
