// gateway/http/http_dispatch.cpp — see http_dispatch.h.
#include "gateway/http/http_dispatch.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/units.h"

namespace edgegw::gateway {

namespace {

constexpr size_t kScanChunk = 64;        // due rows read per query
constexpr int64_t kErrorRetryMs = 1000;  // after a failed query, look again this much later

std::vector<std::pair<std::string, std::string>> parse_headers(const std::string& json_text) {
  std::vector<std::pair<std::string, std::string>> out;
  auto j = nlohmann::ordered_json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  for (const auto& [name, value] : j.items()) {
    out.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

const char* state_name(CircuitBreaker::State s) {
  switch (s) {
    case CircuitBreaker::State::closed: return "closed";
    case CircuitBreaker::State::open: return "open";
    case CircuitBreaker::State::half_open: return "half-open";
  }
  return "?";
}

}  // namespace

HttpDispatchOptions http_dispatch_options_from_env() {
  HttpDispatchOptions o;
  if (const char* base = std::getenv("EDGEGW_HTTP_RETRY_BASE")) {
    if (auto d = parse_duration(base); d && *d > Duration::zero()) o.retry_base = *d;
  }
  return o;
}

HttpDispatch::HttpDispatch(SqliteOutbox& outbox, HttpJobSink& worker, Metrics& metrics,
                           std::shared_ptr<spdlog::logger> log, HttpDispatchOptions options)
    : outbox_(outbox), worker_(worker), metrics_(metrics), log_(std::move(log)), opt_(options), rng_(options.seed) {}

Status HttpDispatch::enqueue(const rules::HttpCall& call, int64_t now_ms) {
  auto id = outbox_.http_insert(http_row_from(call, now_ms));
  if (!id.ok()) return id.status();
  dirty_ = true;  // pump() after the commit finds it
  return Status();
}

bool HttpDispatch::take_results(MonoTime now) {
  std::vector<HttpOutcome> fresh;
  worker_.take_results(fresh);
  for (auto& o : fresh) {
    auto it = in_flight_.find(o.id);
    if (it == in_flight_.end()) continue;
    CircuitBreaker& b = breakers_.of(it->second.host);
    auto before = b.state();
    if (o.delivered || !o.host_failed)
      b.on_success();  // the host answered
    else
      b.on_failure(now);
    note_breaker(it->second.host, before, b);
    results_.push_back(std::move(o));
  }
  return !results_.empty();
}

Status HttpDispatch::apply_results(int64_t now_ms) {
  tally_ = Tally{};
  for (const HttpOutcome& o : results_) {
    if (Status s = apply(o, in_flight_.at(o.id), now_ms); !s.ok()) return s;
    tally_.done.push_back(o.id);
  }
  return Status();
}

Status HttpDispatch::apply(const HttpOutcome& o, const InFlight& f, int64_t now_ms) {
  if (o.delivered) {
    ++tally_.sent;
    return outbox_.http_delivered(o.id);
  }
  ++tally_.failed;
  const int attempts = f.row.attempts + 1;
  if (attempts > f.row.retries) {
    ++tally_.deadlettered;
    return outbox_.http_deadletter(o.id, attempts, o.error, now_ms);
  }
  double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  auto delay =
      std::chrono::duration_cast<std::chrono::milliseconds>(retry_delay(attempts, opt_.retry_base, opt_.retry_cap, r));
  return outbox_.http_retry_later(o.id, attempts, now_ms + delay.count());
}

void HttpDispatch::committed() {
  if (results_.empty()) return;
  Metrics::add(metrics_.http_sent, tally_.sent);
  Metrics::add(metrics_.http_failed, tally_.failed);
  Metrics::add(metrics_.http_deadlettered, tally_.deadlettered);
  for (const HttpOutcome& o : results_) {
    const HttpRow& row = in_flight_.at(o.id).row;
    const int attempts = row.attempts + 1;
    if (o.delivered) {
      log_->debug("http: rule '{}': {} '{}' delivered", row.rule, row.method, row.url);
    } else if (attempts > row.retries) {
      log_->warn("http: rule '{}': {} '{}' failed {} time(s), last: {}; moved to the dead letters", row.rule,
                 row.method, row.url, attempts, o.error);
    } else {
      log_->debug("http: rule '{}': {} '{}' failed (attempt {} of {}): {}; retrying with backoff", row.rule, row.method,
                  row.url, attempts, row.retries + 1, o.error);
    }
    in_flight_.erase(o.id);
  }
  results_.clear();
  tally_ = Tally{};
  dirty_ = true;  // slots are free and rows changed: look at the table again
}

bool HttpDispatch::host_busy(const std::string& host) const {
  return std::any_of(in_flight_.begin(), in_flight_.end(), [&](const auto& e) { return e.second.host == host; });
}

bool HttpDispatch::dispatch(const HttpRow& row, MonoTime now) {
  if (in_flight_.count(row.id)) return false;
  std::string host = host_key(row.url);
  if (host_busy(host)) return false;
  CircuitBreaker& b = breakers_.of(host);
  auto before = b.state();
  if (!b.allow(now)) return false;  // open: the row waits and keeps its attempts
  note_breaker(host, before, b);
  HttpJob job{row.id,   row.method,
              row.url,  parse_headers(row.headers_json),
              row.body, std::chrono::milliseconds(std::max<int64_t>(row.timeout_ms, 1))};
  in_flight_.emplace(row.id, InFlight{row, std::move(host)});
  worker_.submit(std::move(job));
  return true;
}

void HttpDispatch::pump(MonoTime now, int64_t now_ms) {
  if (outbox_.take_external_change()) dirty_ = true;  // e.g. `edgegw deadletters retry`
  auto reopen = breakers_.next_reopen();
  bool due = dirty_ || (next_due_ms_ && *next_due_ms_ <= now_ms) || (reopen && *reopen <= now && *reopen > last_scan_);
  if (!due || in_flight_.size() >= opt_.max_in_flight) return;
  dirty_ = false;
  last_scan_ = now;
  std::vector<HttpRow> rows;
  bool full = false;
  for (int64_t after = 0; !full;) {
    rows.clear();
    if (Status s = outbox_.http_due(now_ms, after, kScanChunk, rows); !s.ok()) {
      log_->error("http: reading the queue: {}", s.message());
      next_due_ms_ = now_ms + kErrorRetryMs;
      return;
    }
    for (const HttpRow& row : rows) {
      after = row.id;
      if (in_flight_.size() >= opt_.max_in_flight) {
        full = dirty_ = true;  // more are due: committed() frees a slot and scans again
        break;
      }
      dispatch(row, now);
    }
    if (rows.size() < kScanChunk) break;
  }
  auto next = outbox_.http_next_due(now_ms);
  if (next.ok())
    next_due_ms_ = *next;
  else
    next_due_ms_ = now_ms + kErrorRetryMs;
}

std::optional<MonoTime> HttpDispatch::next_deadline(MonoTime now, int64_t now_ms) const {
  std::optional<MonoTime> d;
  auto earlier = [&d](MonoTime t) { d = d ? std::min(*d, t) : t; };
  bool room = in_flight_.size() < opt_.max_in_flight;
  if (room && dirty_) earlier(now);
  if (room && next_due_ms_) earlier(now + std::chrono::milliseconds(std::max<int64_t>(*next_due_ms_ - now_ms, 0)));
  if (auto reopen = breakers_.next_reopen(); room && reopen && *reopen > last_scan_) earlier(*reopen);
  return d;
}

void HttpDispatch::note_breaker(const std::string& host, CircuitBreaker::State before, const CircuitBreaker& after) {
  if (before == after.state()) return;
  using S = CircuitBreaker::State;
  if (after.state() == S::open && before == S::closed) {
    log_->warn("http: '{}' failed {} times in a row; circuit open, no calls to it for {}s", host,
               CircuitBreaker::kFailuresToOpen,
               std::chrono::duration_cast<std::chrono::seconds>(CircuitBreaker::kOpenFor).count());
  } else if (after.state() == S::closed) {
    log_->info("http: '{}' answers again; circuit closed", host);
  } else {
    log_->debug("http: '{}': circuit {} -> {}", host, state_name(before), state_name(after.state()));
  }
}

}  // namespace edgegw::gateway
