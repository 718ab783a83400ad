// The webhook queue in SQLite (http_queue, deadletters) and the dispatcher
// that drives it, with a fake worker: no sockets, times passed in.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/cli/deadletters_cli.h"
#include "gateway/http/http_dispatch.h"
#include "gateway/store/sqlite_outbox.h"
#include "support/temp_dir.h"

namespace {

using namespace edgegw;
using namespace edgegw::gateway;
using namespace std::chrono_literals;
using testing::TempDir;

std::unique_ptr<SqliteOutbox> open_ok(const std::string& path) {
  auto r = SqliteOutbox::open(path, {});
  INFO(r.status().message());
  REQUIRE(r.ok());
  return std::move(*r);
}

rules::HttpCall call(std::string url = "http://hooks.test/a", int retries = 2) {
  rules::HttpCall c;
  c.rule = "leak";
  c.method = "POST";
  c.url = std::move(url);
  c.headers = {{"X-Site", "pi"}, {"Content-Type", "application/json"}};
  c.body = "{\"room\":\"bath\"}";
  c.timeout = 2s;
  c.retries = retries;
  return c;
}

std::vector<HttpRow> due(SqliteOutbox& ob, int64_t now_ms) {
  std::vector<HttpRow> rows;
  REQUIRE(ob.http_due(now_ms, 0, 100, rows).ok());
  return rows;
}

std::vector<DeadLetter> dead(SqliteOutbox& ob) {
  std::vector<DeadLetter> rows;
  REQUIRE(ob.deadletters(100, rows).ok());
  return rows;
}

std::shared_ptr<spdlog::logger> quiet() { return std::make_shared<spdlog::logger>("http-test"); }  // no sinks

class FakeWorker final : public HttpJobSink {
 public:
  void submit(HttpJob job) override { jobs.push_back(std::move(job)); }
  void take_results(std::vector<HttpOutcome>& out) override {
    out.insert(out.end(), results.begin(), results.end());
    results.clear();
  }
  // Answers the oldest job not answered yet.
  void answer(bool ok, const std::string& error = "HTTP 500") {
    REQUIRE(answered < jobs.size());
    results.push_back({jobs[answered++].id, ok, !ok, ok ? "" : error});
  }
  std::vector<HttpJob> jobs;
  std::vector<HttpOutcome> results;
  size_t answered = 0;
};

// The dispatcher as the engine drives it: every write in a batch.
struct Rig {
  TempDir dir;
  std::unique_ptr<SqliteOutbox> ob = open_ok(dir.file("outbox.db"));
  FakeWorker worker;
  Metrics metrics;
  std::unique_ptr<HttpDispatch> http = make(HttpDispatchOptions{8, 1s, 5min, 1});

  std::unique_ptr<HttpDispatch> make(HttpDispatchOptions o) {
    return std::make_unique<HttpDispatch>(*ob, worker, metrics, quiet(), o);
  }
  void enqueue(const rules::HttpCall& c, int64_t now_ms) {
    REQUIRE(ob->begin().ok());
    REQUIRE(http->enqueue(c, now_ms).ok());
    REQUIRE(ob->commit().ok());
  }
  void settle(MonoTime now, int64_t now_ms) {  // outcomes in, written, committed
    REQUIRE(http->take_results(now));
    REQUIRE(ob->begin().ok());
    REQUIRE(http->apply_results(now_ms).ok());
    REQUIRE(ob->commit().ok());
    http->committed();
  }
};

MonoTime mono(Duration d) { return MonoTime(d); }

}  // namespace

TEST_CASE("Is a queued call stored whole and due at once, and the next due time found?", "[http][sqlite]") {
  TempDir dir;
  auto ob = open_ok(dir.file("outbox.db"));
  auto id = ob->http_insert(http_row_from(call(), 1000));
  REQUIRE(id.ok());
  HttpRow later = http_row_from(call("http://b/"), 1000);
  later.next_ms = 5000;
  REQUIRE(ob->http_insert(later).ok());
  auto rows = due(*ob, 1000);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == *id);
  CHECK(rows[0].rule == "leak");
  CHECK(rows[0].method == "POST");
  CHECK(rows[0].url == "http://hooks.test/a");
  CHECK(rows[0].headers_json == "{\"X-Site\":\"pi\",\"Content-Type\":\"application/json\"}");  // order kept
  CHECK(rows[0].body == "{\"room\":\"bath\"}");
  CHECK(rows[0].timeout_ms == 2000);
  CHECK(rows[0].retries == 2);
  CHECK(rows[0].attempts == 0);
  auto next = ob->http_next_due(1000);
  REQUIRE(next.ok());
  CHECK(*next == std::optional<int64_t>(5000));
  CHECK(due(*ob, 5000).size() == 2);
}

