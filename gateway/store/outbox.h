// gateway/store/outbox.h — the durable queue of messages bound for a link.
//
// Contract (design.md, Delivery):
// - A row gets a `seq` from a counter that is never reused, even after the
//   queue drains (`<gateway id>:<seq>` is the upstream idempotency key).
// - A row leaves only through remove() (its PUBACK arrived), expire()
//   (older than max_age), the when_full policy, or an explicit purge.
// - Each link is its own queue with its own limits (the buffer limits apply
//   per link).
// - Single writer: the engine thread. Appends, removes and the journal
//   position reached are grouped into one transaction by begin()/commit().
// - read() never loads the whole backlog: it pages by seq.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "core/status.h"
#include "rules/route_spec.h"

namespace edgegw::gateway {

using rules::Priority;

enum class WhenFull { drop_oldest, reject_new };

struct OutboxLimits {
  uint64_t max_messages = 1'000'000;  // per link
  uint64_t max_bytes = 512ull << 20;  // per link, topic + payload bytes
  Duration max_age = std::chrono::hours(24 * 7);
  WhenFull when_full = WhenFull::drop_oldest;
};

struct OutboxRow {
  int64_t seq = 0;  // assigned by append()
  Link link = Link::upstream;
  std::string topic;
  std::string payload;  // byte-exact
  int qos = 1;
  bool retain = false;
  Priority priority = Priority::normal;
  bool latest_only = false;  // route with while_offline: latest_only
  bool replayed = false;     // appended while the link was down
  int64_t created_ms = 0;    // wall-clock unix ms at append
};

struct AppendResult {
  bool stored = false;          // false: rejected (reject_new on a full queue)
  int64_t seq = 0;              // when stored
  uint64_t dropped_oldest = 0;  // rows dropped to make room (drop_oldest)
  uint64_t replaced = 0;        // older latest_only rows of the same topic removed
};

struct LinkStats {
  uint64_t messages = 0;
  uint64_t bytes = 0;
  int64_t oldest_created_ms = 0;  // 0 when empty
};

// Cumulative drop counters, persisted with the rows.
struct DropCounters {
  uint64_t dropped_full = 0;   // drop_oldest removed a row
  uint64_t rejected_full = 0;  // reject_new refused a row
  uint64_t expired = 0;        // older than max_age
  uint64_t purged = 0;         // `edgegw buffer purge`
};

class Outbox {
 public:
  virtual ~Outbox() = default;

  // A batch: every change between begin() and commit() lands atomically.
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;

  // Appends a row, applying the link's limits. With `replace_latest`, older
  // rows of the same link and topic marked latest_only are removed first.
  virtual Result<AppendResult> append(OutboxRow row, bool replace_latest) = 0;
  // The link acknowledged the row. Removing an unknown seq is not an error.
  virtual Status remove(int64_t seq) = 0;
  // The link refused the row for good (a poison row): it moves to the dead
  // letters (kind 'mqtt', with `reason`) and leaves the queue. An unknown
  // seq is not an error.
  virtual Status deadletter(int64_t seq, const std::string& reason, int64_t now_ms) = 0;
  // Up to `limit` rows of `link` and priority `p` with seq > after_seq, in seq order.
  virtual Status read(Link link, Priority p, int64_t after_seq, size_t limit, std::vector<OutboxRow>& out) = 0;
  // Removes rows created before now_ms - max_age; returns how many.
  virtual Result<uint64_t> expire(int64_t now_ms) = 0;

  virtual LinkStats stats(Link link) const = 0;
  // The rows of `link` in the queue, as stats().messages, without the
  // query stats() may run for the oldest row: for the forwarder's every turn.
  virtual uint64_t size(Link link) const = 0;
  virtual DropCounters counters(Link link) const = 0;

  // The last ingress journal sequence whose effects are committed (0: none).
  virtual uint64_t journal_position() const = 0;
  virtual Status set_journal_position(uint64_t seq) = 0;

  // Housekeeping the engine calls on its tick; no-ops for stores without a
  // WAL or other writers. checkpoint() returns true when every commit so far
  // is durable on disk, so journal segments behind journal_position() may
  // be deleted; false when a reader held it back (try again next tick).
  virtual Result<bool> checkpoint() { return true; }
  // Reloads stats() and counters() if another process (`edgegw buffer
  // purge`) changed the store; cheap when nothing changed.
  virtual Status refresh_if_changed() { return Status(); }
};

}  // namespace edgegw::gateway
