// gateway/mqtt/ingress.h — the Paho message callback: one journal append, a wake-up.
//
// Runs on Paho's receive thread, which also carries the other link's PUBACKs
// and pings: it never blocks beyond one write() (plus fdatasync with
// buffer.sync: full). Paho sends the PUBACK as soon as this returns, so the
// record must be in the journal first; if the append fails the process exits
// at once, before the PUBACK, and the broker redelivers to the restarted
// gateway. Before that, on ENOSPC, it gives back the disk reserve once
// (disk_guard.h) and tries again: what a broker still sends after intake is
// held must not cost a restart.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "gateway/base/event_fd.h"
#include "gateway/journal/journal.h"
#include "gateway/base/metrics.h"
#include "gateway/mqtt/mqtt_link.h"

namespace edgegw::gateway {

class Ingress : public IngressSink {
 public:
  Ingress(Journal& journal, EventFd& wake, Metrics& metrics, uint64_t max_payload, std::shared_ptr<spdlog::logger> log)
      : journal_(journal), wake_(wake), metrics_(metrics), max_payload_(max_payload), log_(std::move(log)) {}

  void on_message(Link link, const mqtt::message& msg) override;
  // Releases the disk reserve; returns the bytes freed. Called on Paho's
  // thread; set before the links connect.
  void set_release_reserve(std::function<uint64_t()> f) { release_reserve_ = std::move(f); }

 private:
  Journal& journal_;
  EventFd& wake_;
  Metrics& metrics_;
  uint64_t max_payload_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<int64_t> last_oversize_log_ms_{0};
  std::function<uint64_t()> release_reserve_;
};

}  // namespace edgegw::gateway
