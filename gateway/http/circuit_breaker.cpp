// gateway/http/circuit_breaker.cpp — see circuit_breaker.h.
#include "gateway/http/circuit_breaker.h"

#include <algorithm>
#include <cctype>

namespace edgegw::gateway {

bool CircuitBreaker::allow(MonoTime now) {
  switch (state_) {
    case State::closed: return true;
    case State::open:
      if (now < open_until_) return false;
      state_ = State::half_open;
      trial_out_ = true;
      return true;
    case State::half_open:
      if (trial_out_) return false;
      trial_out_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::on_success() {
  state_ = State::closed;
  failures_ = 0;
  trial_out_ = false;
}

void CircuitBreaker::on_failure(MonoTime now) {
  trial_out_ = false;
  if (state_ == State::closed && ++failures_ < kFailuresToOpen) return;
  // The fifth failure in a row, a failed trial, or a late failure of a call
  // that started before the breaker opened: (re)open for the full period.
  state_ = State::open;
  failures_ = 0;
  open_until_ = now + kOpenFor;
}

std::optional<MonoTime> CircuitBreaker::reopens_at() const {
  if (state_ != State::open) return std::nullopt;
  return open_until_;
}

std::optional<MonoTime> CircuitBreakers::next_reopen() const {
  std::optional<MonoTime> next;
  for (const auto& [host, b] : by_host_) {
    if (auto t = b.reopens_at()) next = next ? std::min(*next, *t) : *t;
  }
  return next;
}

std::string host_key(std::string_view url) {
  std::string scheme = "http";
  if (auto p = url.find("://"); p != std::string_view::npos) {
    scheme = std::string(url.substr(0, p));
    url.remove_prefix(p + 3);
  }
  url = url.substr(0, url.find_first_of("/?#"));
  if (auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);  // user:pass@
  std::string host(url);
  std::string port;
  // The port follows the last ':' unless that ':' is inside an IPv6 literal.
  if (auto c = host.rfind(':'); c != std::string::npos && host.find(']', c) == std::string::npos) {
    port = host.substr(c + 1);
    host.resize(c);
  }
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
    return s;
  };
  scheme = lower(scheme);
  if (port.empty()) port = scheme == "https" ? "443" : "80";
  return scheme + "://" + lower(host) + ":" + port;
}

Duration retry_delay(int failed_attempts, Duration base, Duration cap, double unit_random) {
  Duration d = base;
  for (int i = 1; i < failed_attempts && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  double jitter = 0.75 + 0.25 * std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::duration_cast<Duration>(d * jitter);
}

}  // namespace edgegw::gateway
