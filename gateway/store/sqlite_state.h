// gateway/store/sqlite_state.h — what outbox.db keeps for the engine besides
// the queue: gateway state written by `set` actions (table `state`, read
// back as state.NAME), each rule's timers and windows (`rule_state`), and
// the ingress journal position the committed batches reached (`meta`).
//
// Every write joins the open batch (sqlite_txn.h), so the journal position
// commits atomically with the effects of the records before it. Failures are
// Status values as the connection makes them (sqlite_db.h). Threads: those
// of the connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "gateway/store/sqlite_db.h"
#include "gateway/store/sqlite_txn.h"

namespace edgegw::gateway {

class SqliteState {
 public:
  // Prepares its statements; the tables exist (SqliteOutbox's schema).
  // Borrows `db` and `txn`; both must outlive it.
  static Result<std::unique_ptr<SqliteState>> open(sql::Db& db, SqliteTxn& txn);
  ~SqliteState();

  // The last ingress journal sequence whose effects are committed (0: none);
  // from memory.
  uint64_t journal_position() const { return position_; }
  Status set_journal_position(uint64_t seq);

  // state.NAME as JSON text; all of it in name order.
  Status put_state(const std::string& name, const std::string& json, int64_t now_ms);
  Status load_state(std::vector<std::pair<std::string, std::string>>& out);
  // A rule's timers and windows (rules::Engine::save_state bytes); empty
  // bytes delete the row. All of them in rule order.
  Status put_rule_state(const std::string& rule, std::string_view bytes);
  Status load_rule_states(std::vector<std::pair<std::string, std::string>>& out);

  // Reads the journal position from the table (at open, and after another
  // process committed).
  Status reload();
  // The memory at begin(), and back to it after a rollback (sqlite_txn.h).
  void snapshot() { snapshot_ = position_; }
  void restore() { position_ = snapshot_; }

 private:
  struct Statements;
  SqliteState(sql::Db& db, SqliteTxn& txn);

  sql::Db& db_;
  SqliteTxn& txn_;
  std::unique_ptr<Statements> stmts_;
  uint64_t position_ = 0;
  uint64_t snapshot_ = 0;
};

}  // namespace edgegw::gateway
