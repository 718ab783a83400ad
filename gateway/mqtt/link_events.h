// gateway/mqtt/link_events.h — what the MQTT links report to the engine thread.
//
// Paho calls back on its own thread; those callbacks only push one of these
// onto the LinkEventQueue (a short mutex, no I/O) and wake the engine. So
// does a link's TLS probe thread (TlsProbed).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "core/event.h"
#include "gateway/base/event_fd.h"
#include "gateway/mqtt/tls_probe.h"

namespace edgegw::gateway {

struct Connected {
  Link link;
  bool session_present;
  int receive_maximum = 65535;       // MQTT 5 CONNACK Receive Maximum (65535 when absent)
  uint32_t maximum_packet_size = 0;  // MQTT 5 CONNACK Maximum Packet Size (0: none announced)
  // The first connect of a new Paho client (MqttLink::connect): Paho resends
  // nothing, whatever the session, so every row in flight is sent again.
  bool new_client = false;
};
struct ConnectFailed {
  Link link;
  std::string reason;
};
struct ConnectionLost {
  Link link;
  std::string reason;
};
struct Subscribed {
  Link link;
  bool ok;
  std::string detail;
};
struct Unsubscribed {  // one per filter: its UNSUBACK, or the failure to send it
  Link link;
  std::string filter;
  bool ok;  // MQTT 5 "no subscription existed" counts as ok
  std::string detail;
};
struct Delivered {  // PUBACK (QoS 1/2) or sent (QoS 0)
  Link link;
  int64_t seq;
};
struct DeliveryFailed {
  Link link;
  int64_t seq;
  std::string reason;
  int reason_code = 0;  // MQTT 5 PUBACK reason code (>= 0x80: the broker refused the message)
};

struct TlsProbed {  // from the link's TLS probe thread, after a ConnectFailed
  Link link;
  TlsProbeResult result;
};

using LinkEvent = std::variant<Connected, ConnectFailed, ConnectionLost, Subscribed, Unsubscribed, Delivered,
                               DeliveryFailed, TlsProbed>;

// Many producers (Paho's threads, the TLS probes), one consumer (the engine thread).
class LinkEventQueue {
 public:
  explicit LinkEventQueue(EventFd& wake) : wake_(wake) {}

  void push(LinkEvent e) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      items_.push_back(std::move(e));
    }
    wake_.notify();
  }

  // Engine thread: moves everything queued into `out` (cleared first).
  void take_all(std::vector<LinkEvent>& out) {
    out.clear();
    std::lock_guard<std::mutex> lock(mu_);
    out.swap(items_);
  }

 private:
  EventFd& wake_;
  std::mutex mu_;
  std::vector<LinkEvent> items_;
};

}  // namespace edgegw::gateway
