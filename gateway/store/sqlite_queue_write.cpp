// gateway/store/sqlite_queue_write.cpp — SqliteQueue's writes: append with
// the link's limits, remove, dead-lettering and expiry (see sqlite_queue.h).
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>

#include "gateway/store/sqlite_queue.h"

namespace edgegw::gateway {

namespace {

int64_t as_int(Link l) { return static_cast<int64_t>(l); }
int64_t as_int(Priority p) { return static_cast<int64_t>(p); }
uint64_t row_bytes(const OutboxRow& r) { return r.topic.size() + r.payload.size(); }

}  // namespace

// ---- writes -----------------------------------------------------------------

Status SqliteQueue::delete_rows(sql::Run& run, std::array<uint64_t, 2>& counts, int64_t* max_seq) {
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) {
    if (max_seq) *max_seq = std::max(*max_seq, run.int64(2));
    int64_t link = run.int64(0);
    if (link != 0 && link != 1) continue;
    LinkState& ls = links_[static_cast<size_t>(link)];
    ls.stats.messages -= std::min<uint64_t>(ls.stats.messages, 1);
    ls.stats.bytes -= std::min(ls.stats.bytes, static_cast<uint64_t>(run.int64(1)));
    ls.oldest_stale = ls.stats.messages > 0;
    if (ls.stats.messages == 0) ls.stats.oldest_created_ms = 0;
    ++counts[static_cast<size_t>(link)];
  }
  return run.status(rc);
}

Status SqliteQueue::add_counters(Link link, const DropCounters& d) {
  sql::Run run = stmts_->add_counters.run();
  run.bind(1, as_int(link)).bind(2, static_cast<int64_t>(d.dropped_full));
  run.bind(3, static_cast<int64_t>(d.rejected_full)).bind(4, static_cast<int64_t>(d.expired));
  run.bind(5, static_cast<int64_t>(d.purged));
  if (Status s = run.run_to_done(); !s.ok()) return s;
  DropCounters& c = state(link).counters;
  c.dropped_full += d.dropped_full;
  c.rejected_full += d.rejected_full;
  c.expired += d.expired;
  c.purged += d.purged;
  return Status();
}

// Drops the link's oldest rows, normal priority first, until `bytes` more fit.
Status SqliteQueue::drop_for(Link link, uint64_t bytes, AppendResult& result) {
  const OutboxLimits& lim = limits_;
  const LinkStats& st = state(link).stats;
  auto fits = [&] { return st.messages + 1 <= lim.max_messages && st.bytes + bytes <= lim.max_bytes; };
  std::array<uint64_t, 2> counts{};
  while (!fits()) {
    uint64_t want = st.messages + 1 > lim.max_messages ? st.messages + 1 - lim.max_messages : 1;
    uint64_t before = counts[static_cast<size_t>(link)];
    for (Priority p : {Priority::normal, Priority::high}) {
      sql::Run run = stmts_->drop_oldest.run();
      run.bind(1, as_int(link)).bind(2, as_int(p)).bind(3, static_cast<int64_t>(want));
      if (Status s = delete_rows(run, counts); !s.ok()) return s;
      if (counts[static_cast<size_t>(link)] > before) break;
    }
    if (counts[static_cast<size_t>(link)] == before) break;  // empty; the caller checked the row fits alone
  }
  result.dropped_oldest = counts[static_cast<size_t>(link)];
  DropCounters delta;
  delta.dropped_full = result.dropped_oldest;
  return result.dropped_oldest ? add_counters(link, delta) : Status();
}

Status SqliteQueue::append_locked(const OutboxRow& row, bool replace_latest, AppendResult& result) {
  const OutboxLimits& lim = limits_;
  const uint64_t bytes = row_bytes(row);
  const LinkStats& st = state(row.link).stats;
  bool replace = replace_latest && row.latest_only;
  // What replacing would free, learned before deleting: a rejected row must
  // not take its predecessor with it.
  uint64_t freed_rows = 0, freed_bytes = 0;
  if (replace) {
    sql::Run run = stmts_->latest_size.run();
    run.bind(1, as_int(row.link)).bind_text(2, row.topic);
    int rc = run.step();
    if (rc != SQLITE_ROW) return run.status(rc);
    freed_rows = static_cast<uint64_t>(run.int64(0));
    freed_bytes = static_cast<uint64_t>(run.int64(1));
  }
  bool fits = st.messages - freed_rows + 1 <= lim.max_messages && st.bytes - freed_bytes + bytes <= lim.max_bytes;
  bool too_big = bytes > lim.max_bytes || lim.max_messages == 0;
  if (too_big || (!fits && lim.when_full == WhenFull::reject_new)) {
    DropCounters delta;
    delta.rejected_full = 1;
    return add_counters(row.link, delta);
  }
  if (replace && freed_rows > 0) {
    std::array<uint64_t, 2> counts{};
    sql::Run run = stmts_->replace_latest.run();
    run.bind(1, as_int(row.link)).bind_text(2, row.topic);
    if (Status s = delete_rows(run, counts); !s.ok()) return s;
    result.replaced = counts[static_cast<size_t>(row.link)];
  }
  if (Status s = drop_for(row.link, bytes, result); !s.ok()) return s;
  return insert_locked(row, result);
}

