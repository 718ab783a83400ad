// gateway/store/sqlite_queue.cpp — SqliteQueue's statements, its figures in
// memory, and its reads (see sqlite_queue.h); the writes are in
// sqlite_queue_write.cpp, the schema in sqlite_outbox.cpp.
#include "gateway/store/sqlite_queue.h"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "core/topic.h"

namespace edgegw::gateway {

namespace {

// Every delete returns (link, bytes) of each row so the in-memory stats follow.
#define EDGEGW_ROW_BYTES "length(CAST(topic AS BLOB)) + length(payload)"
#define EDGEGW_RETURNING " RETURNING link, " EDGEGW_ROW_BYTES ", seq"
#define EDGEGW_COLUMNS "seq, link, priority, topic, payload, qos, retain, latest_only, replayed, created_ms"

int64_t as_int(Link l) { return static_cast<int64_t>(l); }
int64_t as_int(Priority p) { return static_cast<int64_t>(p); }
int64_t clamp_limit(size_t limit) { return static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)); }

OutboxRow row_from(const sql::Run& run) {
  OutboxRow r;
  r.seq = run.int64(0);
  r.link = run.int64(1) == 0 ? Link::local : Link::upstream;
  r.priority = run.int64(2) == 0 ? Priority::normal : Priority::high;
  r.topic = run.text(3);
  r.payload = run.blob(4);
  r.qos = static_cast<int>(run.int64(5));
  r.retain = run.int64(6) != 0;
  r.latest_only = run.int64(7) != 0;
  r.replayed = run.int64(8) != 0;
  r.created_ms = run.int64(9);
  return r;
}

}  // namespace

SqliteQueue::SqliteQueue(sql::Db& db, SqliteTxn& txn, const OutboxLimits& limits)
    : db_(db), txn_(txn), limits_(limits) {}

SqliteQueue::~SqliteQueue() = default;

Result<std::unique_ptr<SqliteQueue>> SqliteQueue::open(sql::Db& db, SqliteTxn& txn, const OutboxLimits& limits) {
  std::unique_ptr<SqliteQueue> queue(new SqliteQueue(db, txn, limits));
  Status prepared = sql::prepare_into(
      db, queue->stmts_,
      {
          {&Statements::insert,
           "INSERT INTO outbox(link, priority, topic, payload, qos, retain, latest_only, replayed, "
           "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
          // A PUBACK's remove: the row's size for the counts, then a plain
          // DELETE. DELETE ... RETURNING would build and drop a temporary table
          // on every run (sqlite3BtreeOpen and a pager per row: the largest
          // share of the engine's SQLite time in a profile of the routes bench).
          {&Statements::row_of, "SELECT link, " EDGEGW_ROW_BYTES ", seq FROM outbox WHERE seq = ?1"},
          {&Statements::remove, "DELETE FROM outbox WHERE seq = ?1"},
          // What `deadletters retry` needs to queue it again as it was.
          {&Statements::to_deadletter,
           "INSERT INTO deadletters(kind, link, topic, payload, detail, reason, attempts, created_ms, failed_ms) "
           "SELECT 'mqtt', link, topic, payload, json_object('seq', seq, 'priority', priority, 'qos', qos, "
           "'retain', retain, 'latest_only', latest_only), ?2, 1, created_ms, ?3 FROM outbox WHERE seq = ?1"},
          {&Statements::read, "SELECT " EDGEGW_COLUMNS " FROM outbox WHERE link = ?1 AND priority = ?2 AND seq > ?3 "
                              "ORDER BY seq LIMIT ?4"},
          {&Statements::list,
           "SELECT " EDGEGW_COLUMNS " FROM outbox WHERE ?1 IS NULL OR link = ?1 ORDER BY seq LIMIT ?2"},
          {&Statements::latest_size, "SELECT count(*), total(" EDGEGW_ROW_BYTES ") FROM outbox "
                                     "WHERE link = ?1 AND topic = ?2 AND latest_only = 1"},
          {&Statements::replace_latest,
           "DELETE FROM outbox WHERE link = ?1 AND topic = ?2 AND latest_only = 1" EDGEGW_RETURNING},
          {&Statements::drop_oldest,
           "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE link = ?1 AND "
           "priority = ?2 ORDER BY seq LIMIT ?3)" EDGEGW_RETURNING},
          {&Statements::first_young,
           "SELECT seq FROM outbox WHERE link = ?1 AND priority = ?2 AND created_ms >= ?3 "
           "ORDER BY seq LIMIT 1"},
          {&Statements::delete_below,
           "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE link = ?1 AND priority = ?2 "
           "AND seq < ?3 ORDER BY seq LIMIT ?4)" EDGEGW_RETURNING},
          {&Statements::head_created,
           "SELECT created_ms FROM outbox WHERE link = ?1 AND priority = ?2 ORDER BY seq LIMIT 1"},
          {&Statements::add_counters,
           "UPDATE counters SET dropped_full = dropped_full + ?2, rejected_full = rejected_full + ?3, "
           "expired = expired + ?4, purged = purged + ?5 WHERE link = ?1"},
      });
  if (!prepared.ok()) return prepared;
  return queue;
}

// ---- memory ---------------------------------------------------------------

Status SqliteQueue::reload() {
  if (Status s = reload_stats(); !s.ok()) return s;
  return reload_counters();
}

Status SqliteQueue::reload_stats() {
  // One scan at open (quick_check has read the file anyway); after that the
  // figures follow every change.
  auto stmt = db_.prepare("SELECT link, count(*), total(" EDGEGW_ROW_BYTES ") FROM outbox GROUP BY link");
  if (!stmt.ok()) return stmt.status();
  for (LinkState& ls : links_) ls.stats = LinkStats{};
  sql::Run run = stmt->run();
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) {
    int64_t link = run.int64(0);
    if (link != 0 && link != 1) continue;
    LinkState& ls = links_[static_cast<size_t>(link)];
    ls.stats.messages = static_cast<uint64_t>(run.int64(1));
    ls.stats.bytes = static_cast<uint64_t>(run.int64(2));
  }
  for (LinkState& ls : links_) ls.oldest_stale = ls.stats.messages > 0;
  return run.status(rc);
}

