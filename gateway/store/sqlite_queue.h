// gateway/store/sqlite_queue.h — the message queue of outbox.db: table
// `outbox` (one row per message, by link and priority, deleted when its
// link acknowledged it) and table `counters` (the drop counters, persisted
// with the rows). It keeps the Outbox contract of outbox.h for the rows;
// SqliteOutbox adds the transaction and the journal position around it.
//
// - Writes join the open batch or are a transaction of their own
//   (sqlite_txn.h). Failures are Status values as the connection makes them
//   (sqlite_db.h).
// - stats() and counters() read memory: reload() loads them, every change
//   keeps them up to date, snapshot() and restore() follow the transaction
//   (they are exact again after a rollback, and after another process's
//   purge once the owner called reload()).
// - drop_oldest drops normal-priority rows before high ones, each oldest
//   (lowest seq) first: high rows are the ones the user marked as mattering.
// - expire() walks each queue from its head and stops at the first row young
//   enough. Rows enter in time order, so that is exact unless the wall clock
//   stepped back; then a row may stay longer than max_age (by at most the
//   step), never be dropped early.
//
// Threads: those of the connection.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "gateway/store/outbox.h"
#include "gateway/store/sqlite_db.h"
#include "gateway/store/sqlite_txn.h"

namespace edgegw::gateway {

class SqliteQueue {
 public:
  // Prepares its statements; the tables exist (SqliteOutbox's schema), and
  // for purge() the connection has the SQL function edgegw_topic_matches.
  // Borrows `db` and `txn`; both must outlive it. Call reload() next.
  static Result<std::unique_ptr<SqliteQueue>> open(sql::Db& db, SqliteTxn& txn, const OutboxLimits& limits);
  ~SqliteQueue();

  // As Outbox (outbox.h).
  Result<AppendResult> append(const OutboxRow& row, bool replace_latest);
  Status remove(int64_t seq);
  Status deadletter(int64_t seq, const std::string& reason, int64_t now_ms);
  Status read(Link link, Priority p, int64_t after_seq, size_t limit, std::vector<OutboxRow>& out);
  Result<uint64_t> expire(int64_t now_ms);
  LinkStats stats(Link link) const;
  uint64_t size(Link link) const { return state(link).stats.messages; }
  DropCounters counters(Link link) const { return state(link).counters; }

  // For `edgegw buffer purge`: removes the rows of `link` (all links if
  // nullopt) whose topic matches `topic_filter` (all if nullopt), in one
  // transaction, counting them as `purged`. Returns how many.
  Result<uint64_t> purge(std::optional<Link> link, const std::optional<std::string>& topic_filter);
  // For `edgegw buffer list`: up to `limit` rows in seq order, all priorities.
  Status list(std::optional<Link> link, size_t limit, std::vector<OutboxRow>& out);
  // The system clock was stepped by delta_ms: rows created between from_ms
  // and to_ms (the old clock) move with it. Returns the rows moved.
  Result<uint64_t> shift_created(int64_t from_ms, int64_t to_ms, int64_t delta_ms);

  // The figures in memory from the tables: one scan (at open, and after
  // another process changed them).
  Status reload();
  // The memory at begin(), and back to it after a rollback (sqlite_txn.h).
  void snapshot() { snapshot_ = links_; }
  void restore() { links_ = snapshot_; }

 private:
  struct LinkState {
    LinkStats stats;
    DropCounters counters;
    bool oldest_stale = false;  // rows left the head; recomputed on demand
  };
  using Links = std::array<LinkState, 2>;
  struct Statements {  // prepared once at open
    sql::Stmt insert, row_of, remove, to_deadletter, read, list;
    sql::Stmt latest_size, replace_latest, drop_oldest, first_young, delete_below, head_created, add_counters;
  };
  static constexpr int64_t kDeleteChunk = 1000;  // rows per bulk DELETE (expiry, purge)

  SqliteQueue(sql::Db& db, SqliteTxn& txn, const OutboxLimits& limits);
  Status reload_stats();
  Status reload_counters();
  void refresh_oldest(Link link) const;

  // Writes (sqlite_queue_write.cpp).
  Status append_locked(const OutboxRow& row, bool replace_latest, AppendResult& result);
  Status remove_locked(int64_t seq);
  Status insert_locked(const OutboxRow& row, AppendResult& result);
  // Steps a DELETE ... RETURNING (or a SELECT of) link, bytes, seq; updates the stats, counts
  // per link, and raises *max_seq to the highest seq deleted.
  Status delete_rows(sql::Run& run, std::array<uint64_t, 2>& counts, int64_t* max_seq = nullptr);
  Status drop_for(Link link, uint64_t bytes, AppendResult& result);
  Status add_counters(Link link, const DropCounters& delta);
  Result<uint64_t> expire_queue(Link link, Priority p, int64_t cutoff_ms);

  LinkState& state(Link link) { return links_[static_cast<size_t>(link)]; }
  const LinkState& state(Link link) const { return links_[static_cast<size_t>(link)]; }

  sql::Db& db_;
  SqliteTxn& txn_;
  const OutboxLimits limits_;
  std::unique_ptr<Statements> stmts_;
  mutable Links links_;  // mutable: the lazily recomputed oldest row
  Links snapshot_;
};

}  // namespace edgegw::gateway
