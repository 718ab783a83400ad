// gateway/store/sqlite_http_queue.cpp — see sqlite_http_queue.h (contract)
// and http_queue.h (the rows). Schema in sqlite_outbox.cpp (version 2).
#include "gateway/store/sqlite_http_queue.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

namespace edgegw::gateway {

namespace {

#define EDGEGW_HTTP_COLUMNS "id, rule, method, url, headers, body, timeout_ms, retries, attempts, created_ms, next_ms"

HttpRow http_row_of(const sql::Run& run) {
  HttpRow r;
  r.id = run.int64(0);
  r.rule = run.text(1);
  r.method = run.text(2);
  r.url = run.text(3);
  r.headers_json = run.text(4);
  r.body = run.text(5);
  r.timeout_ms = run.int64(6);
  r.retries = static_cast<int>(run.int64(7));
  r.attempts = static_cast<int>(run.int64(8));
  r.created_ms = run.int64(9);
  r.next_ms = run.int64(10);
  return r;
}

int64_t clamp_limit(size_t limit) { return static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)); }

}  // namespace

HttpRow http_row_from(const rules::HttpCall& call, int64_t now_ms) {
  nlohmann::ordered_json headers = nlohmann::ordered_json::object();
  for (const auto& [name, value] : call.headers) headers[name] = value;
  HttpRow r;
  r.rule = call.rule;
  r.method = call.method;
  r.url = call.url;
  r.headers_json = headers.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  r.body = call.body;
  r.timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(call.timeout).count();
  r.retries = call.retries;
  r.created_ms = now_ms;
  r.next_ms = now_ms;
  return r;
}

struct SqliteHttpQueue::Statements {
  sql::Stmt insert, due, next_due, remove, retry_later, to_deadletter;
};

SqliteHttpQueue::SqliteHttpQueue(sql::Db& db, SqliteTxn& txn) : db_(db), txn_(txn) {}

SqliteHttpQueue::~SqliteHttpQueue() = default;

Status SqliteHttpQueue::prepare() {
  if (stmts_) return Status();
  return sql::prepare_into(
      db_, stmts_,
      {
          {&Statements::insert,
           "INSERT INTO http_queue(rule, method, url, headers, body, timeout_ms, retries, attempts, created_ms, "
           "next_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
          {&Statements::due,
           "SELECT " EDGEGW_HTTP_COLUMNS " FROM http_queue WHERE next_ms <= ?1 AND id > ?2 ORDER BY id LIMIT ?3"},
          {&Statements::next_due, "SELECT min(next_ms) FROM http_queue WHERE next_ms > ?1"},
          {&Statements::remove, "DELETE FROM http_queue WHERE id = ?1"},
          {&Statements::retry_later, "UPDATE http_queue SET attempts = ?2, next_ms = ?3 WHERE id = ?1"},
          // The call as JSON, so `deadletters retry` can queue it again as it was.
          {&Statements::to_deadletter,
           "INSERT INTO deadletters(kind, detail, reason, attempts, created_ms, failed_ms) "
           "SELECT 'http', json_object('rule', rule, 'method', method, 'url', url, 'headers', json(headers), "
           "'body', body, 'timeout_ms', timeout_ms, 'retries', retries), ?3, ?2, created_ms, ?4 "
           "FROM http_queue WHERE id = ?1"},
      });
}

Result<int64_t> SqliteHttpQueue::insert(const HttpRow& row) {
  if (Status s = prepare(); !s.ok()) return s;
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  sql::Run run = stmts_->insert.run();
  run.bind_text(1, row.rule).bind_text(2, row.method).bind_text(3, row.url).bind_text(4, row.headers_json);
  run.bind_text(5, row.body).bind(6, row.timeout_ms).bind(7, row.retries).bind(8, row.attempts);
  run.bind(9, row.created_ms).bind(10, row.next_ms);
  Status s = run.run_to_done();
  int64_t id = s.ok() ? sqlite3_last_insert_rowid(db_.handle()) : 0;
  if (s = txn_.finish_write(own, std::move(s)); !s.ok()) return s;
  return id;
}

Status SqliteHttpQueue::due(int64_t now_ms, int64_t after_id, size_t limit, std::vector<HttpRow>& out) {
  if (Status s = prepare(); !s.ok()) return s;
  sql::Run run = stmts_->due.run();
  run.bind(1, now_ms).bind(2, after_id).bind(3, clamp_limit(limit));
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) out.push_back(http_row_of(run));
  return run.status(rc);
}

