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
// Both are handed to the engine through take_poisoned(), which moves them
// to the dead letters in its next transaction.
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
  // row's created_ms (for the delivery latency); the caller removes it from
  // the outbox and calls on_removed() once that committed.
  bool on_acked(int64_t seq, int64_t& created_ms);
  void on_removed(const std::vector<int64_t>& seqs);
  // The client gave up on seq (disconnect, error): it is sent again.
  void on_failed(int64_t seq);
  // The broker refused seq for good (MQTT 5 reason code): it becomes a
  // poison row. Returns true if it was in flight.
  bool on_refused(int64_t seq, std::string reason);

  // Rows that must leave the queue for the dead letters, taken once; the
  // caller moves them and calls on_removed() once that committed.
  struct Poisoned {
    int64_t seq;
    std::string reason;
  };
  std::vector<Poisoned> take_poisoned() { return std::exchange(poisoned_, {}); }
  bool has_poisoned() const { return !poisoned_.empty(); }

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
  std::map<int64_t, InFlight> inflight_;    // handed to the client, no PUBACK yet
  std::set<int64_t> acked_;                 // PUBACK seen or poisoned, remove not committed yet
  std::vector<Poisoned> poisoned_;
  uint32_t max_packet_size_ = 0;
  int64_t cursor_[2] = {0, 0};              // last seq read, per priority
  std::vector<OutboxRow> page_;             // reused read buffer
};

}  // namespace edgegw::gateway
