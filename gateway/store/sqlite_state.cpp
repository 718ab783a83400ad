// gateway/store/sqlite_state.cpp — see sqlite_state.h. Schema in
// sqlite_outbox.cpp.
#include "gateway/store/sqlite_state.h"

#include <sqlite3.h>

namespace edgegw::gateway {

struct SqliteState::Statements {
  sql::Stmt set_position, put_state, all_state, put_rule_state, drop_rule_state, all_rule_state;
};

SqliteState::SqliteState(sql::Db& db, SqliteTxn& txn) : db_(db), txn_(txn) {}

SqliteState::~SqliteState() = default;

Result<std::unique_ptr<SqliteState>> SqliteState::open(sql::Db& db, SqliteTxn& txn) {
  std::unique_ptr<SqliteState> state(new SqliteState(db, txn));
  Status prepared = sql::prepare_into(
      db, state->stmts_,
      {
          {&Statements::set_position, "UPDATE meta SET value = ?1 WHERE key = 'journal_position'"},
          {&Statements::put_state,
           "INSERT INTO state(name, value, updated_ms) VALUES(?1, ?2, ?3) "
           "ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms"},
          {&Statements::all_state, "SELECT name, value FROM state ORDER BY name"},
          {&Statements::put_rule_state, "INSERT OR REPLACE INTO rule_state(rule, data) VALUES(?1, ?2)"},
          {&Statements::drop_rule_state, "DELETE FROM rule_state WHERE rule = ?1"},
          {&Statements::all_rule_state, "SELECT rule, data FROM rule_state ORDER BY rule"},
      });
  if (!prepared.ok()) return prepared;
  return state;
}

Status SqliteState::reload() {
  auto position = db_.query_int("SELECT value FROM meta WHERE key = 'journal_position'");
  if (!position.ok()) return position.status();
  position_ = static_cast<uint64_t>(*position);
  return Status();
}

Status SqliteState::set_journal_position(uint64_t seq) {
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  sql::Run run = stmts_->set_position.run();
  run.bind(1, static_cast<int64_t>(seq));
  Status s = run.run_to_done();
  if (s.ok()) position_ = seq;
  return txn_.finish_write(own, std::move(s));
}

Status SqliteState::put_state(const std::string& name, const std::string& json, int64_t now_ms) {
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  sql::Run run = stmts_->put_state.run();
  run.bind_text(1, name).bind_text(2, json).bind(3, now_ms);
  return txn_.finish_write(own, run.run_to_done());
}

Status SqliteState::load_state(std::vector<std::pair<std::string, std::string>>& out) {
  sql::Run run = stmts_->all_state.run();
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) out.emplace_back(run.text(0), run.text(1));
  return run.status(rc);
}

Status SqliteState::put_rule_state(const std::string& rule, std::string_view bytes) {
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  if (bytes.empty()) {
    sql::Run run = stmts_->drop_rule_state.run();
    run.bind_text(1, rule);
    return txn_.finish_write(own, run.run_to_done());
  }
  sql::Run run = stmts_->put_rule_state.run();
  run.bind_text(1, rule).bind_blob(2, bytes);
  return txn_.finish_write(own, run.run_to_done());
}

Status SqliteState::load_rule_states(std::vector<std::pair<std::string, std::string>>& out) {
  sql::Run run = stmts_->all_rule_state.run();
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) out.emplace_back(run.text(0), run.blob(1));
  return run.status(rc);
}

}  // namespace edgegw::gateway
