// gateway/store/sqlite_outbox.h — the Outbox in SQLite (state_dir/outbox.db).
//
// Contract: see outbox.h. In addition:
// - Threads: one SqliteOutbox per connection, used by one thread (the
//   engine's, in the daemon). Other processes (the `edgegw buffer` CLI) may
//   open the same file at the same time; SQLite serialises writers, waiting
//   up to busy_timeout.
// - Transactions: begin() is BEGIN IMMEDIATE. Outside begin()/commit() every
//   call is its own transaction. When a call fails inside a transaction
//   (SQLITE_FULL, IOERR, BUSY, ...), the transaction is rolled back at once
//   (reliability §2.4): later calls fail until rollback() or commit() ends it,
//   and commit() then returns the error. Nothing of a failed batch lands.
// - Failures are Status values with context "outbox.db", SQLite's message and
//   a StatusCode (sqlite_db.h). StatusCode::corrupt: this connection or the
//   checkpoint thread's saw SQLITE_CORRUPT or SQLITE_NOTADB since open, so
//   the file went bad while running. Exit, and the restart's open()
//   quarantines it.
// - stats() and counters() read memory: per-link figures are loaded at open
//   and kept up to date by every change (they are exact again after a
//   rollback, and after another process's purge once refresh_if_changed() or
//   the next begin() ran).
// - drop_oldest drops normal-priority rows before high ones, each oldest
//   (lowest seq) first: high rows are the ones the user marked as mattering.
// - expire() walks each queue from its head and stops at the first row young
//   enough. Rows enter in time order, so that is exact unless the wall clock
//   stepped back; then a row may stay longer than max_age (by at most the
//   step), never be dropped early.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/store/http_queue.h"
#include "gateway/store/outbox.h"
#include "gateway/store/sqlite_db.h"
#include "gateway/store/wal_checkpointer.h"

namespace edgegw::gateway {

struct OutboxOptions {
  OutboxLimits limits;
  bool sync_full = false;               // buffer.sync: full -> synchronous=FULL
  // Cap on the database file (max_page_count), so SQLITE_FULL comes at a
  // logical limit before the disk fills and wedges the WAL (reliability
  // §2.4). Size it at most free space minus journal_size_limit and a margin. 0: none.
  uint64_t max_db_bytes = 0;
  int wal_autocheckpoint_pages = 1000;  // ~4 MiB of WAL between automatic checkpoints
  int64_t journal_size_limit = 4 << 20; // WAL size kept after a checkpoint
  std::chrono::milliseconds busy_timeout{5000};
  bool create = true;                   // false: the file must exist (the CLI)
  bool quick_check = true;              // PRAGMA quick_check at open
  // A corrupt file is renamed to <stem>.corrupt-<unix s>.db (with its -wal and
  // -shm) and a fresh database is created. false: open() fails instead (the
  // CLI must never move the daemon's database).
  bool recover_corrupt = true;
  size_t keep_corrupt = 3;              // quarantined files kept; older ones are deleted
  // The daemon: WAL checkpoints on a thread of their own (wal_checkpointer.h),
  // none on this connection; durable_journal_position() then never waits.
  bool background_checkpoints = false;
};

class SqliteOutbox final : public Outbox {
 public:
  static constexpr int kSchemaVersion = 2;  // PRAGMA user_version

  // Opens or creates the outbox at `path` (mode 0600). Fails on an unreadable
  // file, a schema newer than kSchemaVersion, or corruption when
  // recover_corrupt is off. When it recovered from corruption,
  // quarantined_path() names the moved file: the caller logs it at error.
  static Result<std::unique_ptr<SqliteOutbox>> open(const std::string& path, OutboxOptions options);
  ~SqliteOutbox() override;

  Status begin() override;
  Status commit() override;
  void rollback() override;

  Result<AppendResult> append(OutboxRow row, bool replace_latest) override;
  Status remove(int64_t seq) override;
  Status deadletter(int64_t seq, const std::string& reason, int64_t now_ms) override;
  Status read(Link link, Priority p, int64_t after_seq, size_t limit, std::vector<OutboxRow>& out) override;
  Result<uint64_t> expire(int64_t now_ms) override;

  LinkStats stats(Link link) const override;
  uint64_t size(Link link) const override { return state(link).stats.messages; }
  DropCounters counters(Link link) const override;

  uint64_t journal_position() const override { return memory_.journal_position; }
  Status set_journal_position(uint64_t seq) override;

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
  Status refresh_if_changed() override;

  // For `edgegw buffer purge`: removes the rows of `link` (all links if
  // nullopt) whose topic matches `topic_filter` (all if nullopt), in one
  // transaction, counting them as `purged`. Returns how many.
  Result<uint64_t> purge(std::optional<Link> link, const std::optional<std::string>& topic_filter);
  // For `edgegw buffer list`: up to `limit` rows in seq order, all priorities.
  Status list(std::optional<Link> link, size_t limit, std::vector<OutboxRow>& out);

  const std::string& quarantined_path() const { return quarantined_path_; }

  // The system clock was stepped by delta_ms: rows created between from_ms
  // and to_ms (the old clock) move with it, so their age (buffer.max_age)
  // stays what it really is. Returns the rows moved. Joins a batch if one is open.
  Result<uint64_t> shift_created(int64_t from_ms, int64_t to_ms, int64_t delta_ms);