Status SqliteQueue::insert_locked(const OutboxRow& row, AppendResult& result) {
  sql::Run run = stmts_->insert.run();
  run.bind(1, as_int(row.link)).bind(2, as_int(row.priority)).bind_text(3, row.topic);
  run.bind_blob(4, row.payload).bind(5, row.qos).bind(6, row.retain).bind(7, row.latest_only);
  run.bind(8, row.replayed).bind(9, row.created_ms);
  if (Status s = run.run_to_done(); !s.ok()) return s;
  result.stored = true;
  result.seq = sqlite3_last_insert_rowid(db_.handle());
  LinkState& ls = state(row.link);
  ls.stats.oldest_created_ms =
      ls.stats.messages == 0 ? row.created_ms : std::min(ls.stats.oldest_created_ms, row.created_ms);
  ls.stats.messages += 1;
  ls.stats.bytes += row_bytes(row);
  return Status();
}

Result<AppendResult> SqliteQueue::append(const OutboxRow& row, bool replace_latest) {
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  AppendResult result;
  Status s = txn_.finish_write(own, append_locked(row, replace_latest, result));
  if (!s.ok()) return s;
  return result;
}

Status SqliteQueue::remove(int64_t seq) {
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  return txn_.finish_write(own, remove_locked(seq));
}

// The row's size first (delete_rows counts what the SELECT returns), then
// the DELETE; a row that is gone already (expired, purged) counts nothing.
Status SqliteQueue::remove_locked(int64_t seq) {
  std::array<uint64_t, 2> counts{};
  {
    sql::Run run = stmts_->row_of.run();
    run.bind(1, seq);
    if (Status s = delete_rows(run, counts); !s.ok()) return s;
  }
  sql::Run run = stmts_->remove.run();
  run.bind(1, seq);
  return run.run_to_done();
}

Status SqliteQueue::deadletter(int64_t seq, const std::string& reason, int64_t now_ms) {
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  Status s;
  {
    sql::Run run = stmts_->to_deadletter.run();
    run.bind(1, seq).bind_text(2, reason).bind(3, now_ms);
    s = run.run_to_done();
  }
  if (s.ok()) s = remove_locked(seq);
  return txn_.finish_write(own, std::move(s));
}

// ---- expiry -------------------------------------------------------------------

// Deletes the queue's head rows up to its first row created at or after the
// cutoff. Both statements walk the queue index, so the cost is the number
// of rows expired, not the backlog; deleting in chunks bounds what
// RETURNING holds when a long outage expires at once.
Result<uint64_t> SqliteQueue::expire_queue(Link link, Priority p, int64_t cutoff_ms) {
  int64_t bound = INT64_MAX;
  {
    sql::Run run = stmts_->first_young.run();
    run.bind(1, as_int(link)).bind(2, as_int(p)).bind(3, cutoff_ms);
    int rc = run.step();
    if (rc == SQLITE_ROW)
      bound = run.int64(0);
    else if (rc != SQLITE_DONE)
      return run.status(rc);
  }
  std::array<uint64_t, 2> counts{};
  for (;;) {
    const uint64_t before = counts[static_cast<size_t>(link)];
    sql::Run run = stmts_->delete_below.run();
    run.bind(1, as_int(link)).bind(2, as_int(p)).bind(3, bound).bind(4, kDeleteChunk);
    if (Status s = delete_rows(run, counts); !s.ok()) return s;
    if (counts[static_cast<size_t>(link)] - before < kDeleteChunk) break;
  }
  return counts[static_cast<size_t>(link)];
}

Result<uint64_t> SqliteQueue::expire(int64_t now_ms) {
  auto max_age = std::chrono::duration_cast<std::chrono::milliseconds>(limits_.max_age).count();
  if (max_age <= 0) return uint64_t{0};
  const int64_t cutoff = now_ms - max_age;
  // Most ticks expire nothing: the heads' age answers that without a write.
  bool any = false;
  for (Link link : {Link::local, Link::upstream}) {
    LinkStats st = stats(link);
    any = any || (st.messages > 0 && st.oldest_created_ms < cutoff);
  }
  if (!any) return uint64_t{0};
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  uint64_t total = 0;
  Status s;
  for (Link link : {Link::local, Link::upstream}) {
    DropCounters delta;
    for (Priority p : {Priority::normal, Priority::high}) {
      auto n = s.ok() ? expire_queue(link, p, cutoff) : Result<uint64_t>(uint64_t{0});
      if (!n.ok())
        s = n.status();
      else
        delta.expired += *n;
    }
    if (s.ok() && delta.expired > 0) s = add_counters(link, delta);
    total += delta.expired;
  }
  if (s = txn_.finish_write(own, std::move(s)); !s.ok()) return s;
  return total;
}

}  // namespace edgegw::gateway
