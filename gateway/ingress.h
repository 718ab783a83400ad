// gateway/ingress.h — the Paho message callback: one journal append, a wake-up.
//
// Runs on Paho's receive thread, which also carries the other link's PUBACKs
// and pings: it never blocks beyond one write() (plus fdatasync with
// buffer.sync: full). Paho sends the PUBACK as soon as this returns, so the
// record must be in the journal first; if the append fails the process exits
// at once, before the PUBACK, and the broker redelivers to the restarted
// gateway.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <memory>

#include "gateway/event_fd.h"
#include "gateway/journal.h"
#include "gateway/metrics.h"
#include "gateway/mqtt_link.h"

namespace edgegw::gateway {

class Ingress : public IngressSink {
 public:
  Ingress(Journal& journal, EventFd& wake, Metrics& metrics, uint64_t max_payload, std::shared_ptr<spdlog::logger> log)
      : journal_(journal), wake_(wake), metrics_(metrics), max_payload_(max_payload), log_(std::move(log)) {}

  void on_message(Link link, const mqtt::message& msg) override;

 private:
  Journal& journal_;
  EventFd& wake_;
  Metrics& metrics_;
  uint64_t max_payload_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<int64_t> last_oversize_log_ms_{0};
};

}  // namespace edgegw::gateway
