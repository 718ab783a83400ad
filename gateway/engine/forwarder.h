// gateway/engine/forwarder.h — drains one link's outbox queue in order.
//
// Rows are sent in seq order within a priority, high before normal, with at
// most `max_inflight` unacknowledged. A row is removed from the outbox only
// when its PUBACK arrived (the engine does the remove in its next
// transaction). Retransmission is done by exactly one layer: after a
// reconnect that found the session present, Paho resends what it still holds,
// so only rows whose delivery failed are sent again here; when the session is
// gone, or after a restart, every unacknowledged row is sent again.
//
// Poison rows never block the head of the queue: a row larger than the
// broker's Maximum Packet Size is not sent at all (the broker would drop
// the connection), and a row the broker refused with an MQTT 5 reason code
// (not authorized, topic invalid, packet too large...) is not sent again.
//
// The forwarder owns each row's whole ack lifecycle, in one place:
//   in flight (sent, no PUBACK) -> acked (on_acked) or poisoned (above)
//   -> written into the engine's open batch (write_removals: remove or
//      dead-letter) -> removed (committed(), once that batch committed).
// A row written into a batch that rolled back stays pending and is written
// into the next one, so each leaves the outbox exactly once. Until it is
// removed it is never offered again.
//
// Engine thread only; no locks.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gateway/store/outbox.h"
#include "gateway/mqtt/publisher.h"

namespace edgegw::gateway {

class Forwarder {
 public:
  Forwarder(Link link, Outbox& outbox, Publisher& publisher, size_t max_inflight);

  // `since_ms`: wall-clock time of this connection; rows created before it
  // waited through an outage and go out marked replayed.
  void on_connected(bool session_present, int64_t since_ms = 0);
  void on_disconnected();
  // The broker's Receive Maximum: more in flight would only wait in Paho's
  // internal queue, which drains far slower than the socket.
  void limit_window(size_t broker_receive_maximum);
  // The broker's Maximum Packet Size (0: none announced).
  void limit_packet_size(uint32_t broker_maximum_packet_size) { max_packet_size_ = broker_maximum_packet_size; }
  bool connected() const { return connected_; }

  // Sends rows until max_inflight are in flight or the queue is empty.
  // Call after every commit and after (re)connecting. Fails only when the
  // outbox cannot be read.
  Status pump();

  // The link acknowledged seq. Returns true if it was in flight, with the
  // row's created_ms (for the delivery latency); its removal is then
  // pending (write_removals).
  bool on_acked(int64_t seq, int64_t& created_ms);
  // The client gave up on seq (disconnect, error): it is sent again.
  void on_failed(int64_t seq);
  // The broker refused seq for good (MQTT 5 reason code): it becomes a
  // poison row. Returns true if it was in flight.
  bool on_refused(int64_t seq, std::string reason);

  struct Poisoned {
    int64_t seq;
    std::string reason;
  };
  // Acked rows and poison rows waiting to leave the outbox.
  bool removals_pending() const { return !removing_.empty() || !poisoned_.empty(); }
  const std::vector<Poisoned>& poisoned() const { return poisoned_; }

  // Inside the caller's open transaction (Outbox::begin): removes every
  // acked row and moves every poison row to the dead letters, stamped
  // `now_ms`. Fails as the outbox does; the caller rolls back, and the
  // rows stay pending for the next batch.
  Status write_removals(int64_t now_ms);
  // What the last write_removals() wrote, once its transaction committed:
  // those rows leave the forwarder for good and are returned (for metrics
  // and the dead-letter log line). Call exactly once per committed batch.
  struct Removed {
    std::vector<int64_t> delivered;
    std::vector<Poisoned> deadlettered;
  };
  Removed committed();

  size_t inflight() const { return inflight_.size(); }
  Link link() const { return link_; }

 private:
  Status pump_priority(Priority p, bool& full);
  void rewind_to(int64_t seq, Priority p);

  Link link_;
  Outbox& outbox_;
  Publisher& publisher_;
  size_t configured_inflight_;
  size_t max_inflight_;
  bool connected_ = false;
  int64_t connected_since_ms_ = 0;
  struct InFlight {
    Priority priority;
    int64_t created_ms;
  };
  std::map<int64_t, InFlight> inflight_;  // handed to the client, no PUBACK yet
  std::set<int64_t> acked_;               // PUBACK seen or poisoned, remove not committed yet
  std::vector<int64_t> removing_;         // acked: removed by the next batch
  std::vector<Poisoned> poisoned_;        // dead-lettered by the next batch
  size_t written_removes_ = 0;            // how many of each the last write_removals() wrote
  size_t written_poisoned_ = 0;
  uint32_t max_packet_size_ = 0;
  int64_t cursor_[2] = {0, 0};   // last seq read, per priority
  std::vector<OutboxRow> page_;  // reused read buffer
};

}  // namespace edgegw::gateway
