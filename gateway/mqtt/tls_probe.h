// gateway/mqtt/tls_probe.h — why a TLS connection to a broker fails, in words.
//
// Paho C 1.3 reports every refused TLS connect as "return code -1 (Failure)":
// it checks the host name itself after the handshake and passes OpenSSL's
// reason to no one but an ssl error handler (which crashed Paho's thread when
// tried). So after a failed connect the link makes one connection of its own
// with OpenSSL and the same settings, and reads the reason from the handshake:
// "certificate verify failed: certificate has expired (notAfter ...)".
//
// No Paho types here: a test drives probe_tls() against any TLS server.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.h"

namespace edgegw::gateway {

struct TlsTarget {
  std::string host;  // DNS name or IP literal (IPv6 without brackets); also the SNI name
  int port = 0;
  std::string ca_file, cert_file, key_file;  // "" = none (the CA: OpenSSL's default trust store)
  bool verify = true;                        // the chain, the dates and the host name, as the link does
};

enum class TlsProbeOutcome {
  ok,         // the handshake succeeded (the failure was elsewhere, or has gone)
  network,    // name resolution, TCP connect, or a timeout
  handshake,  // the TLS handshake failed for a reason other than the certificate
  verify,     // the broker's certificate was refused: an operator must act
};

struct TlsProbeResult {
  TlsProbeOutcome outcome = TlsProbeOutcome::ok;
  std::string reason;  // "" when ok; else "connection refused", "certificate verify failed: ..."
  bool operator==(const TlsProbeResult&) const = default;
};

// Connects to target.host:port and runs a TLS handshake as the link would:
// SNI, the CA file, the client certificate and key if set, and with `verify`
// the chain and the host name (SSL_set1_host, or the IP for an IP literal).
// Blocking; any thread but Paho's. Gives up after `timeout` (TCP connect and
// handshake together), or within 100 ms of `*cancel` turning true. Name
// resolution (getaddrinfo) is not bounded by it: the resolver's own timeouts
// apply. Never throws.
TlsProbeResult probe_tls(const TlsTarget& target, Duration timeout, const std::atomic<bool>* cancel = nullptr);

// Runs probe_tls() on a thread of its own, at most one at a time, and hands
// the result to `done` on that thread (so `done` must only queue it).
// start() and the destructor are for one owner thread.
class TlsProber {
 public:
  using Done = std::function<void(TlsProbeResult)>;
  TlsProber(TlsTarget target, Duration timeout, Done done);
  // Cancels a running probe and joins it (within ~100 ms). A probe stuck in
  // name resolution for more than 2 s is left to finish on its own, and its
  // result is dropped: shutdown does not wait for the resolver.
  ~TlsProber();
  TlsProber(const TlsProber&) = delete;
  TlsProber& operator=(const TlsProber&) = delete;

  // Starts a probe; false (and nothing started) if one is still running.
  bool start();

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

// Whether to log a reason now: a new reason at once, the same one again only
// after `every`. Not thread-safe: one owner.
class ReasonLimiter {
 public:
  explicit ReasonLimiter(Duration every) : every_(every) {}
  bool should_log(const std::string& reason, MonoTime now) {
    if (!last_.empty() && reason == last_ && now - logged_at_ < every_) return false;
    last_ = reason;
    logged_at_ = now;
    return true;
  }
  // After a success: the next reason is news, whatever it is.
  void reset() { last_.clear(); }
  const std::string& last() const { return last_; }

 private:
  Duration every_;
  std::string last_;  // the last reason logged; "" after reset()
  MonoTime logged_at_{};
};

}  // namespace edgegw::gateway
