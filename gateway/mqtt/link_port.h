// gateway/mqtt/link_port.h — one MQTT link as the engine sees it: its
// connection's life (LinkControl, for the LinkSupervisor), its messages
// (Publisher, for the Forwarder), which link it is and where it connects to.
//
// Engine thread only, like its two halves. MqttLink is the real one; the
// engine loop's unit tests use a fake (tests/support/fake_link.h).
#pragma once

#include <string>

#include "core/event.h"
#include "gateway/mqtt/link_control.h"
#include "gateway/mqtt/publisher.h"

namespace edgegw::gateway {

class LinkPort : public Publisher, public LinkControl {
 public:
  virtual Link link() const = 0;
  // The broker's URI, for log lines.
  virtual const std::string& server_uri() const = 0;
};

}  // namespace edgegw::gateway