Status SqliteQueue::reload_counters() {
  auto stmt = db_.prepare("SELECT link, dropped_full, rejected_full, expired, purged FROM counters");
  if (!stmt.ok()) return stmt.status();
  for (LinkState& ls : links_) ls.counters = DropCounters{};
  sql::Run run = stmt->run();
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) {
    int64_t link = run.int64(0);
    if (link != 0 && link != 1) continue;
    DropCounters& c = links_[static_cast<size_t>(link)].counters;
    c.dropped_full = static_cast<uint64_t>(run.int64(1));
    c.rejected_full = static_cast<uint64_t>(run.int64(2));
    c.expired = static_cast<uint64_t>(run.int64(3));
    c.purged = static_cast<uint64_t>(run.int64(4));
  }
  return run.status(rc);
}

void SqliteQueue::refresh_oldest(Link link) const {
  LinkState& ls = links_[static_cast<size_t>(link)];
  if (!ls.oldest_stale) return;
  std::optional<int64_t> oldest;
  for (Priority p : {Priority::normal, Priority::high}) {
    sql::Run run = stmts_->head_created.run();
    run.bind(1, as_int(link)).bind(2, as_int(p));
    int rc = run.step();
    if (rc == SQLITE_ROW) {
      oldest = std::min(oldest.value_or(run.int64(0)), run.int64(0));
    } else if (rc != SQLITE_DONE) {
      return;  // stays stale; the next call retries
    }
  }
  ls.stats.oldest_created_ms = oldest.value_or(0);
  ls.oldest_stale = false;
}

LinkStats SqliteQueue::stats(Link link) const {
  refresh_oldest(link);
  return state(link).stats;
}

// ---- reads, CLI -------------------------------------------------------------

Status SqliteQueue::read(Link link, Priority p, int64_t after_seq, size_t limit, std::vector<OutboxRow>& out) {
  sql::Run run = stmts_->read.run();
  run.bind(1, as_int(link)).bind(2, as_int(p)).bind(3, after_seq).bind(4, clamp_limit(limit));
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) out.push_back(row_from(run));
  return run.status(rc);
}

Status SqliteQueue::list(std::optional<Link> link, size_t limit, std::vector<OutboxRow>& out) {
  sql::Run run = stmts_->list.run();
  if (link)
    run.bind(1, as_int(*link));
  else
    run.bind_null(1);
  run.bind(2, clamp_limit(limit));
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) out.push_back(row_from(run));
  return run.status(rc);
}

Result<uint64_t> SqliteQueue::purge(std::optional<Link> link, const std::optional<std::string>& topic_filter) {
  if (topic_filter && !valid_topic_filter(*topic_filter)) {
    return Status::error(db_.name(), "invalid topic filter '" + *topic_filter + "'");
  }
  // Not a hot path: prepared here rather than at open.
  auto stmt = db_.prepare(
      "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE seq > ?3 AND "
      "(?1 IS NULL OR link = ?1) AND (?2 IS NULL OR edgegw_topic_matches(?2, topic)) "
      "ORDER BY seq LIMIT ?4)" EDGEGW_RETURNING);
  if (!stmt.ok()) return stmt.status();
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  std::array<uint64_t, 2> counts{};
  Status s;
  // In chunks, each starting after the last row deleted, so RETURNING never
  // holds more than a chunk and no row is looked at twice.
  for (int64_t after = 0; s.ok();) {
    sql::Run run = stmt->run();
    if (link)
      run.bind(1, as_int(*link));
    else
      run.bind_null(1);
    if (topic_filter)
      run.bind_text(2, *topic_filter);
    else
      run.bind_null(2);
    run.bind(3, after).bind(4, kDeleteChunk);
    const uint64_t before = counts[0] + counts[1];
    s = delete_rows(run, counts, &after);
    if (counts[0] + counts[1] - before < kDeleteChunk) break;
  }
  for (Link l : {Link::local, Link::upstream}) {
    DropCounters delta;
    delta.purged = counts[static_cast<size_t>(l)];
    if (s.ok() && delta.purged > 0) s = add_counters(l, delta);
  }
  if (s = txn_.finish_write(own, std::move(s)); !s.ok()) return s;
  return counts[0] + counts[1];
}

Result<uint64_t> SqliteQueue::shift_created(int64_t from_ms, int64_t to_ms, int64_t delta_ms) {
  // Not a hot path (a clock step): prepared here, a scan of the table.
  auto stmt = db_.prepare("UPDATE outbox SET created_ms = created_ms + ?3 WHERE created_ms BETWEEN ?1 AND ?2");
  if (!stmt.ok()) return stmt.status();
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  sql::Run run = stmt->run();
  run.bind(1, from_ms).bind(2, to_ms).bind(3, delta_ms);
  Status s = run.run_to_done();
  const auto changed = static_cast<uint64_t>(sqlite3_changes(db_.handle()));
  for (LinkState& ls : links_) ls.oldest_stale = ls.stats.messages > 0;
  if (s = txn_.finish_write(own, std::move(s)); !s.ok()) return s;
  return changed;
}

}  // namespace edgegw::gateway
