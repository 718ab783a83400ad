#include "gateway/observe/service_notifier.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace edgegw::gateway {
namespace {

const char* local_state(const Metrics& m) {
  if (m.ingress_paused.load(std::memory_order_relaxed)) return "held down (journal backpressure)";
  return m.connected[0].load(std::memory_order_relaxed) ? "connected" : "down";
}

// The link states that STATUS reports, as one comparable value.
uint32_t pack_links(const Metrics& m) {
  return (m.connected[0].load(std::memory_order_relaxed) ? 1u : 0u) |
         (m.connected[1].load(std::memory_order_relaxed) ? 2u : 0u) |
         (m.ingress_paused.load(std::memory_order_relaxed) ? 4u : 0u);
}

}  // namespace

ServiceNotifier::ServiceNotifier(Send send, Duration watchdog_interval, bool has_upstream)
    : send_(std::move(send)), watchdog_interval_(watchdog_interval), has_upstream_(has_upstream) {}

ServiceNotifier ServiceNotifier::from_systemd(bool has_upstream) {
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is ours).
  if (sd_watchdog_enabled(0, &usec) <= 0) usec = 0;
  auto send = [](std::string_view text) { sd_notify(0, std::string(text).c_str()); };
  return ServiceNotifier(send, std::chrono::microseconds(usec), has_upstream);
}

MonoTime ServiceNotifier::next_due() const {
  if (!watchdog_enabled()) return MonoTime::max();
  return last_ping_ + watchdog_interval_ / 2;
}

void ServiceNotifier::on_loop(MonoTime now, const Metrics& metrics) {
  if (watchdog_enabled() && (!pinged_ || now >= next_due())) {
    send_("WATCHDOG=1");
    pinged_ = true;
    last_ping_ = now;
  }
  uint32_t links = pack_links(metrics);
  uint64_t level = has_upstream_ ? backlog_level(backlog_) : 0;
  if (status_sent_ && links == last_links_ && level == last_level_) return;
  status_sent_ = true;
  last_links_ = links;
  last_level_ = level;
  send_("STATUS=" + status_text(metrics, has_upstream_, backlog_));
}

std::string ServiceNotifier::status_text(const Metrics& metrics, bool has_upstream, uint64_t backlog) {
  std::string text = "local: ";
  text += local_state(metrics);
  if (!has_upstream) return text + "; upstream: none";
  text += "; upstream: ";
  text += metrics.connected[1].load(std::memory_order_relaxed) ? "connected" : "down";
  return text + "; backlog: " + std::to_string(backlog) + " rows";
}

uint64_t ServiceNotifier::backlog_level(uint64_t rows) {
  uint64_t level = 0;
  for (uint64_t t = 1; t <= rows; t *= 10) {
    level = t;
    if (t > UINT64_MAX / 10) break;
  }
  return level;
}

}  // namespace edgegw::gateway
