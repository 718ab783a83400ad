// tests/unit/test_store_tables.cpp — the tables of outbox.db are classes of
// their own (the queue, state and the journal position, the webhook queue)
// on one connection and one transaction (gateway/store/sqlite_txn.h): a
// batch lands whole or not at all, whichever table failed.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/store/sqlite_outbox.h"
#include "store_test_helpers.h"
#include "support/temp_dir.h"

namespace {

using namespace edgegw;
using namespace edgegw::gateway;
using testing::open_ok;
using testing::row;
using testing::TempDir;

HttpRow hook(int64_t now_ms) {
  HttpRow r;
  r.rule = "leak";
  r.method = "POST";
  r.url = "http://hooks.test/a";
  r.headers_json = "{}";
  r.created_ms = r.next_ms = now_ms;
  return r;
}

// What each table holds, as another opening of the file sees it.
struct Seen {
  uint64_t rows = 0, position = 0;
  size_t states = 0, rule_states = 0, hooks = 0;
};

Seen seen(const std::string& path) {
  OutboxOptions cli;  // as `edgegw buffer` opens it: no write, even while the daemon's batch holds the lock
  cli.create = false;
  cli.quick_check = false;
  cli.recover_corrupt = false;
  auto ob = open_ok(path, cli);
  Seen s;
  s.rows = ob->stats(Link::upstream).messages;
  s.position = ob->journal_position();
  std::vector<std::pair<std::string, std::string>> kv;
  REQUIRE(ob->load_state(kv).ok());
  s.states = kv.size();
  kv.clear();
  REQUIRE(ob->load_rule_states(kv).ok());
  s.rule_states = kv.size();
  std::vector<HttpRow> due;
  REQUIRE(ob->http_due(INT64_MAX, 0, 100, due).ok());
  s.hooks = due.size();
  return s;
}

// Each table holds `n` rows (the position: `position`).
void check_seen(const std::string& path, size_t n, uint64_t position) {
  Seen s = seen(path);
  CHECK(s.rows == n);
  CHECK(s.states == n);
  CHECK(s.rule_states == n);
  CHECK(s.hooks == n);
  CHECK(s.position == position);
}

// One batch that writes to every table.
void write_every_table(SqliteOutbox& ob, uint64_t position) {
  REQUIRE(ob.append(row("t/1", "x"), false).ok());
  REQUIRE(ob.put_state("mode", "\"away\"", 1000).ok());
  REQUIRE(ob.put_rule_state("r1", "bytes").ok());
  REQUIRE(ob.http_insert(hook(1000)).ok());
  REQUIRE(ob.set_journal_position(position).ok());
}

}  // namespace

TEST_CASE("Does one batch over every table of outbox.db land whole at its commit?", "[store][outbox][sqlite]") {
  TempDir dir;
  const std::string path = dir.file("outbox.db");
  {
    auto ob = open_ok(path);
    REQUIRE(ob->begin().ok());
    write_every_table(*ob, 7);
    check_seen(path, 0, 0);  // another connection sees none of it yet
    REQUIRE(ob->commit().ok());
  }
  check_seen(path, 1, 7);
}

TEST_CASE("Does a rolled-back batch leave every table, and the figures in memory, as they were?",
          "[store][outbox][sqlite]") {
  TempDir dir;
  const std::string path = dir.file("outbox.db");
  auto ob = open_ok(path);
  REQUIRE(ob->begin().ok());
  write_every_table(*ob, 7);
  CHECK(ob->journal_position() == 7);
  CHECK(ob->size(Link::upstream) == 1);
  ob->rollback();
  CHECK(ob->journal_position() == 0);
  CHECK(ob->size(Link::upstream) == 0);
  check_seen(path, 0, 0);
}

TEST_CASE("When the queue fails inside a batch, do the other tables' writes in it go too, and later ones fail?",
          "[store][outbox][sqlite]") {
  TempDir dir;
  const std::string path = dir.file("outbox.db");
  OutboxOptions options;
  options.max_db_bytes = 256 << 10;
  auto ob = open_ok(path, options);
  REQUIRE(ob->begin().ok());
  write_every_table(*ob, 7);
  Status failed;
  const std::string payload(2000, 'p');
  for (int i = 0; i < 1000 && failed.ok(); ++i)
    failed = ob->append(row("b/" + std::to_string(i), payload), false).status();
  REQUIRE(failed.code() == StatusCode::full);
  CHECK(ob->journal_position() == 0);                                  // back at begin()
  CHECK(ob->put_state("late", "1", 2000).code() == StatusCode::full);  // the batch is over
  CHECK(ob->http_insert(hook(2000)).status().code() == StatusCode::full);
  CHECK(ob->commit().code() == StatusCode::full);
  ob.reset();
  check_seen(path, 0, 0);
}
