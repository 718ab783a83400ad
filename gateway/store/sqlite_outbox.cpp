// gateway/store/sqlite_outbox.cpp — see sqlite_outbox.h.
#include "gateway/store/sqlite_outbox.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/topic.h"

namespace edgegw::gateway {

namespace {

// Schema version 2 (1 + http_queue; every statement is IF NOT EXISTS, so
// running it on a version-1 file migrates it). One queue table, deleted on ack, never flagged
// (reliability §2.3). Two indexes, both chosen against write amplification:
// - outbox_queue (link, priority, seq) lets read(), drop_oldest and expiry
//   seek straight to one queue's head. Without it a read of the local queue
//   behind a million-row upstream backlog scans the whole table, on every
//   page. Its entries are three small integers appended in seq order, so a
//   commit touches one extra index page, not one per row.
// - outbox_latest (link, topic) is partial (latest_only = 1): only rows of
//   latest_only routes pay for it, and there is about one such row per topic.
// Expiry has no index on created_ms: it walks the queue index from the head
// (rows enter in time order), see expire_queue().
// state and deadletters are empty until later modules use them; creating
// them now avoids a migration.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS outbox(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  link INTEGER NOT NULL,
  priority INTEGER NOT NULL,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL,
  retain INTEGER NOT NULL,
  latest_only INTEGER NOT NULL,
  replayed INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_queue ON outbox(link, priority, seq);
CREATE INDEX IF NOT EXISTS outbox_latest ON outbox(link, topic) WHERE latest_only = 1;
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta(key, value) VALUES ('journal_position', 0);
CREATE TABLE IF NOT EXISTS counters(
  link INTEGER PRIMARY KEY,
  dropped_full INTEGER NOT NULL DEFAULT 0,
  rejected_full INTEGER NOT NULL DEFAULT 0,
  expired INTEGER NOT NULL DEFAULT 0,
  purged INTEGER NOT NULL DEFAULT 0);
INSERT OR IGNORE INTO counters(link) VALUES (0), (1);
CREATE TABLE IF NOT EXISTS state(
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rule_state(
  rule TEXT PRIMARY KEY,
  data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deadletters(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  link INTEGER,
  topic TEXT,
  payload BLOB,
  detail TEXT,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  failed_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS http_queue(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rule TEXT NOT NULL,
  method TEXT NOT NULL,
  url TEXT NOT NULL,
  headers TEXT NOT NULL,
  body TEXT NOT NULL,
  timeout_ms INTEGER NOT NULL,
  retries INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  next_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS http_queue_due ON http_queue(next_ms);
PRAGMA user_version = 2;
)sql";

// Every delete returns (link, bytes) of each row so the in-memory stats follow.
#define EDGEGW_ROW_BYTES "length(CAST(topic AS BLOB)) + length(payload)"
#define EDGEGW_RETURNING " RETURNING link, " EDGEGW_ROW_BYTES ", seq"
#define EDGEGW_COLUMNS "seq, link, priority, topic, payload, qos, retain, latest_only, replayed, created_ms"

int64_t as_int(Link l) { return static_cast<int64_t>(l); }
int64_t as_int(Priority p) { return static_cast<int64_t>(p); }

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

// SQL function for purge: edgegw_topic_matches(filter, topic).
void topic_matches_fn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* f = sqlite3_value_text(argv[0]);
  const auto* t = sqlite3_value_text(argv[1]);
  if (!f || !t) return sqlite3_result_int(ctx, 0);
  std::string_view filter(reinterpret_cast<const char*>(f), sqlite3_value_bytes(argv[0]));
  std::string_view topic(reinterpret_cast<const char*>(t), sqlite3_value_bytes(argv[1]));
  sqlite3_result_int(ctx, topic_matches(filter, topic) ? 1 : 0);
}

int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

SqliteOutbox::SqliteOutbox(std::unique_ptr<sql::Db> db, OutboxOptions options)
    : options_(std::move(options)), db_(std::move(db)) {}

SqliteOutbox::~SqliteOutbox() {
  if (in_txn_) rollback();
  stmts_.reset();
  if (checkpointer_) {
    sqlite3_wal_hook(db_->handle(), nullptr, nullptr);
    checkpointer_.reset();
    // The last connection to close checkpoints the WAL into the file and
    // deletes it: this one, which ran synchronous=OFF (sqlite_db.h) and must
    // sync for that.
    if (!options_.sync_full) (void)db_->exec("PRAGMA synchronous=NORMAL");
  }
}

namespace {

// After each commit on the owner's connection (it replaces wal_autocheckpoint).
int on_wal_commit(void* checkpointer, sqlite3*, const char*, int frames) {
  static_cast<WalCheckpointer*>(checkpointer)->wal_grew(frames);
  return SQLITE_OK;
}

}  // namespace

Result<std::unique_ptr<SqliteOutbox>> SqliteOutbox::open(const std::string& path, OutboxOptions options) {
  sql::DbOptions db_options;
  db_options.create = options.create;
  db_options.sync_full = options.sync_full;
  db_options.busy_timeout = options.busy_timeout;
  db_options.wal_autocheckpoint_pages = options.wal_autocheckpoint_pages;
  db_options.journal_size_limit = options.journal_size_limit;
  db_options.max_db_bytes = options.max_db_bytes;
  db_options.quick_check = options.quick_check;
  db_options.no_sync = options.background_checkpoints;  // the checkpoint thread syncs (sqlite_db.h)
  std::string quarantined;
  for (int attempt = 0;; ++attempt) {
    // The checkpoint thread's connection shares it: corruption either sees
    // makes every failure of the other StatusCode::corrupt (sqlite_db.h).
    db_options.corrupt_flag = std::make_shared<std::atomic<bool>>(false);
    auto db = sql::Db::open(path, db_options);
    if (!db.ok()) return db.status();
    sql::Db* raw = db->get();
    std::unique_ptr<SqliteOutbox> outbox(new SqliteOutbox(std::move(*db), options));
    Status s = raw->configure(db_options);
    if (s.ok()) s = outbox->init();
    if (s.ok() && options.background_checkpoints) {
      auto ckpt = WalCheckpointer::start(path, db_options, options.wal_autocheckpoint_pages);
      if (!ckpt.ok()) return ckpt.status();
      outbox->checkpointer_ = std::move(*ckpt);
      sqlite3_wal_hook(raw->handle(), on_wal_commit, outbox->checkpointer_.get());
    }
    if (s.ok()) {
      outbox->quarantined_path_ = quarantined;
      return outbox;
    }
    if (s.code() != StatusCode::corrupt || !options.recover_corrupt || attempt > 0) return s;
    raw->keep_files_on_close();
    outbox.reset();  // close the file before moving it
    auto moved = sql::quarantine_database(path, unix_seconds_now(), options.keep_corrupt);
    if (!moved.ok()) return moved.status();
    quarantined = *moved;
  }
}

Status SqliteOutbox::init() {
  auto version = db_->query_int("PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version > kSchemaVersion) {
    return Status::error(db_->name(), "schema version " + std::to_string(*version) +
                                          " is newer than this edgegw supports (" +
                                          std::to_string(kSchemaVersion) + "); refusing to open it");
  }
  if (*version < kSchemaVersion) {
    // IF NOT EXISTS and IMMEDIATE: two processes creating it at once is harmless.
    std::string create = std::string("BEGIN IMMEDIATE;") + kSchema + "COMMIT;";
    if (Status s = db_->exec(create.c_str()); !s.ok()) {
      (void)db_->exec("ROLLBACK");
      return s;
    }
  }
  int rc = sqlite3_create_function_v2(db_->handle(), "edgegw_topic_matches", 2,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                      topic_matches_fn, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return db_->error(rc);
  if (Status s = prepare_statements(); !s.ok()) return s;
  return reload();
}

Status SqliteOutbox::prepare_statements() {
  stmts_ = std::make_unique<Statements>();
  Statements& s = *stmts_;
  const std::pair<sql::Stmt*, const char*> specs[] = {
      {&s.begin, "BEGIN IMMEDIATE"},
      {&s.commit, "COMMIT"},
      {&s.rollback, "ROLLBACK"},
      {&s.insert,
       "INSERT INTO outbox(link, priority, topic, payload, qos, retain, latest_only, replayed, "
       "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
      {&s.remove, "DELETE FROM outbox WHERE seq = ?1" EDGEGW_RETURNING},
      // What `deadletters retry` needs to queue it again as it was.
      {&s.to_deadletter,
       "INSERT INTO deadletters(kind, link, topic, payload, detail, reason, attempts, created_ms, failed_ms) "
       "SELECT 'mqtt', link, topic, payload, json_object('seq', seq, 'priority', priority, 'qos', qos, "
       "'retain', retain, 'latest_only', latest_only), ?2, 1, created_ms, ?3 FROM outbox WHERE seq = ?1"},
      {&s.read, "SELECT " EDGEGW_COLUMNS " FROM outbox WHERE link = ?1 AND priority = ?2 AND seq > ?3 "
                "ORDER BY seq LIMIT ?4"},
      {&s.list, "SELECT " EDGEGW_COLUMNS " FROM outbox WHERE ?1 IS NULL OR link = ?1 ORDER BY seq LIMIT ?2"},
      {&s.latest_size, "SELECT count(*), total(" EDGEGW_ROW_BYTES ") FROM outbox "
                       "WHERE link = ?1 AND topic = ?2 AND latest_only = 1"},
      {&s.replace_latest,
       "DELETE FROM outbox WHERE link = ?1 AND topic = ?2 AND latest_only = 1" EDGEGW_RETURNING},
      {&s.drop_oldest, "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE link = ?1 AND "
                       "priority = ?2 ORDER BY seq LIMIT ?3)" EDGEGW_RETURNING},
      {&s.first_young, "SELECT seq FROM outbox WHERE link = ?1 AND priority = ?2 AND created_ms >= ?3 "
                       "ORDER BY seq LIMIT 1"},
      {&s.delete_below,
       "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE link = ?1 AND priority = ?2 "
       "AND seq < ?3 ORDER BY seq LIMIT ?4)" EDGEGW_RETURNING},
      {&s.head_created,
       "SELECT created_ms FROM outbox WHERE link = ?1 AND priority = ?2 ORDER BY seq LIMIT 1"},
      {&s.add_counters,
       "UPDATE counters SET dropped_full = dropped_full + ?2, rejected_full = rejected_full + ?3, "
       "expired = expired + ?4, purged = purged + ?5 WHERE link = ?1"},
      {&s.set_position, "UPDATE meta SET value = ?1 WHERE key = 'journal_position'"},
      {&s.put_state, "INSERT INTO state(name, value, updated_ms) VALUES(?1, ?2, ?3) "
                     "ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms"},
      {&s.all_state, "SELECT name, value FROM state ORDER BY name"},
      {&s.put_rule_state, "INSERT OR REPLACE INTO rule_state(rule, data) VALUES(?1, ?2)"},
      {&s.drop_rule_state, "DELETE FROM rule_state WHERE rule = ?1"},
      {&s.all_rule_state, "SELECT rule, data FROM rule_state ORDER BY rule"},
  };
  for (const auto& [target, text] : specs) {
    auto stmt = db_->prepare(text);
    if (!stmt.ok()) return stmt.status();
    *target = std::move(*stmt);
  }
  return Status();
}

// ---- memory ---------------------------------------------------------------

Status SqliteOutbox::reload() {
  // Baseline first: a commit by another process after it makes the next
  // check reload again, so a change is never missed.
  if (auto changed = db_->changed_by_others(); !changed.ok()) return changed.status();
  if (Status s = reload_stats(); !s.ok()) return s;
  if (Status s = reload_counters(); !s.ok()) return s;
  auto position = db_->query_int("SELECT value FROM meta WHERE key = 'journal_position'");
  if (!position.ok()) return position.status();
  memory_.journal_position = static_cast<uint64_t>(*position);
  return Status();
}

Status SqliteOutbox::reload_stats() {
  // One scan at open (quick_check has read the file anyway); after that the
  // figures follow every change.
  auto stmt = db_->prepare("SELECT link, count(*), total(" EDGEGW_ROW_BYTES ") FROM outbox GROUP BY link");
  if (!stmt.ok()) return stmt.status();
  for (LinkState& ls : memory_.links) ls.stats = LinkStats{};
  sql::Run run = stmt->run();
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) {
    int64_t link = run.int64(0);
    if (link != 0 && link != 1) continue;
    LinkState& ls = memory_.links[static_cast<size_t>(link)];
    ls.stats.messages = static_cast<uint64_t>(run.int64(1));
    ls.stats.bytes = static_cast<uint64_t>(run.int64(2));
  }
  for (LinkState& ls : memory_.links) ls.oldest_stale = ls.stats.messages > 0;
  return run.status(rc);
}

Status SqliteOutbox::reload_counters() {
  auto stmt = db_->prepare("SELECT link, dropped_full, rejected_full, expired, purged FROM counters");
  if (!stmt.ok()) return stmt.status();
  for (LinkState& ls : memory_.links) ls.counters = DropCounters{};
  sql::Run run = stmt->run();
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) {
    int64_t link = run.int64(0);
    if (link != 0 && link != 1) continue;
    DropCounters& c = memory_.links[static_cast<size_t>(link)].counters;
    c.dropped_full = static_cast<uint64_t>(run.int64(1));
    c.rejected_full = static_cast<uint64_t>(run.int64(2));
    c.expired = static_cast<uint64_t>(run.int64(3));
    c.purged = static_cast<uint64_t>(run.int64(4));
  }
  return run.status(rc);
}

Status SqliteOutbox::refresh_if_changed() {
  return in_txn_ ? Status() : refresh_if_changed_locked();  // begin() refreshed already
}

Status SqliteOutbox::refresh_if_changed_locked() {
  auto changed = db_->changed_by_others();
  if (!changed.ok()) return changed.status();
  if (*changed) external_change_ = true;  // take_external_change(): new http_queue rows
  return *changed ? reload() : Status();
}

void SqliteOutbox::refresh_oldest(Link link) const {
  LinkState& ls = memory_.links[static_cast<size_t>(link)];
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

LinkStats SqliteOutbox::stats(Link link) const {
  refresh_oldest(link);
  return state(link).stats;
}

DropCounters SqliteOutbox::counters(Link link) const { return state(link).counters; }

// ---- reads, housekeeping, CLI -----------------------------------------------------

Status SqliteOutbox::read(Link link, Priority p, int64_t after_seq, size_t limit,
                          std::vector<OutboxRow>& out) {
  sql::Run run = stmts_->read.run();
  run.bind(1, as_int(link)).bind(2, as_int(p)).bind(3, after_seq);
  run.bind(4, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) out.push_back(row_from(run));
  return run.status(rc);
}

Status SqliteOutbox::list(std::optional<Link> link, size_t limit, std::vector<OutboxRow>& out) {
  sql::Run run = stmts_->list.run();
  if (link) run.bind(1, as_int(*link));
  else run.bind_null(1);
  run.bind(2, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) out.push_back(row_from(run));
  return run.status(rc);
}

Result<uint64_t> SqliteOutbox::purge(std::optional<Link> link, const std::optional<std::string>& topic_filter) {
  if (topic_filter && !valid_topic_filter(*topic_filter)) {
    return Status::error(db_->name(), "invalid topic filter '" + *topic_filter + "'");
  }
  // Not a hot path: prepared here rather than at open.
  auto stmt = db_->prepare("DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE seq > ?3 AND "
                           "(?1 IS NULL OR link = ?1) AND (?2 IS NULL OR edgegw_topic_matches(?2, topic)) "
                           "ORDER BY seq LIMIT ?4)" EDGEGW_RETURNING);
  if (!stmt.ok()) return stmt.status();
  bool own = false;
  if (Status s = start_write(own); !s.ok()) return s;
  std::array<uint64_t, 2> counts{};
  Status s;
  // In chunks, each starting after the last row deleted, so RETURNING never
  // holds more than a chunk and no row is looked at twice.
  for (int64_t after = 0; s.ok();) {
    sql::Run run = stmt->run();
    if (link) run.bind(1, as_int(*link));
    else run.bind_null(1);
    if (topic_filter) run.bind_text(2, *topic_filter);
    else run.bind_null(2);
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
  if (s = finish_write(own, std::move(s)); !s.ok()) return s;
  return counts[0] + counts[1];
}

Result<uint64_t> SqliteOutbox::shift_created(int64_t from_ms, int64_t to_ms, int64_t delta_ms) {
  // Not a hot path (a clock step): prepared here, a scan of the table.
  auto stmt = db_->prepare("UPDATE outbox SET created_ms = created_ms + ?3 WHERE created_ms BETWEEN ?1 AND ?2");
  if (!stmt.ok()) return stmt.status();
  bool own = false;
  if (Status s = start_write(own); !s.ok()) return s;
  sql::Run run = stmt->run();
  run.bind(1, from_ms).bind(2, to_ms).bind(3, delta_ms);
  Status s = run.run_to_done();
  const auto changed = static_cast<uint64_t>(sqlite3_changes(db_->handle()));
  for (LinkState& ls : memory_.links) ls.oldest_stale = ls.stats.messages > 0;
  if (s = finish_write(own, std::move(s)); !s.ok()) return s;
  return changed;
}

Result<bool> SqliteOutbox::checkpoint() {
  auto complete = db_->checkpoint_passive();
  if (!complete.ok()) return complete.status();
  return options_.sync_full || *complete;
}

Result<uint64_t> SqliteOutbox::durable_journal_position(bool wait) {
  if (checkpointer_ && !wait) {
    if (Status s = checkpointer_->status(); !s.ok()) return s;
    return checkpointer_->durable();
  }
  if (checkpointer_ && !options_.sync_full) {
    // This connection runs synchronous=OFF (sqlite_db.h); a checkpoint here
    // (at shutdown) must sync like the thread's.
    if (Status s = db_->exec("PRAGMA synchronous=NORMAL"); !s.ok()) return s;
  }
  auto complete = checkpoint();
  if (!complete.ok()) return complete.status();
  return *complete ? memory_.journal_position : 0;
}

}  // namespace edgegw::gateway