Result<std::optional<int64_t>> SqliteHttpQueue::next_due(int64_t now_ms) {
  if (Status s = prepare(); !s.ok()) return s;
  sql::Run run = stmts_->next_due.run();
  run.bind(1, now_ms);
  int rc = run.step();
  if (rc != SQLITE_ROW) return run.status(rc);
  if (run.is_null(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(run.int64(0));
}

Status SqliteHttpQueue::delivered(int64_t id) {
  if (Status s = prepare(); !s.ok()) return s;
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  sql::Run run = stmts_->remove.run();
  run.bind(1, id);
  return txn_.finish_write(own, run.run_to_done());
}

Status SqliteHttpQueue::retry_later(int64_t id, int attempts, int64_t next_ms) {
  if (Status s = prepare(); !s.ok()) return s;
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  sql::Run run = stmts_->retry_later.run();
  run.bind(1, id).bind(2, attempts).bind(3, next_ms);
  return txn_.finish_write(own, run.run_to_done());
}

Status SqliteHttpQueue::deadletter(int64_t id, int attempts, const std::string& reason, int64_t now_ms) {
  if (Status s = prepare(); !s.ok()) return s;
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  Status s;
  {
    sql::Run run = stmts_->to_deadletter.run();
    run.bind(1, id).bind(2, attempts).bind_text(3, reason).bind(4, now_ms);
    s = run.run_to_done();
  }
  if (s.ok()) {
    sql::Run run = stmts_->remove.run();
    run.bind(1, id);
    s = run.run_to_done();
  }
  return txn_.finish_write(own, std::move(s));
}

Status SqliteHttpQueue::deadletters(size_t limit, std::vector<DeadLetter>& out) {
  auto stmt = db_.prepare(
      "SELECT id, kind, coalesce(detail, ''), reason, attempts, created_ms, failed_ms, coalesce(link, -1), "
      "coalesce(topic, ''), coalesce(length(payload), 0) FROM deadletters ORDER BY id LIMIT ?1");
  if (!stmt.ok()) return stmt.status();
  sql::Run run = stmt->run();
  run.bind(1, clamp_limit(limit));
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) {
    DeadLetter d;
    d.id = run.int64(0);
    d.kind = run.text(1);
    d.detail = run.text(2);
    d.reason = run.text(3);
    d.attempts = static_cast<int>(run.int64(4));
    d.created_ms = run.int64(5);
    d.failed_ms = run.int64(6);
    d.link = static_cast<int>(run.int64(7));
    d.topic = run.text(8);
    d.payload_bytes = run.int64(9);
    out.push_back(std::move(d));
  }
  return run.status(rc);
}

// Runs the statements (?1: one id or NULL for all, ?2: now_ms) in order,
// once per id or once for all, in one transaction; returns the rows the
// last statement changed.
Result<uint64_t> SqliteHttpQueue::deadletters_change(const std::vector<const char*>& sql_texts,
                                                     const std::vector<int64_t>& ids, int64_t now_ms) {
  std::vector<sql::Stmt> stmts;
  for (const char* text : sql_texts) {
    auto stmt = db_.prepare(text);
    if (!stmt.ok()) return stmt.status();
    stmts.push_back(std::move(*stmt));
  }
  bool own = false;
  if (Status s = txn_.start_write(own); !s.ok()) return s;
  uint64_t changed = 0;
  Status s;
  auto once = [&](const int64_t* id) {
    for (size_t i = 0; i < stmts.size() && s.ok(); ++i) {
      sql::Run run = stmts[i].run();
      if (id)
        run.bind(1, *id);
      else
        run.bind_null(1);
      run.bind(2, now_ms);
      s = run.run_to_done();
      if (s.ok() && i + 1 == stmts.size()) changed += static_cast<uint64_t>(sqlite3_changes(db_.handle()));
    }
  };
  if (ids.empty()) once(nullptr);
  for (size_t i = 0; i < ids.size() && s.ok(); ++i) once(&ids[i]);
  if (s = txn_.finish_write(own, std::move(s)); !s.ok()) return s;
  return changed;
}

Result<uint64_t> SqliteHttpQueue::deadletters_retry(const std::vector<int64_t>& ids, int64_t now_ms) {
  // The row goes back to its queue and leaves the dead letters in one
  // transaction; created_ms stays the original time. A poison MQTT row
  // gets a new seq (AUTOINCREMENT never reuses one), so it joins the end of
  // its link's queue; the daemon picks the change up within a second.
  return deadletters_change(
      {"INSERT INTO http_queue(rule, method, url, headers, body, timeout_ms, retries, attempts, created_ms, "
       "next_ms) "
       "SELECT coalesce(json_extract(detail, '$.rule'), ''), coalesce(json_extract(detail, '$.method'), 'POST'), "
       "coalesce(json_extract(detail, '$.url'), ''), coalesce(json_extract(detail, '$.headers'), '{}'), "
       "coalesce(json_extract(detail, '$.body'), ''), coalesce(json_extract(detail, '$.timeout_ms'), 5000), "
       "coalesce(json_extract(detail, '$.retries'), 3), 0, created_ms, ?2 "
       "FROM deadletters WHERE kind = 'http' AND json_valid(detail) AND (?1 IS NULL OR id = ?1) ORDER BY id",
       "INSERT INTO outbox(link, priority, topic, payload, qos, retain, latest_only, replayed, created_ms) "
       "SELECT link, coalesce(json_extract(detail, '$.priority'), 0), topic, payload, "
       "coalesce(json_extract(detail, '$.qos'), 1), coalesce(json_extract(detail, '$.retain'), 0), 0, 1, created_ms "
       "FROM deadletters WHERE kind = 'mqtt' AND link IN (0, 1) AND topic IS NOT NULL AND payload IS NOT NULL "
       "AND json_valid(detail) AND (?1 IS NULL OR id = ?1) AND ?2 = ?2 ORDER BY id",
       "DELETE FROM deadletters WHERE ((kind = 'http' AND json_valid(detail)) OR (kind = 'mqtt' AND link IN (0, 1) "
       "AND topic IS NOT NULL AND payload IS NOT NULL AND json_valid(detail))) AND (?1 IS NULL OR id = ?1) "
       "AND ?2 = ?2"},
      ids, now_ms);
}

Result<uint64_t> SqliteHttpQueue::deadletters_purge(const std::vector<int64_t>& ids) {
  return deadletters_change({"DELETE FROM deadletters WHERE (?1 IS NULL OR id = ?1) AND ?2 = ?2"}, ids, 0);
}

}  // namespace edgegw::gateway