  // Gateway state written by `set` actions (state.NAME), as JSON text.
  // put_state joins the current batch like any other write.
  Status put_state(const std::string& name, const std::string& json, int64_t now_ms);
  Status load_state(std::vector<std::pair<std::string, std::string>>& out);
  // A rule's timers and windows (rules::Engine::save_state bytes); empty
  // bytes delete the row. Joins the current batch like any other write.
  Status put_rule_state(const std::string& rule, std::string_view bytes);
  Status load_rule_states(std::vector<std::pair<std::string, std::string>>& out);
  const OutboxLimits& limits() const { return options_.limits; }

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

  // ---- webhooks: http_queue and deadletters (sqlite_http.cpp) ----
  // Writes join the current batch like put_state. Rows due at or before
  // now_ms with id > after_id, in id order, at most `limit`.
  Result<int64_t> http_insert(const HttpRow& row);
  Status http_due(int64_t now_ms, int64_t after_id, size_t limit, std::vector<HttpRow>& out);
  Result<std::optional<int64_t>> http_next_due(int64_t now_ms);  // earliest next_ms after now_ms
  Status http_delivered(int64_t id);                               // deletes the row
  Status http_retry_later(int64_t id, int attempts, int64_t next_ms);
  // Moves the row to deadletters (kind 'http', detail = the call as JSON).
  Status http_deadletter(int64_t id, int attempts, const std::string& reason, int64_t now_ms);
  // For `edgegw deadletters`: ids empty means every row (of kind http, for
  // retry). retry moves rows back into http_queue with attempts 0, due now.
  Status deadletters(size_t limit, std::vector<DeadLetter>& out);
  Result<uint64_t> deadletters_retry(const std::vector<int64_t>& ids, int64_t now_ms);
  Result<uint64_t> deadletters_purge(const std::vector<int64_t>& ids);
  // True (once) when refresh_if_changed() or begin() saw another process's
  // commit since the last call: the http_queue may have new rows.
  bool take_external_change() { return std::exchange(external_change_, false); }

 private:
  struct LinkState {
    LinkStats stats;
    DropCounters counters;
    bool oldest_stale = false;  // rows left the head; recomputed on demand
  };
  struct Memory {
    std::array<LinkState, 2> links;
    uint64_t journal_position = 0;
  };
  static constexpr int64_t kDeleteChunk = 1000;  // rows per bulk DELETE (expiry, purge)

  // Prepared once at open; destroyed before the connection.
  struct Statements {
    sql::Stmt begin, commit, rollback, insert, remove, to_deadletter, read, list;
    sql::Stmt latest_size, replace_latest, drop_oldest, first_young, delete_below, head_created;
    sql::Stmt add_counters, set_position, put_state, all_state;
    sql::Stmt put_rule_state, drop_rule_state, all_rule_state;
  };

  SqliteOutbox(std::unique_ptr<sql::Db> db, OutboxOptions options);
  Status init();
  Status prepare_statements();
  Status reload();
  Status reload_stats();
  Status reload_counters();
  Status refresh_if_changed_locked();
  Status prepare_http();
  Result<uint64_t> deadletters_change(const std::vector<const char*>& sql_texts, const std::vector<int64_t>& ids,
                                      int64_t now_ms);
  void refresh_oldest(Link link) const;

  // Transactions (sqlite_outbox_write.cpp).
  void abort_txn();
  Status step_once(sql::Stmt& stmt);
  Status start_write(bool& own);
  Status finish_write(bool own, Status result);

  Status append_locked(const OutboxRow& row, bool replace_latest, AppendResult& result);
  Status insert_locked(const OutboxRow& row, AppendResult& result);
  // Steps a DELETE ... RETURNING link, bytes, seq; updates the stats, counts
  // per link, and raises *max_seq to the highest seq deleted.
  Status delete_rows(sql::Run& run, std::array<uint64_t, 2>& counts, int64_t* max_seq = nullptr);
  Status drop_for(Link link, uint64_t bytes, AppendResult& result);
  Status add_counters(Link link, const DropCounters& delta);
  Result<uint64_t> expire_queue(Link link, Priority p, int64_t cutoff_ms);

  LinkState& state(Link link) { return memory_.links[static_cast<size_t>(link)]; }
  const LinkState& state(Link link) const { return memory_.links[static_cast<size_t>(link)]; }

  OutboxOptions options_;
  std::unique_ptr<sql::Db> db_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // background_checkpoints; stopped before db_ closes
  std::unique_ptr<Statements> stmts_;  // destroyed before db_
  struct HttpStatements {              // prepared on first use (sqlite_http.cpp)
    sql::Stmt insert, due, next_due, remove, retry_later, to_deadletter;
    bool ready = false;
  };
  HttpStatements http_stmts_;          // declared after db_: destroyed before it
  bool external_change_ = false;
  mutable Memory memory_;              // mutable: the lazily recomputed oldest row
  Memory snapshot_;                    // memory_ at begin(), restored by rollback
  bool in_txn_ = false;
  bool txn_failed_ = false;            // rolled back after an error; awaiting commit/rollback
  Status txn_error_;
  std::string quarantined_path_;
};

}  // namespace edgegw::gateway