TEST_CASE("Does a call queued in a batch that rolls back vanish with it?", "[http][sqlite]") {
  TempDir dir;
  auto ob = open_ok(dir.file("outbox.db"));
  REQUIRE(ob->begin().ok());
  REQUIRE(ob->http_insert(http_row_from(call(), 1000)).ok());
  ob->rollback();
  CHECK(due(*ob, 1000).empty());
}

TEST_CASE("Does a dead letter keep the call as JSON, and does retry queue it again with attempts 0?",
          "[http][sqlite]") {
  TempDir dir;
  auto ob = open_ok(dir.file("outbox.db"));
  auto id = ob->http_insert(http_row_from(call(), 1000));
  REQUIRE(id.ok());
  REQUIRE(ob->http_retry_later(*id, 1, 2000).ok());
  CHECK(due(*ob, 1999).empty());
  REQUIRE(ob->http_deadletter(*id, 3, "HTTP 503", 9000).ok());
  CHECK(due(*ob, 99999).empty());
  auto letters = dead(*ob);
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].kind == "http");
  CHECK(letters[0].reason == "HTTP 503");
  CHECK(letters[0].attempts == 3);
  CHECK(letters[0].created_ms == 1000);
  CHECK(letters[0].failed_ms == 9000);
  auto detail = nlohmann::json::parse(letters[0].detail);
  CHECK(detail["rule"] == "leak");
  CHECK(detail["url"] == "http://hooks.test/a");
  CHECK(detail["headers"]["X-Site"] == "pi");
  CHECK(detail["body"] == "{\"room\":\"bath\"}");
  CHECK(detail["timeout_ms"] == 2000);
  CHECK(detail["retries"] == 2);

  auto moved = ob->deadletters_retry({}, 20000);
  REQUIRE(moved.ok());
  CHECK(*moved == 1);
  CHECK(dead(*ob).empty());
  auto rows = due(*ob, 20000);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].attempts == 0);
  CHECK(rows[0].created_ms == 1000);
  CHECK(rows[0].headers_json == "{\"X-Site\":\"pi\",\"Content-Type\":\"application/json\"}");
  CHECK(rows[0].body == "{\"room\":\"bath\"}");
  CHECK(rows[0].timeout_ms == 2000);
  CHECK(rows[0].retries == 2);
}

TEST_CASE("Do retry and purge by id touch only those ids?", "[http][sqlite]") {
  TempDir dir;
  auto ob = open_ok(dir.file("outbox.db"));
  for (int i = 0; i < 3; ++i) {
    auto id = ob->http_insert(http_row_from(call(), 1000));
    REQUIRE(id.ok());
    REQUIRE(ob->http_deadletter(*id, 1, "timeout", 2000).ok());
  }
  auto letters = dead(*ob);
  REQUIRE(letters.size() == 3);
  auto moved = ob->deadletters_retry({letters[1].id, 999}, 3000);
  REQUIRE(moved.ok());
  CHECK(*moved == 1);
  CHECK(due(*ob, 3000).size() == 1);
  auto purged = ob->deadletters_purge({letters[0].id});
  REQUIRE(purged.ok());
  CHECK(*purged == 1);
  REQUIRE(dead(*ob).size() == 1);
  CHECK(dead(*ob)[0].id == letters[2].id);
  purged = ob->deadletters_purge({});
  REQUIRE(purged.ok());
  CHECK(*purged == 1);
  CHECK(dead(*ob).empty());
}

