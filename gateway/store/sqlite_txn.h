// gateway/store/sqlite_txn.h — the one transaction that the tables of
// outbox.db share on one connection.
//
// The engine groups a batch's writes to every table (the queue, state and
// the journal position, the webhook queue; the devices table joins it too)
// into one transaction: begin() ... commit(). A write outside them is a
// transaction of its own. When a write fails inside a batch (SQLITE_FULL,
// IOERR, BUSY, ...) the transaction is rolled back at once (reliability
// §2.4): later writes fail with the same Status until rollback() or commit()
// ends it, and commit() returns it. Nothing of a failed batch lands.
//
// The owner (SqliteOutbox) keeps the tables' figures in memory in step
// through Hooks. Threads: those of the connection (sqlite_db.h).
#pragma once

#include <memory>

#include "core/status.h"
#include "gateway/store/sqlite_db.h"

namespace edgegw::gateway {

class SqliteTxn {
 public:
  class Hooks {
   public:
    virtual ~Hooks() = default;
    // Inside the new transaction, before any write; a failure rolls it back.
    virtual Status began() = 0;
    // After a ROLLBACK: what the tables hold in memory goes back to begin().
    virtual void rolled_back() = 0;
    // After a COMMIT.
    virtual void committed() = 0;
  };

  // Prepares BEGIN IMMEDIATE, COMMIT and ROLLBACK. Borrows `db` and
  // `hooks`; both must outlive it.
  static Result<std::unique_ptr<SqliteTxn>> open(sql::Db& db, Hooks& hooks);
  ~SqliteTxn();

  // BEGIN IMMEDIATE; an error inside a transaction.
  Status begin();
  // COMMIT; on failure (BUSY included: no retry here) the whole batch goes.
  Status commit();
  void rollback();
  bool active() const { return in_txn_; }

  // One write: start_write() joins the open batch, or begins a transaction
  // of its own (`own`); it fails at once when the batch already failed.
  // finish_write() commits an own transaction; when `result` failed it rolls
  // back, and inside a batch marks the batch failed. Returns the outcome.
  Status start_write(bool& own);
  Status finish_write(bool own, Status result);

 private:
  struct Statements;
  SqliteTxn(sql::Db& db, Hooks& hooks);
  void abort();

  sql::Db& db_;
  Hooks& hooks_;
  std::unique_ptr<Statements> stmts_;
  bool in_txn_ = false;
  bool failed_ = false;  // rolled back after an error; awaiting commit() or rollback()
  Status error_;
};

}  // namespace edgegw::gateway
