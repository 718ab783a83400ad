#include "gateway/engine/forwarder.h"

#include <algorithm>
#include <iterator>

namespace edgegw::gateway {
namespace {
constexpr Priority kOrder[] = {Priority::high, Priority::normal};
int index_of(Priority p) { return static_cast<int>(p); }
}  // namespace

Forwarder::Forwarder(Link link, Outbox& outbox, Publisher& publisher, size_t max_inflight)
    : link_(link),
      outbox_(outbox),
      publisher_(publisher),
      configured_inflight_(std::max<size_t>(1, max_inflight)),
      max_inflight_(configured_inflight_) {}

void Forwarder::limit_window(size_t broker_receive_maximum) {
  max_inflight_ = std::clamp<size_t>(broker_receive_maximum, 1, configured_inflight_);
}

void Forwarder::rewind_to(int64_t seq, Priority p) {
  int64_t& c = cursor_[index_of(p)];
  c = std::min(c, seq - 1);
}

void Forwarder::on_connected(bool session_present, int64_t since_ms) {
  connected_ = true;
  connected_since_ms_ = since_ms;
  if (!session_present) {
    // The broker has no session: whatever Paho still held is gone with it.
    for (const auto& [seq, f] : inflight_) rewind_to(seq, f.priority);
    inflight_.clear();
  }
}

void Forwarder::on_disconnected() { connected_ = false; }

bool Forwarder::on_acked(int64_t seq, int64_t& created_ms) {
  auto it = inflight_.find(seq);
  if (it == inflight_.end()) return false;
  created_ms = it->second.created_ms;
  inflight_.erase(it);
  acked_.insert(seq);
  removing_.push_back(seq);
  return true;
}

Status Forwarder::write_removals(int64_t now_ms) {
  written_removes_ = written_poisoned_ = 0;
  for (int64_t seq : removing_) {
    if (auto s = outbox_.remove(seq); !s.ok()) return s;
  }
  for (const auto& p : poisoned_) {
    if (auto s = outbox_.deadletter(p.seq, p.reason, now_ms); !s.ok()) return s;
  }
  written_removes_ = removing_.size();
  written_poisoned_ = poisoned_.size();
  return Status();
}

Forwarder::Removed Forwarder::committed() {
  Removed out;
  const auto removes_end = removing_.begin() + static_cast<std::ptrdiff_t>(written_removes_);
  out.delivered.assign(removing_.begin(), removes_end);
  removing_.erase(removing_.begin(), removes_end);
  const auto poisoned_end = poisoned_.begin() + static_cast<std::ptrdiff_t>(written_poisoned_);
  out.deadlettered.assign(std::make_move_iterator(poisoned_.begin()), std::make_move_iterator(poisoned_end));
  poisoned_.erase(poisoned_.begin(), poisoned_end);
  written_removes_ = written_poisoned_ = 0;
  for (int64_t s : out.delivered) acked_.erase(s);
  for (const auto& p : out.deadlettered) acked_.erase(p.seq);
  return out;
}

void Forwarder::on_failed(int64_t seq) {
  auto it = inflight_.find(seq);
  if (it == inflight_.end()) return;
  rewind_to(seq, it->second.priority);
  inflight_.erase(it);
}

bool Forwarder::on_refused(int64_t seq, std::string reason) {
  auto it = inflight_.find(seq);
  if (it == inflight_.end()) return false;
  inflight_.erase(it);
  acked_.insert(seq);  // leaves the queue with the next commit, never sent again
  poisoned_.push_back({seq, std::move(reason)});
  return true;
}

Status Forwarder::pump() {
  if (!connected_) return Status();
  // An empty queue needs no read; the engine pumps both links on every turn,
  // and on most turns one of them has nothing queued.
  if (outbox_.size(link_) == 0) return Status();
  for (Priority p : kOrder) {
    bool full = false;
    if (auto s = pump_priority(p, full); !s.ok()) return s;
    if (full) break;
  }
  return Status();
}

Status Forwarder::pump_priority(Priority p, bool& full) {
  int64_t& cursor = cursor_[index_of(p)];
  while (inflight_.size() < max_inflight_) {
    size_t room = max_inflight_ - inflight_.size();
    page_.clear();
    if (auto s = outbox_.read(link_, p, cursor, std::max<size_t>(room, 16), page_); !s.ok()) return s;
    if (page_.empty()) return Status();
    for (auto& row : page_) {
      if (inflight_.size() >= max_inflight_) {
        full = true;
        return Status();
      }
      // Still with the client, or acknowledged and about to be removed.
      if (inflight_.count(row.seq) || acked_.count(row.seq)) {
        cursor = row.seq;
        continue;
      }
      row.replayed = row.replayed || row.created_ms < connected_since_ms_;
      if (max_packet_size_ > 0) {
        size_t bytes = publisher_.packet_size(row);
        if (bytes > max_packet_size_) {
          acked_.insert(row.seq);
          poisoned_.push_back({row.seq, "a " + std::to_string(bytes) +
                                            "-byte packet is above the broker's Maximum Packet Size of " +
                                            std::to_string(max_packet_size_)});
          cursor = row.seq;
          continue;
        }
      }
      if (!publisher_.send(row)) {
        full = true;  // the client cannot take more now; try again on the next pump
        return Status();
      }
      inflight_.emplace(row.seq, InFlight{p, row.created_ms});
      cursor = row.seq;
    }
  }
  full = true;
  return Status();
}

}  // namespace edgegw::gateway
