// gateway/store/sqlite_http_queue.h — the webhook tables of outbox.db: the
// durable queue of `http` action calls (table http_queue) and the dead
// letters (table deadletters), of both kinds: 'http' (a call that finally
// failed) and 'mqtt' (a poison outbox row, written by SqliteQueue).
//
// Writes join the open batch (sqlite_txn.h), so a call enters the queue in
// the transaction of the batch that decided it, and leaves it in the one
// that records its outcome (http_queue.h). The CLI's dead-letter commands
// are each one transaction. Failures are Status values as the connection
// makes them (sqlite_db.h). Threads: those of the connection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "gateway/store/http_queue.h"
#include "gateway/store/sqlite_db.h"
#include "gateway/store/sqlite_txn.h"

namespace edgegw::gateway {

class SqliteHttpQueue {
 public:
  // Borrows `db` and `txn`; both must outlive it. Statements are prepared on
  // first use.
  SqliteHttpQueue(sql::Db& db, SqliteTxn& txn);
  ~SqliteHttpQueue();

  // Returns the new row's id.
  Result<int64_t> insert(const HttpRow& row);
  // Rows due at or before now_ms with id > after_id, in id order, at most `limit`.
  Status due(int64_t now_ms, int64_t after_id, size_t limit, std::vector<HttpRow>& out);
  Result<std::optional<int64_t>> next_due(int64_t now_ms);  // earliest next_ms after now_ms
  Status delivered(int64_t id);                             // deletes the row
  Status retry_later(int64_t id, int attempts, int64_t next_ms);
  // Moves the row to deadletters (kind 'http', detail = the call as JSON).
  Status deadletter(int64_t id, int attempts, const std::string& reason, int64_t now_ms);

  // For `edgegw deadletters`: ids empty means every row (of a kind that can
  // be retried, for retry). Retry moves rows back into their queue: http
  // rows with attempts 0, due now; mqtt rows at the end of their link's
  // queue, with a new seq.
  Status deadletters(size_t limit, std::vector<DeadLetter>& out);
  Result<uint64_t> deadletters_retry(const std::vector<int64_t>& ids, int64_t now_ms);
  Result<uint64_t> deadletters_purge(const std::vector<int64_t>& ids);

 private:
  struct Statements;
  Status prepare();
  Result<uint64_t> deadletters_change(const std::vector<const char*>& sql_texts, const std::vector<int64_t>& ids,
                                      int64_t now_ms);

  sql::Db& db_;
  SqliteTxn& txn_;
  std::unique_ptr<Statements> stmts_;  // null until first use
};

}  // namespace edgegw::gateway
