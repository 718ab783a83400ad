// gateway/http/http_dispatch.h — the engine's side of the webhooks: the durable
// http_queue, the circuit breakers, and what an outcome means.
//
// Engine thread only (not thread-safe). The flow:
// - enqueue(): an `http` decision becomes an http_queue row inside the
//   engine's batch transaction, so it is as durable as the batch.
// - pump(): hands due rows to the worker: at most max_in_flight at a time,
//   one per host (so a breaker sees each failure before the next call), and
//   none to a host whose breaker is open (the row waits, keeping its
//   attempts). Rows left in the table at start are handed over again
//   (at-least-once).
// - take_results() collects the worker's outcomes; apply_results() writes
//   them inside the next batch: delete on 2xx; else attempts + 1 and a
//   backoff (circuit_breaker.h: retry_delay), and once attempts > retries the
//   row moves to deadletters. committed() then counts them in Metrics and
//   frees the slots. After a failed commit apply_results() runs again.
// Failures are Status values from the outbox; nothing throws.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "gateway/http/circuit_breaker.h"
#include "gateway/http/http_worker.h"
#include "gateway/base/metrics.h"
#include "gateway/store/sqlite_outbox.h"
#include "rules/decision.h"

namespace edgegw::gateway {

struct HttpDispatchOptions {
  size_t max_in_flight = 8;                       // jobs handed to the worker at a time
  Duration retry_base = std::chrono::seconds(1);  // 1 s, 2 s, 4 s, ...
  Duration retry_cap = std::chrono::minutes(5);
  uint64_t seed = std::random_device{}();
};

// The defaults, with retry_base from EDGEGW_HTTP_RETRY_BASE (a duration such
// as "100ms") when set: a hidden knob for the integration tests.
HttpDispatchOptions http_dispatch_options_from_env();

class HttpDispatch {
 public:
  HttpDispatch(SqliteOutbox& outbox, HttpJobSink& worker, Metrics& metrics, std::shared_ptr<spdlog::logger> log,
               HttpDispatchOptions options);

  // Inside the engine's batch: queues the call, due now.
  Status enqueue(const rules::HttpCall& call, int64_t now_ms);
  // Takes the worker's outcomes (and updates the breakers); true when some
  // wait to be written.
  bool take_results(MonoTime now);
  bool has_results() const { return !results_.empty(); }
  // Inside the engine's batch: writes the outcomes taken.
  Status apply_results(int64_t now_ms);
  // The batch holding apply_results() committed.
  void committed();
  // Hands due rows to the worker. now_ms: wall clock (the table's times).
  void pump(MonoTime now, int64_t now_ms);
  // When pump() has something to do without a wake-up; nullopt: nothing.
  std::optional<MonoTime> next_deadline(MonoTime now, int64_t now_ms) const;

  size_t in_flight() const { return in_flight_.size(); }

 private:
  struct InFlight {
    HttpRow row;
    std::string host;
  };
  struct Tally {
    uint64_t sent = 0, failed = 0, deadlettered = 0;
    std::vector<int64_t> done;  // rows whose outcome is written
  };

  Status apply(const HttpOutcome& o, const InFlight& f, int64_t now_ms);
  bool dispatch(const HttpRow& row, MonoTime now);
  bool host_busy(const std::string& host) const;
  void note_breaker(const std::string& host, CircuitBreaker::State before, const CircuitBreaker& after);

  SqliteOutbox& outbox_;
  HttpJobSink& worker_;
  Metrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  HttpDispatchOptions opt_;
  std::mt19937_64 rng_;
  CircuitBreakers breakers_;
  std::unordered_map<int64_t, InFlight> in_flight_;  // by http_queue id
  std::vector<HttpOutcome> results_;                 // taken, not yet committed
  Tally tally_;                                      // of the last apply_results()
  bool dirty_ = true;                                // the table may hold rows not looked at: scan it
  std::optional<int64_t> next_due_ms_;               // earliest next_ms of a row not yet due
  MonoTime last_scan_{};                             // a breaker reopening before it was seen by that scan
};

}  // namespace edgegw::gateway
