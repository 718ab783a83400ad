// gateway/store/sqlite_outbox.cpp — see sqlite_outbox.h: opening the file,
// its schema, composing the tables, and checkpoints.
#include "gateway/store/sqlite_outbox.h"

#include <sqlite3.h>

#include <atomic>
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
// (rows enter in time order), see SqliteQueue::expire_queue().
// The tables are each one class's (sqlite_outbox.h names them); the schema
// is one, so one version covers the file.
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
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

sql::DbOptions db_options_for(const OutboxOptions& o) {
  return {.create = o.create,
          .sync_full = o.sync_full,
          .busy_timeout = o.busy_timeout,
          .wal_autocheckpoint_pages = o.wal_autocheckpoint_pages,
          .journal_size_limit = o.journal_size_limit,
          .max_db_bytes = o.max_db_bytes,
          .quick_check = o.quick_check,
          .no_sync = o.background_checkpoints,  // the checkpoint thread syncs (sqlite_db.h)
          .corrupt_flag = nullptr};
}

// After each commit on the owner's connection (it replaces wal_autocheckpoint).
int on_wal_commit(void* checkpointer, sqlite3*, const char*, int frames) {
  static_cast<WalCheckpointer*>(checkpointer)->wal_grew(frames);
  return SQLITE_OK;
}

}  // namespace

SqliteOutbox::SqliteOutbox(std::unique_ptr<sql::Db> db, OutboxOptions options)
    : options_(std::move(options)), db_(std::move(db)) {}

SqliteOutbox::~SqliteOutbox() {
  if (txn_) txn_->rollback();  // a no-op outside a batch
  http_.reset();
  state_.reset();
  queue_.reset();
  txn_.reset();
  if (checkpointer_) {
    sqlite3_wal_hook(db_->handle(), nullptr, nullptr);
    checkpointer_.reset();
    // The last connection to close checkpoints the WAL into the file and
    // deletes it: this one, which ran synchronous=OFF (sqlite_db.h) and must
    // sync for that.
    if (!options_.sync_full) (void)db_->exec("PRAGMA synchronous=NORMAL");
  }
}

Result<std::unique_ptr<SqliteOutbox>> SqliteOutbox::open(const std::string& path, OutboxOptions options) {
  sql::DbOptions db_options = db_options_for(options);
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
      if (Status started = outbox->start_checkpointer(path, db_options); !started.ok()) return started;
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

Status SqliteOutbox::start_checkpointer(const std::string& path, const sql::DbOptions& db_options) {
  auto ckpt = WalCheckpointer::start(path, db_options, options_.wal_autocheckpoint_pages);
  if (!ckpt.ok()) return ckpt.status();
  checkpointer_ = std::move(*ckpt);
  sqlite3_wal_hook(db_->handle(), on_wal_commit, checkpointer_.get());
  return Status();
}

Status SqliteOutbox::init() {
  auto version = db_->query_int("PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version > kSchemaVersion) {
    return Status::error(db_->name(), "schema version " + std::to_string(*version) +
                                          " is newer than this edgegw supports (" + std::to_string(kSchemaVersion) +
                                          "); refusing to open it");
  }
  if (*version < kSchemaVersion) {
    // IF NOT EXISTS and IMMEDIATE: two processes creating it at once is harmless.
    std::string create = std::string("BEGIN IMMEDIATE;") + kSchema + "COMMIT;";
    if (Status s = db_->exec(create.c_str()); !s.ok()) {
      (void)db_->exec("ROLLBACK");
      return s;
    }
  }
  int rc = sqlite3_create_function_v2(db_->handle(), "edgegw_topic_matches", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                      nullptr, topic_matches_fn, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return db_->error(rc);
  if (Status s = open_tables(); !s.ok()) return s;
  return reload();
}

Status SqliteOutbox::open_tables() {
  auto txn = SqliteTxn::open(*db_, *this);
  if (!txn.ok()) return txn.status();
  txn_ = std::move(*txn);
  auto queue = SqliteQueue::open(*db_, *txn_, options_.limits);
  if (!queue.ok()) return queue.status();
  queue_ = std::move(*queue);
  auto state = SqliteState::open(*db_, *txn_);
  if (!state.ok()) return state.status();
  state_ = std::move(*state);
  http_ = std::make_unique<SqliteHttpQueue>(*db_, *txn_);
  return Status();
}

// ---- memory ---------------------------------------------------------------

Status SqliteOutbox::reload() {
  // Baseline first: a commit by another process after it makes the next
  // check reload again, so a change is never missed.
  if (auto changed = db_->changed_by_others(); !changed.ok()) return changed.status();
  if (Status s = queue_->reload(); !s.ok()) return s;
  return state_->reload();
}

Status SqliteOutbox::refresh_if_changed() {
  return txn_->active() ? Status() : refresh_if_changed_locked();  // begin() refreshed already
}

Status SqliteOutbox::refresh_if_changed_locked() {
  auto changed = db_->changed_by_others();
  if (!changed.ok()) return changed.status();
  if (*changed) external_change_ = true;  // take_external_change(): new http_queue rows
  return *changed ? reload() : Status();
}

Status SqliteOutbox::began() {
  queue_->snapshot();
  state_->snapshot();
  // With the write lock held nobody else can change rows until commit, so
  // picking up a purge by another process now keeps the limits exact.
  if (Status s = refresh_if_changed_locked(); !s.ok()) return s;
  queue_->snapshot();
  state_->snapshot();
  return Status();
}

void SqliteOutbox::rolled_back() {
  queue_->restore();
  state_->restore();
}

void SqliteOutbox::committed() {
  if (checkpointer_) checkpointer_->committed(state_->journal_position());
}

// ---- checkpoints --------------------------------------------------------------

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
  return *complete ? state_->journal_position() : 0;
}

}  // namespace edgegw::gateway
