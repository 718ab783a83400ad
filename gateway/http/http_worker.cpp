// gateway/http/http_worker.cpp — see http_worker.h.
#include "gateway/http/http_worker.h"

#include <iterator>
#include <memory>

namespace edgegw::gateway {

HttpWorker::HttpWorker(EventFd& wake) : wake_(wake), thread_([this] { run(); }) {}

HttpWorker::~HttpWorker() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void HttpWorker::submit(HttpJob job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void HttpWorker::take_results(std::vector<HttpOutcome>& out) {
  std::lock_guard lock(mu_);
  std::move(results_.begin(), results_.end(), std::back_inserter(out));
  results_.clear();
}

void HttpWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_one();
}

void HttpWorker::run() {
  // Loaded on the first job (see http_module.h).
  std::unique_ptr<HttpClient> client;
  std::string load_error;
  for (;;) {
    HttpJob job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (!client) client = make_http_client(load_error);
    // Without the module the call fails as a call, not the host: the row
    // is retried and dead-lettered like any failed call, the breaker stays.
    HttpOutcome outcome = client ? client->perform(job, stopping_) : HttpOutcome{job.id, false, false, load_error};
    if (stopping_) return;  // an aborted call is no outcome: the row stays queued
    {
      std::lock_guard lock(mu_);
      results_.push_back(std::move(outcome));
    }
    wake_.notify();
  }
}

}  // namespace edgegw::gateway
