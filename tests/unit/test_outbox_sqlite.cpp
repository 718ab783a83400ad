// tests/unit/test_outbox_sqlite.cpp — what only the SQLite outbox has: the
// file on disk, another process's purge, corruption, schema versions, a full
// database, and the `edgegw buffer` commands. The shared contract is in
// test_outbox.cpp.
#include <sqlite3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/cli/buffer_cli.h"
#include "gateway/store/sqlite_outbox.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace {

using namespace edgegw;
using namespace edgegw::gateway;
namespace fs = std::filesystem;

using testing::TempDir;

std::unique_ptr<SqliteOutbox> open_ok(const std::string& path, OutboxOptions options = {}) {
  auto r = SqliteOutbox::open(path, options);
  INFO(r.status().message());
  REQUIRE(r.ok());
  return std::move(*r);
}

OutboxRow row(std::string topic, std::string payload = "x", int64_t created_ms = 1000, Link link = Link::upstream) {
  OutboxRow r;
  r.link = link;
  r.topic = std::move(topic);
  r.payload = std::move(payload);
  r.created_ms = created_ms;
  return r;
}

void add(Outbox& ob, OutboxRow r) {
  auto res = ob.append(std::move(r), false);
  INFO(res.status().message());
  REQUIRE(res.ok());
  REQUIRE(res->stored);
}

void write_file(const std::string& path, const std::string& bytes, std::streamoff at = 0) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  if (!f) f.open(path, std::ios::out | std::ios::binary);
  f.seekp(at);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void exec_raw(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

std::vector<std::string> quarantined_in(const TempDir& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(dir.file("")))) {
    std::string n = e.path().filename().string();
    if (n.find(".corrupt-") != std::string::npos) names.push_back(n);
  }
  return names;
}

}  // namespace

TEST_CASE("Do committed rows, counters and the journal position survive a reopen?", "[outbox][sqlite]") {
  TempDir dir;
  {
    auto ob = open_ok(dir.file("outbox.db"));
    add(*ob, row("t/1"));  // outside begin/commit: its own transaction
    REQUIRE(ob->set_journal_position(41).ok());
    REQUIRE(ob->begin().ok());
    add(*ob, row("t/2", "yz", 2000, Link::local));
    REQUIRE(ob->set_journal_position(42).ok());
    REQUIRE(ob->commit().ok());
  }
  auto ob = open_ok(dir.file("outbox.db"));
  CHECK(ob->journal_position() == 42);
  CHECK(ob->stats(Link::upstream).messages == 1);
  CHECK(ob->stats(Link::local).bytes == 5);
  CHECK(ob->stats(Link::local).oldest_created_ms == 2000);
}

