// tests/support/memory_outbox.h — an Outbox in memory, for tests of the code
// that uses one (engine, forwarder). tests/unit/test_outbox.cpp runs the
// same contract suite on it and on SqliteOutbox, so the two cannot drift:
// limits, drop order (normal before high, oldest first), latest_only
// replacement, expiry from each queue's head, and the transaction rules
// (a failed write inside a batch rolls the whole batch back; later calls
// fail until commit() or rollback()).
//
// Extra for tests: fail_next_write() makes the next write fail, as a full
// disk would. Not thread-safe, like the real one.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/store/outbox.h"

namespace edgegw::testing {

using gateway::AppendResult;
using gateway::DropCounters;
using gateway::LinkStats;
using gateway::OutboxLimits;
using gateway::OutboxRow;
using gateway::Priority;
using gateway::WhenFull;

class MemoryOutbox final : public gateway::Outbox {
 public:
  explicit MemoryOutbox(OutboxLimits limits = {}) : limits_(limits) {}

  void set_limits(OutboxLimits limits) { limits_ = limits; }
  // The next write (append, remove, expire, set_journal_position) fails with `error`.
  void fail_next_write(Status error) { injected_ = std::move(error); }
  size_t size() const { return data_.rows.size(); }

  Status begin() override {
    if (in_txn_) return Status::error("memory outbox", "begin() inside a transaction");
    in_txn_ = true;
    snapshot_ = data_;
    return Status();
  }
  Status commit() override {
    if (!in_txn_) return Status::error("memory outbox", "commit() without begin()");
    in_txn_ = false;
    if (!txn_error_.ok()) return std::exchange(txn_error_, Status());
    return Status();
  }
  void rollback() override {
    if (!in_txn_) return;
    if (txn_error_.ok()) data_ = snapshot_;
    in_txn_ = false;
    txn_error_ = Status();
  }

  Result<AppendResult> append(OutboxRow row, bool replace_latest) override {
    AppendResult result;
    Status s = write([&] { append_now(std::move(row), replace_latest, result); });
    if (!s.ok()) return s;
    return result;
  }

  Status remove(int64_t seq) override {
    return write([&] { erase(data_.rows.find(seq)); });
  }

  struct DeadLetter {
    OutboxRow row;
    std::string reason;
  };
  Status deadletter(int64_t seq, const std::string& reason, int64_t) override {
    return write([&] {
      auto it = data_.rows.find(seq);
      if (it == data_.rows.end()) return;
      data_.dead.push_back({it->second, reason});
      erase(it);
    });
  }
  const std::vector<DeadLetter>& dead() const { return data_.dead; }

  Status read(Link link, Priority p, int64_t after_seq, size_t limit, std::vector<OutboxRow>& out) override {
    ++reads;
    size_t n = 0;
    for (auto it = data_.rows.upper_bound(after_seq); it != data_.rows.end() && n < limit; ++it) {
      if (it->second.link != link || it->second.priority != p) continue;
      out.push_back(it->second);
      ++n;
    }
    return Status();
  }

  Result<uint64_t> expire(int64_t now_ms) override {
    auto max_age = std::chrono::duration_cast<std::chrono::milliseconds>(limits_.max_age).count();
    if (max_age <= 0) return uint64_t{0};
    uint64_t total = 0;
    Status s = write([&] { total = expire_now(now_ms - max_age); });
    if (!s.ok()) return s;
    return total;
  }

  uint64_t size(Link link) const override { return data_.messages[index(link)]; }
  LinkStats stats(Link link) const override {
    LinkStats st;
    st.messages = data_.messages[index(link)];
    st.bytes = data_.bytes[index(link)];
    // The oldest row is the older of the two queue heads.
    std::array<bool, 2> head_seen{};
    for (auto it = data_.rows.begin(); it != data_.rows.end() && !(head_seen[0] && head_seen[1]); ++it) {
      const OutboxRow& r = it->second;
      if (r.link != link || head_seen[static_cast<size_t>(r.priority)]) continue;
      bool first = !head_seen[0] && !head_seen[1];
      st.oldest_created_ms = first ? r.created_ms : std::min(st.oldest_created_ms, r.created_ms);
      head_seen[static_cast<size_t>(r.priority)] = true;
    }
    return st;
  }
  DropCounters counters(Link link) const override { return data_.counters[index(link)]; }

