// tests/unit/test_store_status.cpp — the StatusCode of the store's failures
// (gateway/store/sqlite_db.h): what callers branch on instead of asking the
// store whether it saw corruption.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>
#include <memory>
#include <string>

#include "gateway/store/sqlite_db.h"
#include "gateway/store/sqlite_outbox.h"
#include "store_test_helpers.h"
#include "support/temp_dir.h"

namespace {

using namespace edgegw;
using namespace edgegw::gateway;
using testing::row;
using testing::TempDir;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

}  // namespace

TEST_CASE("Does each SQLite result code map to the StatusCode callers branch on?", "[store][status]") {
  CHECK(sql::status_code_of(SQLITE_CORRUPT, 0) == StatusCode::corrupt);
  CHECK(sql::status_code_of(SQLITE_CORRUPT_INDEX, 0) == StatusCode::corrupt);
  CHECK(sql::status_code_of(SQLITE_NOTADB, 0) == StatusCode::corrupt);
  CHECK(sql::status_code_of(SQLITE_FULL, 0) == StatusCode::full);
  CHECK(sql::status_code_of(SQLITE_IOERR_WRITE, ENOSPC) == StatusCode::full);  // the -shm or a truncate
  CHECK(sql::status_code_of(SQLITE_IOERR_WRITE, EIO) == StatusCode::io);
  CHECK(sql::status_code_of(SQLITE_IOERR_FSYNC, 0) == StatusCode::io);
  CHECK(sql::status_code_of(SQLITE_BUSY, 0) == StatusCode::busy);
  CHECK(sql::status_code_of(SQLITE_BUSY_SNAPSHOT, 0) == StatusCode::busy);
  CHECK(sql::status_code_of(SQLITE_LOCKED, 0) == StatusCode::busy);
  CHECK(sql::status_code_of(SQLITE_CONSTRAINT_UNIQUE, 0) == StatusCode::error);
  CHECK(sql::status_code_of(SQLITE_ERROR, ENOSPC) == StatusCode::error);
}

TEST_CASE("Does a database at its max_db_bytes cap fail with StatusCode::full, its batch's commit too?",
          "[store][status][outbox][sqlite]") {
  TempDir dir;
  OutboxOptions options;
  options.max_db_bytes = 256 << 10;
  auto ob = SqliteOutbox::open(dir.file("outbox.db"), options);
  REQUIRE(ob.ok());
  const std::string payload(2000, 'p');
  Status failed;
  for (int i = 0; i < 1000 && failed.ok(); ++i)
    failed = (*ob)->append(row("t/" + std::to_string(i), payload), false).status();
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.code() == StatusCode::full);

  for (int64_t seq = 1; seq <= 20; ++seq) REQUIRE((*ob)->remove(seq).ok());
  REQUIRE((*ob)->begin().ok());
  Status in_batch;
  for (int i = 0; i < 1000 && in_batch.ok(); ++i)
    in_batch = (*ob)->append(row("b/" + std::to_string(i), payload), false).status();
  CHECK(in_batch.code() == StatusCode::full);
  Status commit = (*ob)->commit();
  CHECK(commit.code() == StatusCode::full);
  CHECK(commit.message() == "outbox.db: database or disk is full");
}

TEST_CASE("Does a file that is not a database fail with StatusCode::corrupt, and a newer schema not?",
          "[store][status][outbox][sqlite]") {
  TempDir dir;
  OutboxOptions options;
  options.recover_corrupt = false;  // the CLI: fail instead of moving it aside
  SECTION("garbage") {
    write_bytes(dir.file("outbox.db"), std::string(8192, 'G'));
    auto r = SqliteOutbox::open(dir.file("outbox.db"), options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::corrupt);
  }
  SECTION("a schema from a newer edgegw is refused, but it is no corruption") {
    { REQUIRE(SqliteOutbox::open(dir.file("outbox.db"), {}).ok()); }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.file("outbox.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto r = SqliteOutbox::open(dir.file("outbox.db"), options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::error);
  }
}

TEST_CASE("Does a write the lock of another process holds off fail with StatusCode::busy?",
          "[store][status][outbox][sqlite]") {
  TempDir dir;
  OutboxOptions options;
  options.busy_timeout = std::chrono::milliseconds(0);
  auto ob = SqliteOutbox::open(dir.file("outbox.db"), options);
  REQUIRE(ob.ok());
  sqlite3* other = nullptr;  // e.g. `edgegw buffer purge` in the middle of its transaction
  REQUIRE(sqlite3_open(dir.file("outbox.db").c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  auto r = (*ob)->append(row("t/1", "x"), false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::busy);
  REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  CHECK((*ob)->append(row("t/1", "x"), false).ok());
}

TEST_CASE("Once a connection saw corruption, are later failures of every connection sharing its flag corrupt?",
          "[store][status][sqlite]") {
  TempDir dir;
  write_bytes(dir.file("bad.db"), std::string(8192, 'G'));
  sql::DbOptions options;
  options.create = true;
  options.quick_check = false;
  SECTION("shared, as the outbox shares it with its checkpoint thread") {
    options.corrupt_flag = std::make_shared<std::atomic<bool>>(false);
  }
  SECTION("not shared") {}
  auto good = sql::Db::open(dir.file("good.db"), options);
  REQUIRE(good.ok());
  REQUIRE((*good)->configure(options).ok());
  CHECK((*good)->exec("SELECT * FROM missing").code() == StatusCode::error);

  auto bad = sql::Db::open(dir.file("bad.db"), options);
  REQUIRE(bad.ok());
  Status s = (*bad)->configure(options);
  CHECK(s.code() == StatusCode::corrupt);
  CHECK((*bad)->corrupt_seen());
  CHECK((*bad)->exec("SELECT * FROM missing").code() == StatusCode::corrupt);  // sticky

  const bool shared = options.corrupt_flag != nullptr;
  CHECK((*good)->corrupt_seen() == shared);
  CHECK((*good)->exec("SELECT * FROM missing").code() == (shared ? StatusCode::corrupt : StatusCode::error));
}
