// gateway/store/sqlite_txn.cpp — see sqlite_txn.h.
#include "gateway/store/sqlite_txn.h"

#include <utility>

namespace edgegw::gateway {

namespace {

Status step_once(sql::Stmt& stmt) {
  sql::Run run = stmt.run();
  return run.status(run.step());
}

}  // namespace

struct SqliteTxn::Statements {
  sql::Stmt begin, commit, rollback;
};

SqliteTxn::SqliteTxn(sql::Db& db, Hooks& hooks) : db_(db), hooks_(hooks) {}

SqliteTxn::~SqliteTxn() = default;

Result<std::unique_ptr<SqliteTxn>> SqliteTxn::open(sql::Db& db, Hooks& hooks) {
  std::unique_ptr<SqliteTxn> txn(new SqliteTxn(db, hooks));
  Status prepared = sql::prepare_into(db, txn->stmts_,
                                      {
                                          {&Statements::begin, "BEGIN IMMEDIATE"},
                                          {&Statements::commit, "COMMIT"},
                                          {&Statements::rollback, "ROLLBACK"},
                                      });
  if (!prepared.ok()) return prepared;
  return txn;
}

Status SqliteTxn::begin() {
  if (in_txn_) return Status::error(db_.name(), "begin() inside a transaction");
  if (Status s = step_once(stmts_->begin); !s.ok()) return s;
  in_txn_ = true;
  failed_ = false;
  error_ = Status();
  Status s = hooks_.began();
  if (!s.ok()) rollback();
  return s;
}

Status SqliteTxn::commit() {
  if (!in_txn_) return Status::error(db_.name(), "commit() without begin()");
  if (failed_) {  // already rolled back when the error happened
    in_txn_ = failed_ = false;
    return error_;
  }
  // On failure the engine redoes the batch from the journal.
  Status s = step_once(stmts_->commit);
  if (!s.ok()) abort();
  in_txn_ = false;
  if (s.ok()) hooks_.committed();
  return s;
}

void SqliteTxn::rollback() {
  if (!in_txn_) return;
  if (!failed_) abort();
  in_txn_ = failed_ = false;
}

// After SQLITE_FULL, IOERR, BUSY or NOMEM SQLite may or may not have rolled
// back already, so ROLLBACK's own error is ignored (reliability §2.4). The
// database is back at begin(), and so is the memory.
void SqliteTxn::abort() {
  (void)step_once(stmts_->rollback);
  hooks_.rolled_back();
}

Status SqliteTxn::start_write(bool& own) {
  own = !in_txn_;
  if (own) return begin();
  return failed_ ? error_ : Status();
}

Status SqliteTxn::finish_write(bool own, Status result) {
  if (result.ok()) return own ? commit() : Status();
  abort();
  if (own) {
    in_txn_ = false;
  } else {
    failed_ = true;
    error_ = result;
  }
  return result;
}

}  // namespace edgegw::gateway
