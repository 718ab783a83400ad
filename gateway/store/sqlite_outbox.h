// gateway/store/sqlite_outbox.h — outbox.db (state_dir/outbox.db): the Outbox
// in SQLite, and the store the engine commits its batches to.
//
// SqliteOutbox opens the file (recovering from corruption, checking the
// schema version), owns the connection, the shared transaction
// (sqlite_txn.h) and the WAL checkpoint thread (wal_checkpointer.h), and
// composes the tables, each a class of its own on that connection:
// - SqliteQueue (sqlite_queue.h): the rows bound for each link, their limits
//   and drop counters;
// - SqliteState (sqlite_state.h): gateway state, rule state, the journal position;
// - SqliteHttpQueue (sqlite_http_queue.h): the webhook queue and the dead letters;
// - SqliteDevices (sqlite_devices.h) joins through db().
// Its methods below forward to them; their contracts are in those headers.
//
// Contract: see outbox.h. In addition:
// - Threads: one SqliteOutbox per connection, used by one thread (the
//   engine's, in the daemon). Other processes (the `edgegw buffer` CLI) may
//   open the same file at the same time; SQLite serialises writers, waiting
//   up to busy_timeout.
// - Transactions: begin() is BEGIN IMMEDIATE and also picks up another
//   process's change (refresh_if_changed()). Outside begin()/commit() every
//   call is its own transaction; a failed call rolls the batch back at once
//   (sqlite_txn.h).
// - Failures are Status values with context "outbox.db", SQLite's message and
//   a StatusCode (sqlite_db.h). StatusCode::corrupt: this connection or the
//   checkpoint thread's saw SQLITE_CORRUPT or SQLITE_NOTADB since open, so
//   the file went bad while running. Exit, and the restart's open()
//   quarantines it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/store/http_queue.h"
#include "gateway/store/outbox.h"
#include "gateway/store/sqlite_db.h"
#include "gateway/store/sqlite_http_queue.h"
#include "gateway/store/sqlite_queue.h"
#include "gateway/store/sqlite_state.h"
#include "gateway/store/sqlite_txn.h"
#include "gateway/store/wal_checkpointer.h"

namespace edgegw::gateway {

struct OutboxOptions {
  OutboxLimits limits;
  bool sync_full = false;  // buffer.sync: full -> synchronous=FULL
  // Cap on the database file (max_page_count), so SQLITE_FULL comes at a
  // logical limit before the disk fills and wedges the WAL (reliability
  // §2.4). Size it at most free space minus journal_size_limit and a margin. 0: none.
  uint64_t max_db_bytes = 0;
  int wal_autocheckpoint_pages = 1000;   // ~4 MiB of WAL between automatic checkpoints
  int64_t journal_size_limit = 4 << 20;  // WAL size kept after a checkpoint
  std::chrono::milliseconds busy_timeout{5000};
  bool create = true;       // false: the file must exist (the CLI)
  bool quick_check = true;  // PRAGMA quick_check at open
  // A corrupt file is renamed to <stem>.corrupt-<unix s>.db (with its -wal and
  // -shm) and a fresh database is created. false: open() fails instead (the
  // CLI must never move the daemon's database).
  bool recover_corrupt = true;
  size_t keep_corrupt = 3;  // quarantined files kept; older ones are deleted
  // The daemon: WAL checkpoints on a thread of their own (wal_checkpointer.h),
  // none on this connection; durable_journal_position() then never waits.
  bool background_checkpoints = false;
};

class SqliteOutbox final : public Outbox, private SqliteTxn::Hooks {
 public:
  static constexpr int kSchemaVersion = 2;  // PRAGMA user_version

  // Opens or creates the outbox at `path` (mode 0600). Fails on an unreadable
  // file, a schema newer than kSchemaVersion, or corruption when
  // recover_corrupt is off. When it recovered from corruption,
  // quarantined_path() names the moved file: the caller logs it at error.
  static Result<std::unique_ptr<SqliteOutbox>> open(const std::string& path, OutboxOptions options);
  ~SqliteOutbox() override;

  Status begin() override { return txn_->begin(); }
  Status commit() override { return txn_->commit(); }
  void rollback() override { txn_->rollback(); }

  // ---- the queue (sqlite_queue.h) ----
  Result<AppendResult> append(OutboxRow row, bool replace_latest) override {
    return queue_->append(row, replace_latest);
  }
  Status remove(int64_t seq) override { return queue_->remove(seq); }
  Status deadletter(int64_t seq, const std::string& reason, int64_t now_ms) override {
    return queue_->deadletter(seq, reason, now_ms);
  }
  Status read(Link link, Priority p, int64_t after_seq, size_t limit, std::vector<OutboxRow>& out) override {
    return queue_->read(link, p, after_seq, limit, out);
  }
  Result<uint64_t> expire(int64_t now_ms) override { return queue_->expire(now_ms); }
  LinkStats stats(Link link) const override { return queue_->stats(link); }
  uint64_t size(Link link) const override { return queue_->size(link); }
  DropCounters counters(Link link) const override { return queue_->counters(link); }
  Result<uint64_t> purge(std::optional<Link> link, const std::optional<std::string>& topic_filter) {
    return queue_->purge(link, topic_filter);
  }
  Status list(std::optional<Link> link, size_t limit, std::vector<OutboxRow>& out) {
    return queue_->list(link, limit, out);
  }
  // Joins a batch if one is open.
  Result<uint64_t> shift_created(int64_t from_ms, int64_t to_ms, int64_t delta_ms) {
    return queue_->shift_created(from_ms, to_ms, delta_ms);
  }
  const OutboxLimits& limits() const { return options_.limits; }