  uint64_t journal_position() const override { return data_.journal_position; }
  Status set_journal_position(uint64_t seq) override {
    return write([&] { data_.journal_position = seq; });
  }

  size_t reads = 0;  // read() calls, for tests of who reads when

 private:
  struct Data {
    std::map<int64_t, OutboxRow> rows;
    std::vector<DeadLetter> dead;
    std::array<DropCounters, 2> counters{};
    std::array<uint64_t, 2> messages{};
    std::array<uint64_t, 2> bytes{};
    int64_t last_seq = 0;
    uint64_t journal_position = 0;
  };

  static size_t index(Link l) { return static_cast<size_t>(l); }

  // One write with the transaction rules of SqliteOutbox.
  template <class F>
  Status write(F&& change) {
    if (!txn_error_.ok()) return txn_error_;
    if (!injected_.ok()) {
      Status error = std::exchange(injected_, Status());
      if (in_txn_) {
        data_ = snapshot_;
        txn_error_ = error;
      }
      return error;
    }
    change();
    return Status();
  }

  static uint64_t size_of(const OutboxRow& r) { return r.topic.size() + r.payload.size(); }

  // Erases the row at `it` (end(): nothing) and returns the next position.
  std::map<int64_t, OutboxRow>::iterator erase(std::map<int64_t, OutboxRow>::iterator it) {
    if (it == data_.rows.end()) return it;
    data_.messages[index(it->second.link)] -= 1;
    data_.bytes[index(it->second.link)] -= size_of(it->second);
    return data_.rows.erase(it);
  }

  bool fits(Link link, uint64_t bytes) const {
    return data_.messages[index(link)] + 1 <= limits_.max_messages &&
           data_.bytes[index(link)] + bytes <= limits_.max_bytes;
  }

  void append_now(OutboxRow row, bool replace_latest, AppendResult& result) {
    const Link link = row.link;
    const uint64_t bytes = size_of(row);
    std::vector<int64_t> replaced;
    uint64_t freed_bytes = 0;
    for (const auto& [seq, r] : data_.rows) {
      if (!replace_latest || !row.latest_only) break;
      if (!r.latest_only || r.link != link || r.topic != row.topic) continue;
      replaced.push_back(seq);
      freed_bytes += size_of(r);
    }
    bool fits_after = data_.messages[index(link)] - replaced.size() + 1 <= limits_.max_messages &&
                      data_.bytes[index(link)] - freed_bytes + bytes <= limits_.max_bytes;
    if (bytes > limits_.max_bytes || limits_.max_messages == 0 ||
        (!fits_after && limits_.when_full == WhenFull::reject_new)) {
      ++data_.counters[index(link)].rejected_full;
      return;
    }
    for (int64_t seq : replaced) erase(data_.rows.find(seq));
    result.replaced = replaced.size();
    for (Priority p : {Priority::normal, Priority::high}) {
      for (auto it = data_.rows.begin(); it != data_.rows.end() && !fits(link, bytes);) {
        bool match = it->second.link == link && it->second.priority == p;
        it = match ? erase(it) : std::next(it);
        result.dropped_oldest += match ? 1 : 0;
      }
    }
    data_.counters[index(link)].dropped_full += result.dropped_oldest;
    row.seq = ++data_.last_seq;
    result.stored = true;
    result.seq = row.seq;
    data_.messages[index(link)] += 1;
    data_.bytes[index(link)] += bytes;
    data_.rows.emplace(row.seq, std::move(row));
  }

  // From each queue's head up to its first row created at or after the cutoff.
  uint64_t expire_now(int64_t cutoff_ms) {
    uint64_t total = 0;
    for (Link link : {Link::local, Link::upstream}) {
      for (Priority p : {Priority::normal, Priority::high}) {
        for (auto it = data_.rows.begin(); it != data_.rows.end();) {
          if (it->second.link != link || it->second.priority != p) {
            ++it;
            continue;
          }
          if (it->second.created_ms >= cutoff_ms) break;
          it = erase(it);
          ++data_.counters[index(link)].expired;
          ++total;
        }
      }
    }
    return total;
  }

  OutboxLimits limits_;
  Data data_;
  Data snapshot_;
  bool in_txn_ = false;
  Status txn_error_;  // a write failed inside the batch: already rolled back
  Status injected_;
};

}  // namespace edgegw::testing