TEST_CASE("Does checkpoint() say when every commit is durable, and not while a reader holds the WAL?",
          "[outbox][sqlite]") {
  TempDir dir;
  const std::string path = dir.file("outbox.db");
  auto ob = open_ok(path);
  add(*ob, row("t/1"));
  auto done = ob->checkpoint();
  REQUIRE(done.ok());
  CHECK(*done);

  sqlite3* reader = nullptr;  // e.g. `edgegw buffer list` in the middle of a read
  REQUIRE(sqlite3_open(path.c_str(), &reader) == SQLITE_OK);
  REQUIRE(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM outbox;", nullptr, nullptr, nullptr) == SQLITE_OK);
  add(*ob, row("t/2"));
  auto held = ob->checkpoint();
  REQUIRE(held.ok());
  CHECK_FALSE(*held);
  REQUIRE(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(reader);
  CHECK(*ob->checkpoint());
}

// One batch as the engine commits it: a row and the journal position.
void commit_batch(SqliteOutbox& ob, const std::string& topic, uint64_t journal_seq) {
  REQUIRE(ob.begin().ok());
  add(ob, row(topic));
  REQUIRE(ob.set_journal_position(journal_seq).ok());
  REQUIRE(ob.commit().ok());
}

TEST_CASE("With background checkpoints, does the durable journal position follow commits, and wait for a reader?",
          "[outbox][sqlite]") {
  TempDir dir;
  const std::string path = dir.file("outbox.db");
  OutboxOptions options;
  options.background_checkpoints = true;
  auto ob = open_ok(path, options);
  auto durable = [&] {
    auto d = ob->durable_journal_position(false);
    REQUIRE(d.ok());
    return *d;
  };
  CHECK(durable() == 0);
  // Its own connection syncs nothing (the thread's does, sqlite_db.h).
  auto sync = ob->db().query_int("PRAGMA synchronous");
  REQUIRE(sync.ok());
  CHECK(*sync == 0);  // OFF
  commit_batch(*ob, "t/1", 5);
  // The checkpoint thread covers it within its one-second tick.
  REQUIRE(testing::wait_until([&] { return durable() == 5; }, std::chrono::seconds(10)));

  sqlite3* reader = nullptr;  // e.g. `edgegw buffer list` in the middle of a read
  REQUIRE(sqlite3_open(path.c_str(), &reader) == SQLITE_OK);
  REQUIRE(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM outbox;", nullptr, nullptr, nullptr) == SQLITE_OK);
  commit_batch(*ob, "t/2", 9);
  auto d = ob->durable_journal_position(/*wait=*/true);  // a checkpoint here, held back by the reader
  REQUIRE(d.ok());
  CHECK(*d == 0);
  CHECK(durable() == 5);
  REQUIRE(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(reader);
  REQUIRE(testing::wait_until([&] { return durable() == 9; }, std::chrono::seconds(10)));
}

TEST_CASE("Does a growing WAL wake the checkpoint thread at once, and an idle one leave the disk alone?",
          "[outbox][sqlite]") {
  TempDir dir;
  const std::string path = dir.file("outbox.db");
  auto ob = open_ok(path);  // creates the file; its own connection checkpoints nothing here
  sql::DbOptions db_options;
  db_options.create = false;
  auto ckpt = WalCheckpointer::start(path, db_options, /*wake_frames=*/100, /*every=*/std::chrono::hours(1));
  REQUIRE(ckpt.ok());
  WalCheckpointer& c = **ckpt;
  c.committed(3);
  c.wal_grew(99);  // below the mark: waits for the (hour-long) tick
  c.wal_grew(100);
  REQUIRE(testing::wait_until([&] { return c.durable() == 3; }, std::chrono::seconds(10)));
  CHECK(c.runs() == 1);
  CHECK(c.status().ok());
  // Woken again with nothing new committed: it runs (the WAL is what grew),
  // and the mark stays.
  c.wal_grew(150);
  REQUIRE(testing::wait_until([&] { return c.runs() == 2; }, std::chrono::seconds(10)));
  CHECK(c.durable() == 3);
}

TEST_CASE("Is the outbox file readable by its owner only?", "[outbox][sqlite]") {
  TempDir dir;
  auto ob = open_ok(dir.file("outbox.db"));
  add(*ob, row("t/1"));
  for (const char* name : {"outbox.db", "outbox.db-wal"}) {
    struct stat st {};
    REQUIRE(::stat(dir.file(name).c_str(), &st) == 0);
    INFO(name);
    CHECK((st.st_mode & 0077) == 0);
  }
}

TEST_CASE("Does the daemon's outbox see a purge made by another process?", "[outbox][sqlite]") {
  TempDir dir;
  OutboxOptions options;
  options.limits.max_messages = 4;
  options.limits.when_full = WhenFull::reject_new;
  auto daemon = open_ok(dir.file("outbox.db"), options);
  for (const char* t : {"a/1", "a/2", "b/1"}) add(*daemon, row(t));
  add(*daemon, row("a/1", "x", 1000, Link::local));

  std::ostringstream out, err;
  REQUIRE(buffer_purge(dir.file("outbox.db"), out, err, Link::upstream, std::string("a/#")) == 0);
  CHECK(out.str() == "purged 2 rows (upstream: 2)\n");
  CHECK(daemon->stats(Link::upstream).messages == 3);  // not yet seen
  REQUIRE(daemon->refresh_if_changed().ok());
  CHECK(daemon->stats(Link::upstream).messages == 1);
  CHECK(daemon->stats(Link::local).messages == 1);
  CHECK(daemon->counters(Link::upstream).purged == 2);

  // begin() refreshes too, so the limits see the purge before the next append.
  for (const char* t : {"c/1", "c/2", "c/3"}) add(*daemon, row(t));
  REQUIRE(buffer_purge(dir.file("outbox.db"), out, err, std::nullopt, std::nullopt) == 0);
  REQUIRE(daemon->begin().ok());
  CHECK(daemon->stats(Link::upstream).messages == 0);
  add(*daemon, row("d/1"));
  REQUIRE(daemon->commit().ok());
  CHECK(daemon->counters(Link::upstream).purged == 6);
  CHECK(daemon->counters(Link::local).purged == 1);
}

TEST_CASE("Does a purge remove every matching row, however many, and only those?", "[outbox][sqlite]") {
  TempDir dir;
  auto ob = open_ok(dir.file("outbox.db"));
  REQUIRE(ob->begin().ok());
  for (int i = 0; i < 2500; ++i) {
    add(*ob, row("a/" + std::to_string(i)));
    if (i % 100 == 0) add(*ob, row("b/" + std::to_string(i)));
  }
  REQUIRE(ob->commit().ok());
  auto purged = ob->purge(Link::upstream, std::string("a/+"));
  REQUIRE(purged.ok());
  CHECK(*purged == 2500);
  CHECK(ob->stats(Link::upstream).messages == 25);
  CHECK(ob->counters(Link::upstream).purged == 2500);
}

TEST_CASE("Is a file that is not a database moved aside and replaced by a fresh outbox?", "[outbox][sqlite]") {
  TempDir dir;
  const std::string path = dir.file("outbox.db");
  const std::string garbage(8192, 'G');
  write_file(path, garbage);
  write_file(path + "-wal", "stale wal");

  SECTION("the daemon quarantines it and starts fresh") {
    auto ob = open_ok(path);
    const std::string moved = ob->quarantined_path();
    REQUIRE_FALSE(moved.empty());
    const std::string name = fs::path(moved).filename().string();  // outbox.corrupt-<unix s>.db
    REQUIRE(name.size() > 18);
    CHECK(name.rfind("outbox.corrupt-", 0) == 0);
    CHECK(name.substr(name.size() - 3) == ".db");
    CHECK(name.find_first_not_of("0123456789", 15) == name.size() - 3);
    CHECK(read_file(moved) == garbage);
    CHECK(read_file(moved + "-wal") == "stale wal");
    add(*ob, row("t/1"));
    CHECK(ob->stats(Link::upstream).messages == 1);
  }
  SECTION("without recover_corrupt (the CLI) it fails and moves nothing") {
    OutboxOptions options;
    options.recover_corrupt = false;
    auto r = SqliteOutbox::open(path, options);
    CHECK_FALSE(r.ok());
    CHECK(r.status().message() == "outbox.db: file is not a database");
    CHECK(read_file(path) == garbage);
    CHECK(quarantined_in(dir).empty());
  }
}

TEST_CASE("Does quick_check at open catch a damaged page that opening alone would not read?", "[outbox][sqlite]") {
  TempDir dir;
  const std::string path = dir.file("outbox.db");
  {
    auto ob = open_ok(path);
    add(*ob, row("t/1"));
  }                  // the last connection checkpoints the WAL into the file on close
  int64_t page = 0;  // the (empty) state table's only page: nothing but quick_check reads it
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_master WHERE name = 'state'", -1, &stmt, nullptr) ==
            SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    page = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }
  REQUIRE(page > 1);
  write_file(path, std::string(16, '\xff'), (page - 1) * 4096);
  auto ob = open_ok(path);
  CHECK_FALSE(ob->quarantined_path().empty());
  CHECK(ob->stats(Link::upstream).messages == 0);
}

TEST_CASE("Are only the newest keep_corrupt quarantined files kept?", "[outbox][sqlite]") {
  TempDir dir;
  for (const char* old : {"outbox.corrupt-100.db", "outbox.corrupt-200.db", "outbox.corrupt-300.db"}) {
    write_file(dir.file(old), "old");
  }
  write_file(dir.file("outbox.corrupt-100.db-wal"), "old wal");
  write_file(dir.file("outbox.db"), std::string(4096, 'G'));
  auto ob = open_ok(dir.file("outbox.db"));
  auto names = quarantined_in(dir);
  CHECK(names.size() == 3);
  CHECK_FALSE(fs::exists(dir.file("outbox.corrupt-100.db")));
  CHECK_FALSE(fs::exists(dir.file("outbox.corrupt-100.db-wal")));
  CHECK(fs::exists(dir.file("outbox.corrupt-300.db")));
  CHECK(fs::exists(ob->quarantined_path()));
}

TEST_CASE("Is an outbox written by a newer edgegw refused, and left alone?", "[outbox][sqlite]") {
  TempDir dir;
  const std::string path = dir.file("outbox.db");
  { auto ob = open_ok(path); }
  exec_raw(path, "PRAGMA user_version = 3");
  auto r = SqliteOutbox::open(path, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "outbox.db: schema version 3 is newer than this edgegw supports (2); refusing to open it");
  CHECK(quarantined_in(dir).empty());
}

TEST_CASE("Does a full database fail cleanly, roll the batch back, and recover once rows leave?", "[outbox][sqlite]") {
  TempDir dir;
  OutboxOptions options;
  options.max_db_bytes = 256 << 10;  // the cap: SQLITE_FULL at a logical limit
  auto ob = open_ok(dir.file("outbox.db"), options);
  const std::string payload(2000, 'p');
  Status full;
  int stored = 0;
  for (; stored < 1000; ++stored) {
    auto r = ob->append(row("t/" + std::to_string(stored), payload), false);
    if (!r.ok()) {
      full = r.status();
      break;
    }
  }
  REQUIRE_FALSE(full.ok());
  CHECK(full.message() == "outbox.db: database or disk is full");
  CHECK(ob->stats(Link::upstream).messages == static_cast<uint64_t>(stored));

  for (int64_t seq = 1; seq <= 20; ++seq) REQUIRE(ob->remove(seq).ok());  // not wedged
  const uint64_t before = ob->stats(Link::upstream).messages;
  REQUIRE(ob->begin().ok());
  REQUIRE(ob->set_journal_position(5).ok());
  Status failed;
  for (int i = 0; i < 1000 && failed.ok(); ++i) {
    failed = ob->append(row("b/" + std::to_string(i), payload), false).status();
  }
  REQUIRE_FALSE(failed.ok());
  CHECK_FALSE(ob->remove(21).ok());  // the batch is over: nothing more may land in it
  CHECK(ob->commit().message() == "outbox.db: database or disk is full");
  CHECK(ob->stats(Link::upstream).messages == before);
  CHECK(ob->journal_position() == 0);
  add(*ob, row("after", payload));
}

TEST_CASE("Does `edgegw buffer list` show each row with an escaped payload preview?", "[outbox][cli]") {
  TempDir dir;
  {
    auto ob = open_ok(dir.file("outbox.db"));
    add(*ob, row("dev/1/cmd", "on\n\x01\"", 1000, Link::local));
    add(*ob, row("sites/gw/t", std::string(50, 'a'), 61'000));
  }
  std::ostringstream out, err;
  REQUIRE(buffer_list(dir.file("outbox.db"), out, err, 3'661'000, 10, std::nullopt, false) == 0);
  CHECK_THAT(out.str(), Catch::Contains(R"(dev/1/cmd  "on\n\x01\"")"));
  CHECK_THAT(out.str(), Catch::Contains("1h1m"));
  CHECK_THAT(out.str(), Catch::Contains(std::string(40, 'a') + "...\""));

  std::ostringstream js;
  REQUIRE(buffer_list(dir.file("outbox.db"), js, err, 3'661'000, 10, Link::upstream, true) == 0);
  auto j = nlohmann::json::parse(js.str());
  REQUIRE(j["rows"].size() == 1);
  CHECK(j["rows"][0]["topic"] == "sites/gw/t");
  CHECK(j["rows"][0]["payload_bytes"] == 50);
  CHECK(j["rows"][0]["age_ms"] == 3'600'000);
}

TEST_CASE("Does `edgegw buffer stats` report each link, and refuse a missing file?", "[outbox][cli]") {
  TempDir dir;
  {
    auto ob = open_ok(dir.file("outbox.db"));
    add(*ob, row("t/1", "abc", 5000));
    REQUIRE(ob->set_journal_position(17).ok());
  }
  std::ostringstream out, err;
  REQUIRE(buffer_stats(dir.file("outbox.db"), out, err, 65'000, true) == 0);
  auto j = nlohmann::json::parse(out.str());
  CHECK(j["journal_position"] == 17);
  CHECK(j["links"]["upstream"]["messages"] == 1);
  CHECK(j["links"]["upstream"]["bytes"] == 6);
  CHECK(j["links"]["upstream"]["oldest_age_ms"] == 60'000);
  CHECK(j["links"]["local"]["oldest_age_ms"].is_null());

  std::ostringstream text;
  REQUIRE(buffer_stats(dir.file("outbox.db"), text, err, 65'000, false) == 0);
  CHECK_THAT(text.str(), Catch::Contains("journal position: 17"));

  CHECK(buffer_stats(dir.file("missing.db"), out, err, 0, false) == 1);
  CHECK_THAT(err.str(), Catch::Contains("missing.db"));
  CHECK_FALSE(fs::exists(dir.file("missing.db")));
}

TEST_CASE("Does `edgegw buffer purge` refuse an invalid topic filter?", "[outbox][cli]") {
  TempDir dir;
  {
    auto ob = open_ok(dir.file("outbox.db"));
    add(*ob, row("a/b"));
  }
  std::ostringstream out, err;
  CHECK(buffer_purge(dir.file("outbox.db"), out, err, std::nullopt, std::string("a/#/b")) == 1);
  CHECK(err.str() == "edgegw buffer: outbox.db: invalid topic filter 'a/#/b'\n");
  CHECK(open_ok(dir.file("outbox.db"))->stats(Link::upstream).messages == 1);
}

TEST_CASE("Does the payload preview escape non-printable bytes and cut long payloads?", "[outbox][cli]") {
  CHECK(payload_preview(std::string("a\0b\\\t\xff", 6)) == R"(a\x00b\\\t\xff)");
  CHECK(payload_preview(std::string(41, 'x')) == std::string(40, 'x') + "...");
  CHECK(payload_preview("") == "");
}

TEST_CASE("Does gateway state written by set actions survive a reopen, last value winning?", "[outbox][sqlite]") {
  TempDir dir;
  {
    auto ob = open_ok(dir.file("outbox.db"));
    REQUIRE(ob->begin().ok());
    REQUIRE(ob->put_state("mode", "\"away\"", 1000).ok());
    REQUIRE(ob->put_state("count", "3", 1000).ok());
    REQUIRE(ob->put_state("mode", "\"home\"", 2000).ok());
    REQUIRE(ob->commit().ok());
  }
  auto ob = open_ok(dir.file("outbox.db"));
  std::vector<std::pair<std::string, std::string>> state;
  REQUIRE(ob->load_state(state).ok());
  REQUIRE(state.size() == 2);
  CHECK(state[0] == std::make_pair(std::string("count"), std::string("3")));
  CHECK(state[1] == std::make_pair(std::string("mode"), std::string("\"home\"")));
}
