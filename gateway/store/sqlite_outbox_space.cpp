// gateway/store/sqlite_outbox_space.cpp — free pages and giving them back (see
// sqlite_outbox.h and disk_guard.h).
#include <string>

#include "gateway/store/sqlite_outbox.h"

namespace edgegw::gateway {

Result<uint64_t> SqliteOutbox::free_page_bytes() {
  auto pages = db_->query_int("PRAGMA freelist_count");
  if (!pages.ok()) return pages.status();
  auto size = db_->query_int("PRAGMA page_size");
  if (!size.ok()) return size.status();
  return static_cast<uint64_t>(*pages) * static_cast<uint64_t>(*size);
}

Result<uint64_t> SqliteOutbox::vacuum_step(int pages) {
  if (txn_->active()) return Status::error(db_->name(), "vacuum_step inside a batch");
  auto mode = db_->query_int("PRAGMA auto_vacuum");
  if (!mode.ok()) return mode.status();
  if (*mode != 2) return uint64_t{0};  // 2: incremental
  auto before = db_->query_int("PRAGMA freelist_count");
  if (!before.ok()) return before.status();
  if (*before == 0) return uint64_t{0};
  // sqlite3_exec steps it to the end: each step frees one page.
  const std::string sql = "PRAGMA incremental_vacuum(" + std::to_string(pages) + ")";
  if (Status s = db_->exec(sql.c_str()); !s.ok()) return s;
  if (checkpointer_) checkpointer_->poke();
  auto after = db_->query_int("PRAGMA freelist_count");
  if (!after.ok()) return after.status();
  return static_cast<uint64_t>(*before > *after ? *before - *after : 0);
}

}  // namespace edgegw::gateway
