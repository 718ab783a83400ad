// gateway/store/sqlite_db.h — a small RAII layer over sqlite3 for the gateway's
// stores (outbox, state): one connection, statements prepared once, errors
// as Status values with the file name as context ("outbox.db: database or
// disk is full").
//
// Status codes (core/status.h): SQLITE_CORRUPT and SQLITE_NOTADB are
// `corrupt`, SQLITE_FULL and an I/O error with errno ENOSPC `full`,
// SQLITE_BUSY and SQLITE_LOCKED `busy`, other I/O errors `io`, the rest
// `error`. Corruption is sticky: once a connection saw it, or another
// connection sharing its DbOptions::corrupt_flag did, every later failure on
// it is `corrupt` too (the file is bad, whatever failed next; only moving it
// aside helps).
//
// Threads: a Db and its statements belong to the thread that uses them (the
// connection is opened without SQLite's own mutex). Nothing here throws.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace edgegw::gateway::sql {

class Db;

// One execution of a prepared statement. Resets the statement and clears its
// bindings when it goes out of scope: a SELECT left un-reset would keep its
// read snapshot open, which stalls WAL checkpoints.
class Run {
 public:
  Run(Db& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // Parameters count from 1, as in SQL's ?1.
  Run& bind(int index, int64_t value);
  Run& bind_text(int index, std::string_view value);
  Run& bind_blob(int index, std::string_view value);  // empty binds x'' (never NULL)
  Run& bind_null(int index);

  // SQLITE_ROW, SQLITE_DONE or an error code; a failed bind is reported here.
  int step();
  // Steps to the end, discarding rows; the failure as a Status.
  Status run_to_done();
  // The Status for a code step() returned (ok for ROW/DONE).
  Status status(int rc) const;

  int64_t int64(int column) const;  // columns count from 0
  std::string text(int column) const;
  std::string blob(int column) const;  // byte-exact, NULs included
  bool is_null(int column) const;

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = 0;  // first failed bind, SQLITE_OK if none
};

// A prepared statement, finalised on destruction. Move-only.
class Stmt {
 public:
  Stmt() = default;
  Stmt(Db& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  ~Stmt();
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&& other) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Run run() { return Run(*db_, stmt_); }

 private:
  Db* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

struct DbOptions {
  bool create = true;      // false: the file must already exist (the CLI)
  bool sync_full = false;  // synchronous=FULL instead of NORMAL
  std::chrono::milliseconds busy_timeout{5000};
  int wal_autocheckpoint_pages = 1000;   // SQLite's default, ~4 MiB of WAL
  int64_t journal_size_limit = 4 << 20;  // the WAL is truncated back to this after a checkpoint
  uint64_t max_db_bytes = 0;             // max_page_count cap; 0: none
  bool quick_check = true;               // PRAGMA quick_check at open (O(size))
  // synchronous=OFF unless sync_full: for a connection that leaves every
  // checkpoint to another connection (wal_checkpointer.h). In WAL mode its
  // commits sync nothing under NORMAL either; OFF also skips the sync of
  // the WAL header when its first commit after a checkpoint restarts the
  // WAL. Only a checkpoint can then corrupt the file on power loss, and the
  // other connection's, with NORMAL, syncs the WAL before it and the
  // database after it.
  bool no_sync = false;
  // Set when a connection opened with these options saw corruption; shared
  // by all of them (the engine's and the checkpoint thread's), so each knows
  // what the other saw. Null: Db::open makes one of its own.
  std::shared_ptr<std::atomic<bool>> corrupt_flag;
};

// The code of a Status for an SQLite result code (primary or extended) and
// the errno SQLite saw (sqlite3_system_errno); see the top of this file.
StatusCode status_code_of(int rc, int system_errno);

// A connection. Heap-allocated (statements keep a pointer to it), closed on
// destruction; statements must be destroyed first.
class Db {
 public:
  // Opens `path`; with options.create, creates it with mode 0600 first (the
  // -wal and -shm files inherit the database file's mode). Fails only when the
  // file cannot be opened: a corrupt file shows up in configure().
  static Result<std::unique_ptr<Db>> open(const std::string& path, const DbOptions& options);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // busy_timeout, WAL, synchronous, checkpoint bounds, the page cap, and
  // quick_check. A corrupt file fails with StatusCode::corrupt.
  Status configure(const DbOptions& options);

  Status exec(const char* sql);  // statements without results
  Result<Stmt> prepare(const char* sql);
  Result<int64_t> query_int(const char* sql);  // first column of the first row; 0 if none
  // PRAGMA wal_checkpoint(PASSIVE); true when it copied every frame of the WAL.
  Result<bool> checkpoint_passive();
  // True when another connection committed since the last call (PRAGMA data_version).
  Result<bool> changed_by_others();

  // The Status for an error code a call on this connection returned, with
  // its StatusCode. Records SQLITE_CORRUPT / SQLITE_NOTADB in corrupt_seen().
  Status error(int rc);
  // This connection, or one sharing its corrupt_flag, saw corruption.
  bool corrupt_seen() const { return corrupt_->load(std::memory_order_acquire); }
  // True (once) when a call failed for lack of space since the last call:
  // SQLITE_FULL, or an I/O error with errno ENOSPC.
  bool take_full_seen() { return std::exchange(full_seen_, false); }
  // Closing then leaves the database, -wal and -shm as they are: no
  // checkpoint into the file, no deleting the WAL. For a file about to be
  // quarantined, which should be kept as found.
  void keep_files_on_close();
  const std::string& name() const { return name_; }  // the file name, for Status contexts
  sqlite3* handle() { return db_; }

 private:
  Db(sqlite3* db, std::string name, std::shared_ptr<std::atomic<bool>> corrupt)
      : db_(db), name_(std::move(name)), corrupt_(std::move(corrupt)) {}
  void mark_corrupt() { corrupt_->store(true, std::memory_order_release); }

  sqlite3* db_ = nullptr;
  std::string name_;
  std::shared_ptr<std::atomic<bool>> corrupt_;  // never null
  bool full_seen_ = false;
  int64_t data_version_ = -1;
};

// Moves a corrupt database (with its -wal and -shm, which belong to it) aside
// as "<dir>/<stem>.corrupt-<unix_s>.db", keeping at most `keep` such files
// (the oldest go). Returns the new path of the database file.
Result<std::string> quarantine_database(const std::string& path, int64_t unix_s, size_t keep);

// A store's statements, all prepared at open into a fresh S and then
// handed to `out`: each (member, SQL) pair. The first failure; `out` is
// left as it was.
template <class S>
Status prepare_into(Db& db, std::unique_ptr<S>& out, std::initializer_list<std::pair<Stmt S::*, const char*>> specs) {
  auto stmts = std::make_unique<S>();
  for (const auto& [member, text] : specs) {
    auto stmt = db.prepare(text);
    if (!stmt.ok()) return stmt.status();
    (*stmts).*member = std::move(*stmt);
  }
  out = std::move(stmts);
  return Status();
}

}  // namespace edgegw::gateway::sql
