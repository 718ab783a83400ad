// gateway/mqtt/publisher.h — what the forwarder needs from a link.
#pragma once

#include "gateway/store/outbox.h"

namespace edgegw::gateway {

class Publisher {
 public:
  virtual ~Publisher() = default;
  // Engine thread. Hands the row to the MQTT client without waiting. The
  // outcome arrives later through Forwarder::on_acked / on_failed. Returns
  // false when the client cannot take it now (not connected, buffer full);
  // the row stays in the outbox and is offered again later.
  virtual bool send(const OutboxRow& row) = 0;
  // The bytes of the PUBLISH packet send() would write for `row`, to hold
  // it against the broker's Maximum Packet Size.
  virtual size_t packet_size(const OutboxRow& row) const = 0;
};

}  // namespace edgegw::gateway