TEST_CASE("Does a version-1 outbox gain the http_queue table when opened?", "[http][sqlite]") {
  TempDir dir;
  const std::string path = dir.file("outbox.db");
  { auto ob = open_ok(path); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "DROP TABLE http_queue; PRAGMA user_version = 1;", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto ob = open_ok(path);
  CHECK(ob->http_insert(http_row_from(call(), 1)).ok());
}

TEST_CASE("Does the daemon's connection notice a retry committed by another process?", "[http][sqlite]") {
  TempDir dir;
  const std::string path = dir.file("outbox.db");
  auto daemon = open_ok(path);
  auto id = daemon->http_insert(http_row_from(call(), 1000));
  REQUIRE(id.ok());
  REQUIRE(daemon->http_deadletter(*id, 1, "HTTP 500", 2000).ok());
  REQUIRE(daemon->refresh_if_changed().ok());
  CHECK_FALSE(daemon->take_external_change());  // its own commits are not news
  std::ostringstream out, err;
  REQUIRE(deadletters_retry(path, out, err, {}, true, 3000) == 0);
  CHECK(out.str() == "queued 1 dead letter\n");
  REQUIRE(daemon->refresh_if_changed().ok());
  CHECK(daemon->take_external_change());
  CHECK_FALSE(daemon->take_external_change());  // once
}

TEST_CASE("Do the deadletters commands refuse a bare retry or purge, and report unknown ids?", "[http][cli]") {
  TempDir dir;
  const std::string path = dir.file("outbox.db");
  { auto ob = open_ok(path); }
  std::ostringstream out, err;
  CHECK(deadletters_retry(path, out, err, {}, false, 0) == 1);
  CHECK(err.str() == "edgegw deadletters: give the ids to retry, or --all (not both)\n");
  std::ostringstream out2, err2;
  CHECK(deadletters_purge(path, out2, err2, {42}, false) == 1);
  CHECK(out2.str() == "purged 0 dead letters\n");
  CHECK(err2.str() == "edgegw deadletters: 1 of the given id(s) matched no dead letter\n");
  std::ostringstream out3, err3;
  CHECK(deadletters_list(dir.file("missing.db"), out3, err3, 10, true) == 1);
  CHECK_FALSE(std::filesystem::exists(dir.file("missing.db")));
}

TEST_CASE("Does a delivered call leave the queue and count as sent?", "[http][dispatch]") {
  Rig r;
  r.enqueue(call(), 1000);
  r.http->pump(mono(1s), 1000);
  REQUIRE(r.worker.jobs.size() == 1);
  CHECK(r.worker.jobs[0].url == "http://hooks.test/a");
  CHECK(r.worker.jobs[0].timeout == 2s);
  CHECK(r.worker.jobs[0].headers ==
        std::vector<std::pair<std::string, std::string>>{{"X-Site", "pi"}, {"Content-Type", "application/json"}});
  r.http->pump(mono(1s), 1000);
  CHECK(r.worker.jobs.size() == 1);  // in flight: not handed over twice
  r.worker.answer(true);
  r.settle(mono(1s), 1100);
  CHECK(due(*r.ob, 99999).empty());
  CHECK(Metrics::get(r.metrics.http_sent) == 1);
  CHECK(Metrics::get(r.metrics.http_failed) == 0);
  CHECK(r.http->in_flight() == 0);
}

TEST_CASE("Is a failing call retried with backoff and dead-lettered once attempts exceed retries?",
          "[http][dispatch]") {
  Rig r;
  r.enqueue(call("http://hooks.test/a", /*retries=*/2), 1000);
  int64_t now_ms = 1000;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    r.http->pump(mono(Duration(std::chrono::milliseconds(now_ms))), now_ms);
    REQUIRE(r.worker.jobs.size() == static_cast<size_t>(attempt));
    r.worker.answer(false);
    r.settle(mono(Duration(std::chrono::milliseconds(now_ms))), now_ms);
    auto rows = due(*r.ob, 999999);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].attempts == attempt);
    int64_t wait = rows[0].next_ms - now_ms;
    int64_t nominal = 1000 << (attempt - 1);  // 1 s, 2 s
    CHECK(wait >= nominal * 3 / 4);
    CHECK(wait <= nominal);
    // Not before it is due.
    r.http->pump(mono(Duration(std::chrono::milliseconds(now_ms + 1))), now_ms + 1);
    CHECK(r.worker.jobs.size() == static_cast<size_t>(attempt));
    auto deadline = r.http->next_deadline(mono(Duration(std::chrono::milliseconds(now_ms))), now_ms);
    REQUIRE(deadline);
    CHECK(*deadline == mono(Duration(std::chrono::milliseconds(rows[0].next_ms))));
    now_ms = rows[0].next_ms;
  }
  r.http->pump(mono(Duration(std::chrono::milliseconds(now_ms))), now_ms);
  REQUIRE(r.worker.jobs.size() == 3);
  r.worker.answer(false, "Connection refused");
  r.settle(mono(Duration(std::chrono::milliseconds(now_ms))), now_ms);
  CHECK(due(*r.ob, 99999999).empty());
  auto letters = dead(*r.ob);
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].reason == "Connection refused");
  CHECK(letters[0].attempts == 3);
  CHECK(Metrics::get(r.metrics.http_failed) == 3);
  CHECK(Metrics::get(r.metrics.http_deadlettered) == 1);
  CHECK(Metrics::get(r.metrics.http_sent) == 0);
}

