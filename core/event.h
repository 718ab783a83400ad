// core/event.h — one MQTT message as the engine sees it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace edgegw {

namespace devices {
struct Device;
}

// Which broker a message came from or goes to.
enum class Link : uint8_t { local = 0, upstream = 1 };

inline std::string_view link_name(Link l) { return l == Link::local ? "local" : "upstream"; }

struct Event {
  std::string topic;    // as received
  std::string payload;  // raw bytes, never re-encoded when forwarded
  int qos = 0;
  bool retained = false;    // the retain flag as received
  Link link = Link::local;  // where it came from
  TimePoint received_at{};
  const devices::Device* device = nullptr;  // null if no profile matched
  uint64_t journal_seq = 0;                 // the ingress journal record it came from (0: none)
};

}  // namespace edgegw