  // ---- state, rule state, the journal position (sqlite_state.h) ----
  uint64_t journal_position() const override { return state_->journal_position(); }
  Status set_journal_position(uint64_t seq) override { return state_->set_journal_position(seq); }
  Status put_state(const std::string& name, const std::string& json, int64_t now_ms) {
    return state_->put_state(name, json, now_ms);
  }
  Status load_state(std::vector<std::pair<std::string, std::string>>& out) { return state_->load_state(out); }
  Status put_rule_state(const std::string& rule, std::string_view bytes) { return state_->put_rule_state(rule, bytes); }
  Status load_rule_states(std::vector<std::pair<std::string, std::string>>& out) {
    return state_->load_rule_states(out);
  }

  // ---- webhooks: http_queue and deadletters (sqlite_http_queue.h) ----
  Result<int64_t> http_insert(const HttpRow& row) { return http_->insert(row); }
  Status http_due(int64_t now_ms, int64_t after_id, size_t limit, std::vector<HttpRow>& out) {
    return http_->due(now_ms, after_id, limit, out);
  }
  Result<std::optional<int64_t>> http_next_due(int64_t now_ms) { return http_->next_due(now_ms); }
  Status http_delivered(int64_t id) { return http_->delivered(id); }
  Status http_retry_later(int64_t id, int attempts, int64_t next_ms) {
    return http_->retry_later(id, attempts, next_ms);
  }
  Status http_deadletter(int64_t id, int attempts, const std::string& reason, int64_t now_ms) {
    return http_->deadletter(id, attempts, reason, now_ms);
  }
  Status deadletters(size_t limit, std::vector<DeadLetter>& out) { return http_->deadletters(limit, out); }
  Result<uint64_t> deadletters_retry(const std::vector<int64_t>& ids, int64_t now_ms) {
    return http_->deadletters_retry(ids, now_ms);
  }
  Result<uint64_t> deadletters_purge(const std::vector<int64_t>& ids) { return http_->deadletters_purge(ids); }

  // ---- the file ----
  // PRAGMA wal_checkpoint(PASSIVE): never waits for readers or writers.
  // True when every commit so far is durable: with sync_full each commit
  // already is; with NORMAL only a checkpoint that copied the whole WAL (it
  // syncs the WAL first, then the database) proves it. A reader (the CLI)
  // can hold it back; then false.
  Result<bool> checkpoint() override;
  // The journal position that is durable on disk: everything committed up to
  // it survives power loss, so the journal behind it may go. With
  // background_checkpoints: what the checkpoint thread last covered, at once
  // (a failed or corrupt checkpoint as the error); `wait`, or without it: a
  // checkpoint here first (0 while a reader holds the WAL back).
  Result<uint64_t> durable_journal_position(bool wait);
  // Reloads the queue's figures and the journal position when another
  // process committed (PRAGMA data_version); begin() does it too.
  Status refresh_if_changed() override;
  // True (once) when refresh_if_changed() or begin() saw another process's
  // commit since the last call: the http_queue may have new rows.
  bool take_external_change() { return std::exchange(external_change_, false); }
  const std::string& quarantined_path() const { return quarantined_path_; }

  // ---- space (sqlite_outbox_space.cpp), for DiskGuard ----
  // True (once) when a write failed for lack of space since the last call.
  bool take_disk_full() { return db_->take_full_seen(); }
  // Bytes of free pages inside the file: what SQLite reuses before it grows it.
  Result<uint64_t> free_page_bytes();
  // Outside a batch: gives up to `pages` free pages back to the file system
  // (PRAGMA incremental_vacuum; the file shrinks at the next complete
  // checkpoint). Returns the pages freed; 0 on a file created before
  // auto_vacuum was set (sqlite_db.h), whose free pages stay inside it.
  Result<uint64_t> vacuum_step(int pages);
  // The connection, for stores that share the outbox's transactions
  // (gateway/store/sqlite_devices.h). Same thread rules as this object.
  sql::Db& db() { return *db_; }

 private:
  SqliteOutbox(std::unique_ptr<sql::Db> db, OutboxOptions options);
  Status init();
  Status open_tables();
  Status start_checkpointer(const std::string& path, const sql::DbOptions& db_options);
  Status reload();
  Status refresh_if_changed_locked();

  // SqliteTxn::Hooks: the tables' memory follows the transaction.
  Status began() override;
  void rolled_back() override;
  void committed() override;

  OutboxOptions options_;
  std::unique_ptr<sql::Db> db_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // background_checkpoints; stopped before db_ closes
  // The transaction and the tables: destroyed before db_ (their statements first).
  std::unique_ptr<SqliteTxn> txn_;
  std::unique_ptr<SqliteQueue> queue_;
  std::unique_ptr<SqliteState> state_;
  std::unique_ptr<SqliteHttpQueue> http_;
  bool external_change_ = false;
  std::string quarantined_path_;
};

}  // namespace edgegw::gateway