TEST_CASE("Does an open breaker hold a host's calls without using their attempts, then send one trial?",
          "[http][dispatch][breaker]") {
  Rig r;
  r.http = r.make(HttpDispatchOptions{8, 1ms, 1ms, 1});  // backoff out of the way: the breaker decides
  for (int i = 0; i < 6; ++i) r.enqueue(call("http://down.test/x", 10), 1000);
  r.enqueue(call("http://up.test/y", 10), 1000);
  int64_t now_ms = 1000;
  MonoTime now = mono(100s);
  // One call per host at a time: five failures in a row to down.test.
  for (int i = 0; i < 5; ++i) {
    r.http->pump(now, now_ms);
    while (r.worker.answered < r.worker.jobs.size()) {
      bool down = r.worker.jobs[r.worker.answered].url == "http://down.test/x";
      r.worker.answer(!down);
    }
    r.settle(now, now_ms);
    now_ms += 10;  // past every backoff
  }
  size_t down_calls = 0;
  for (const auto& j : r.worker.jobs) down_calls += j.url == "http://down.test/x";
  CHECK(down_calls == 5);
  // Open: the rows wait, due, and nothing is sent to that host.
  r.http->pump(now + 29s, now_ms);
  CHECK(r.worker.jobs.size() == 6);  // 5 down + 1 up
  auto rows = due(*r.ob, now_ms);
  REQUIRE(rows.size() == 6);
  int attempts = 0;
  for (const auto& row : rows) attempts += row.attempts;
  CHECK(attempts == 5);  // the five that failed, nothing for waiting
  auto deadline = r.http->next_deadline(now + 29s, now_ms);
  REQUIRE(deadline);
  CHECK(*deadline == now + 30s);
  // Half-open after 30 s: exactly one trial; its success closes the breaker.
  r.http->pump(now + 30s, now_ms);
  REQUIRE(r.worker.jobs.size() == 7);
  r.http->pump(now + 30s, now_ms);
  CHECK(r.worker.jobs.size() == 7);
  r.worker.answer(true);
  r.settle(now + 30s, now_ms);
  r.http->pump(now + 30s, now_ms);
  CHECK(r.worker.jobs.size() == 8);  // closed again: the next one goes
}

TEST_CASE("Are rows left in the queue by a previous run handed to the worker at start?", "[http][dispatch]") {
  Rig r;
  r.enqueue(call(), 1000);
  r.enqueue(call("http://other.test/"), 1000);
  r.http->pump(mono(1s), 1000);
  REQUIRE(r.worker.jobs.size() == 2);
  // A restart: a new dispatcher, nothing answered; the rows are still there.
  FakeWorker fresh;
  HttpDispatch again(*r.ob, fresh, r.metrics, quiet(), HttpDispatchOptions{8, 1s, 5min, 1});
  again.pump(mono(2s), 2000);
  CHECK(fresh.jobs.size() == 2);
}

TEST_CASE("Does the dispatcher hand at most max_in_flight jobs to the worker?", "[http][dispatch]") {
  Rig r;
  r.http = r.make(HttpDispatchOptions{2, 1s, 5min, 1});
  for (int i = 0; i < 5; ++i) r.enqueue(call("http://h" + std::to_string(i) + ".test/"), 1000);
  r.http->pump(mono(1s), 1000);
  CHECK(r.worker.jobs.size() == 2);
  r.worker.answer(true);
  r.settle(mono(1s), 1000);
  r.http->pump(mono(1s), 1000);
  CHECK(r.worker.jobs.size() == 3);
}
