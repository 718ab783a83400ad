#include "gateway/mqtt/ingress.h"

#include <mqtt/message.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdlib>

namespace edgegw::gateway {

void Ingress::on_message(Link link, const mqtt::message& msg) {
  const auto& payload = msg.get_payload_ref();
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  if (payload.size() > max_payload_) {
    Metrics::add(metrics_.dropped_oversize);
    // Rate-limited: one line a minute at most.
    int64_t last = last_oversize_log_ms_.load(std::memory_order_relaxed);
    if (now_ms - last > 60'000 && last_oversize_log_ms_.compare_exchange_strong(last, now_ms)) {
      log_->warn("ingress: dropped a {}-byte message on '{}': above gateway.max_payload ({} bytes)", payload.size(),
                 msg.get_topic(), max_payload_);
    }
    return;
  }
  const std::string_view topic = msg.get_topic_ref().str();
  const std::string_view bytes(payload.data(), payload.size());
  auto r = journal_.append(link, topic, bytes, msg.get_qos(), msg.is_retained(), now_ms);
  if (!r.ok() && r.status().detail() == std::strerror(ENOSPC) && release_reserve_) {
    if (const uint64_t freed = release_reserve_(); freed > 0) {
      log_->warn("journal: the disk is full; released the {}-byte reserve to keep what the broker still sends", freed);
      r = journal_.append(link, topic, bytes, msg.get_qos(), msg.is_retained(), now_ms);
    }
  }
  if (!r.ok()) {
    // No PUBACK must go out for a message we could not keep: exit before
    // returning to Paho. systemd restarts us; the broker redelivers.
    log_->critical("journal: append failed, exiting so the broker redelivers: {}", r.status().message());
    log_->flush();
    std::_Exit(75);
  }
  Metrics::add(metrics_.received[static_cast<int>(link)]);
  wake_.notify();
}

}  // namespace edgegw::gateway
