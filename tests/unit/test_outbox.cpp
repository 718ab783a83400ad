// tests/unit/test_outbox.cpp — the Outbox contract, run on SqliteOutbox and
// on the MemoryOutbox fake (so the fake cannot drift), then what only the
// SQLite store has: persistence, another process's purge, corruption, schema
// versions, a full database, and the `edgegw buffer` commands.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

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
#include "support/memory_outbox.h"

namespace {

using namespace edgegw;
using namespace edgegw::gateway;
namespace fs = std::filesystem;

using testing::TempDir;

OutboxRow row(std::string topic, std::string payload = "x", int64_t created_ms = 1000, Link link = Link::upstream,
              Priority p = Priority::normal) {
  OutboxRow r;
  r.link = link;
  r.topic = std::move(topic);
  r.payload = std::move(payload);
  r.created_ms = created_ms;
  r.priority = p;
  return r;
}

OutboxRow latest(std::string topic, std::string payload, Link link = Link::upstream) {
  OutboxRow r = row(std::move(topic), std::move(payload), 1000, link);
  r.latest_only = true;
  return r;
}

int64_t add(Outbox& ob, OutboxRow r, bool replace_latest = false) {
  auto res = ob.append(std::move(r), replace_latest);
  REQUIRE(res.ok());
  REQUIRE(res->stored);
  return res->seq;
}

// Every row of one queue, read in pages of `page`.
std::vector<OutboxRow> read_all(Outbox& ob, Link link, Priority p = Priority::normal, size_t page = 2) {
  std::vector<OutboxRow> all;
  int64_t after = 0;
  for (;;) {
    std::vector<OutboxRow> rows;
    REQUIRE(ob.read(link, p, after, page, rows).ok());
    REQUIRE(rows.size() <= page);
    if (rows.empty()) return all;
    after = rows.back().seq;
    all.insert(all.end(), rows.begin(), rows.end());
  }
}

std::vector<std::string> topics(const std::vector<OutboxRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.topic);
  return out;
}

OutboxLimits limits(uint64_t max_messages, uint64_t max_bytes, WhenFull when_full) {
  OutboxLimits l;
  l.max_messages = max_messages;
  l.max_bytes = max_bytes;
  l.when_full = when_full;
  return l;
}

struct SqliteFixture {
  TempDir dir;
  OutboxLimits limits;
  std::unique_ptr<SqliteOutbox> outbox;

  std::string path() const { return (dir.path() / "outbox.db").string(); }
  Outbox& open(OutboxLimits l = {}) {
    limits = l;
    outbox.reset();
    OutboxOptions options;
    options.limits = l;
    auto r = SqliteOutbox::open(path(), options);
    INFO(r.status().message());
    REQUIRE(r.ok());
    outbox = std::move(*r);
    return *outbox;
  }
  Outbox& reopen() { return open(limits); }  // a restart: only what was committed survives
};

struct MemoryFixture {
  std::unique_ptr<testing::MemoryOutbox> outbox;

  Outbox& open(OutboxLimits l = {}) {
    outbox = std::make_unique<testing::MemoryOutbox>(l);
    return *outbox;
  }
  Outbox& reopen() { return *outbox; }  // the fake keeps its state, as a restart would
};

}  // namespace

// ---- the contract, on both stores --------------------------------------------

TEMPLATE_TEST_CASE("Does seq keep growing, never reused, after the queue drains and the store reopens?", "[outbox]",
                   SqliteFixture, MemoryFixture) {
  TestType fx;
  Outbox& ob = fx.open();
  int64_t a = add(ob, row("t/a"));
  int64_t b = add(ob, row("t/b"));
  CHECK(b > a);
  REQUIRE(ob.remove(a).ok());
  REQUIRE(ob.remove(b).ok());
  CHECK(ob.stats(Link::upstream).messages == 0);
  int64_t c = add(ob, row("t/c"));
  CHECK(c > b);  // drained, still no reuse
  REQUIRE(ob.remove(c).ok());
  Outbox& again = fx.reopen();
  CHECK(again.stats(Link::upstream).messages == 0);
  CHECK(add(again, row("t/d")) > c);
}

TEMPLATE_TEST_CASE("Does read() page through one queue in seq order, priorities apart?", "[outbox]", SqliteFixture,
                   MemoryFixture) {
  TestType fx;
  Outbox& ob = fx.open();
  for (int i = 0; i < 5; ++i) {
    add(ob, row("n/" + std::to_string(i)));
    add(ob, row("h/" + std::to_string(i), "x", 1000, Link::upstream, Priority::high));
  }
  CHECK(topics(read_all(ob, Link::upstream, Priority::normal)) ==
        std::vector<std::string>{"n/0", "n/1", "n/2", "n/3", "n/4"});
  CHECK(topics(read_all(ob, Link::upstream, Priority::high)) ==
        std::vector<std::string>{"h/0", "h/1", "h/2", "h/3", "h/4"});
  auto normal = read_all(ob, Link::upstream);
  std::vector<OutboxRow> rest;
  REQUIRE(ob.read(Link::upstream, Priority::normal, normal[2].seq, 10, rest).ok());
  CHECK(topics(rest) == std::vector<std::string>{"n/3", "n/4"});
  CHECK(read_all(ob, Link::local).empty());
}

TEMPLATE_TEST_CASE("Does a row come back byte-exact with every field?", "[outbox]", SqliteFixture, MemoryFixture) {
  TestType fx;
  Outbox& ob = fx.open();
  OutboxRow in =
      row("sites/a/\xc3\xa9t\xc3\xa9", std::string("\0\xff{\"a\":1}\n", 11), 1234567, Link::local, Priority::high);
  in.qos = 0;
  in.retain = true;
  in.latest_only = true;
  in.replayed = true;
  int64_t seq = add(ob, in);
  add(ob, row("empty", "", 5, Link::local, Priority::high));
  auto rows = read_all(fx.reopen(), Link::local, Priority::high);
  REQUIRE(rows.size() == 2);
  const OutboxRow& out = rows[0];
  CHECK(out.seq == seq);
  CHECK(out.link == Link::local);
  CHECK(out.priority == Priority::high);
  CHECK(out.topic == in.topic);
  CHECK(out.payload == in.payload);
  CHECK(out.qos == 0);
  CHECK(out.retain);
  CHECK(out.latest_only);
  CHECK(out.replayed);
  CHECK(out.created_ms == 1234567);
  CHECK(rows[1].payload.empty());
  CHECK(fx.reopen().stats(Link::local).bytes == in.topic.size() + in.payload.size() + 5);
}

TEMPLATE_TEST_CASE("Are the links separate queues with their own stats and limits?", "[outbox]", SqliteFixture,
                   MemoryFixture) {
  TestType fx;
  Outbox& ob = fx.open(limits(2, 1 << 20, WhenFull::reject_new));
  add(ob, row("up/1", "aa", 100));
  add(ob, row("up/2", "aa", 200));
  auto third = ob.append(row("up/3"), false);
  REQUIRE(third.ok());
  CHECK_FALSE(third->stored);
  add(ob, row("lo/1", "abc", 300, Link::local));  // the full upstream queue does not block local
  CHECK(ob.stats(Link::upstream).messages == 2);
  CHECK(ob.stats(Link::upstream).bytes == 12);
  CHECK(ob.stats(Link::upstream).oldest_created_ms == 100);
  CHECK(ob.stats(Link::local).messages == 1);
  CHECK(ob.size(Link::upstream) == 2);  // what the forwarder asks on every turn
  CHECK(ob.size(Link::local) == 1);
  CHECK(ob.stats(Link::local).bytes == 7);
  CHECK(ob.stats(Link::local).oldest_created_ms == 300);
  CHECK(ob.counters(Link::upstream).rejected_full == 1);
  CHECK(ob.counters(Link::local).rejected_full == 0);
  CHECK(topics(read_all(ob, Link::local)) == std::vector<std::string>{"lo/1"});
}

TEMPLATE_TEST_CASE("Is removing an unknown or already removed seq harmless?", "[outbox]", SqliteFixture,
                   MemoryFixture) {
  TestType fx;
  Outbox& ob = fx.open();
  int64_t a = add(ob, row("t/a", "12345", 10));
  int64_t b = add(ob, row("t/b", "12345", 20));
  CHECK(ob.remove(b + 1000).ok());
  REQUIRE(ob.remove(a).ok());
  CHECK(ob.remove(a).ok());
  LinkStats st = ob.stats(Link::upstream);
  CHECK(st.messages == 1);
  CHECK(ob.size(Link::upstream) == 1);
  CHECK(st.bytes == 8);
  CHECK(st.oldest_created_ms == 20);
  REQUIRE(ob.remove(b).ok());
  CHECK(ob.stats(Link::upstream).oldest_created_ms == 0);
  CHECK(ob.size(Link::upstream) == 0);
}

TEMPLATE_TEST_CASE("Does drop_oldest make room from the oldest normal rows first, and count them?", "[outbox]",
                   SqliteFixture, MemoryFixture) {
  TestType fx;
  Outbox& ob = fx.open(limits(3, 1 << 20, WhenFull::drop_oldest));
  add(ob, row("h/1", "x", 1, Link::upstream, Priority::high));
  add(ob, row("n/1", "x", 2));
  add(ob, row("n/2", "x", 3));
  auto r = ob.append(row("n/3", "x", 4), false);
  REQUIRE(r.ok());
  CHECK(r->stored);
  CHECK(r->dropped_oldest == 1);
  CHECK(topics(read_all(ob, Link::upstream)) == std::vector<std::string>{"n/2", "n/3"});
  add(ob, row("h/2", "x", 5, Link::upstream, Priority::high));  // drops n/2
  add(ob, row("h/3", "x", 6, Link::upstream, Priority::high));  // drops n/3
  add(ob, row("h/4", "x", 7, Link::upstream, Priority::high));  // no normal left: drops h/1
  CHECK(read_all(ob, Link::upstream).empty());
  CHECK(topics(read_all(ob, Link::upstream, Priority::high)) == std::vector<std::string>{"h/2", "h/3", "h/4"});
  CHECK(ob.counters(Link::upstream).dropped_full == 4);
  CHECK(ob.counters(Link::upstream).rejected_full == 0);
  CHECK(ob.stats(Link::upstream).messages == 3);
  CHECK(ob.stats(Link::upstream).oldest_created_ms == 5);
  CHECK(fx.reopen().counters(Link::upstream).dropped_full == 4);
}

TEMPLATE_TEST_CASE("Does reject_new refuse a row on a full queue, keep the rest, and count it?", "[outbox]",
                   SqliteFixture, MemoryFixture) {
  TestType fx;
  Outbox& ob = fx.open(limits(2, 1 << 20, WhenFull::reject_new));
  add(ob, row("t/1"));
  add(ob, row("t/2"));
  auto r = ob.append(row("t/3"), false);
  REQUIRE(r.ok());
  CHECK_FALSE(r->stored);
  CHECK(r->dropped_oldest == 0);
  CHECK(topics(read_all(ob, Link::upstream)) == std::vector<std::string>{"t/1", "t/2"});
  CHECK(ob.counters(Link::upstream).rejected_full == 1);
  CHECK(fx.reopen().counters(Link::upstream).rejected_full == 1);
}

TEMPLATE_TEST_CASE("Does max_bytes count topic plus payload bytes, under both policies?", "[outbox]", SqliteFixture,
                   MemoryFixture) {
  TestType fx;
  const std::string p29(29, 'p');  // + the 1-byte topic: 30 bytes a row
  SECTION("drop_oldest drops until the new row fits") {
    Outbox& ob = fx.open(limits(1000, 100, WhenFull::drop_oldest));
    for (char t : {'a', 'b', 'c'}) add(ob, row(std::string(1, t), p29));
    auto r = ob.append(row("d", std::string(69, 'p')), false);  // 70 bytes: two must go
    REQUIRE(r.ok());
    CHECK(r->dropped_oldest == 2);
    CHECK(topics(read_all(ob, Link::upstream)) == std::vector<std::string>{"c", "d"});
    CHECK(ob.stats(Link::upstream).bytes == 100);
    CHECK(ob.counters(Link::upstream).dropped_full == 2);
  }
  SECTION("reject_new takes a row that fits exactly and refuses one byte more") {
    Outbox& ob = fx.open(limits(1000, 100, WhenFull::reject_new));
    for (char t : {'a', 'b', 'c'}) add(ob, row(std::string(1, t), p29));
    auto over = ob.append(row("d", std::string(10, 'p')), false);
    REQUIRE(over.ok());
    CHECK_FALSE(over->stored);
    add(ob, row("d", std::string(9, 'p')));
    CHECK(ob.stats(Link::upstream).bytes == 100);
    CHECK(ob.counters(Link::upstream).rejected_full == 1);
  }
  SECTION("a row larger than max_bytes is rejected, even by drop_oldest") {
    Outbox& ob = fx.open(limits(1000, 100, WhenFull::drop_oldest));
    add(ob, row("a", p29));
    auto big = ob.append(row("b", std::string(100, 'p')), false);
    REQUIRE(big.ok());
    CHECK_FALSE(big->stored);
    CHECK(big->dropped_oldest == 0);
    CHECK(ob.stats(Link::upstream).messages == 1);
    CHECK(ob.counters(Link::upstream).rejected_full == 1);
    CHECK(ob.counters(Link::upstream).dropped_full == 0);
  }
}

TEMPLATE_TEST_CASE("Does a latest_only row replace only the older latest_only rows of its link and topic?", "[outbox]",
                   SqliteFixture, MemoryFixture) {
  TestType fx;
  Outbox& ob = fx.open();
  add(ob, latest("th/1", "20"), true);
  add(ob, row("th/1", "keep_all row"), true);  // not latest_only: never replaced
  add(ob, latest("th/2", "other topic"), true);
  add(ob, latest("th/1", "local", Link::local), true);
  auto r = ob.append(latest("th/1", "21"), true);
  REQUIRE(r.ok());
  CHECK(r->stored);
  CHECK(r->replaced == 1);
  CHECK(r->dropped_oldest == 0);
  auto rows = read_all(ob, Link::upstream);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].payload == "keep_all row");
  CHECK(rows[1].payload == "other topic");
  CHECK(rows[2].payload == "21");
  CHECK(read_all(ob, Link::local).size() == 1);
  auto without = ob.append(latest("th/1", "22"), false);  // replace_latest off (link up): kept
  REQUIRE(without.ok());
  CHECK(without->replaced == 0);
  CHECK(ob.stats(Link::upstream).messages == 4);
  CHECK(ob.counters(Link::upstream).dropped_full == 0);
}

TEMPLATE_TEST_CASE("Is a latest_only row's predecessor kept when reject_new refuses the new one?", "[outbox]",
                   SqliteFixture, MemoryFixture) {
  TestType fx;
  Outbox& ob = fx.open(limits(1000, 100, WhenFull::reject_new));
  add(ob, latest("a", std::string(29, 'p')), true);             // 30 bytes
  add(ob, row("b", std::string(59, 'p')));                      // 60 bytes
  auto r = ob.append(latest("a", std::string(44, 'p')), true);  // 45 > 100 - 60
  REQUIRE(r.ok());
  CHECK_FALSE(r->stored);
  CHECK(r->replaced == 0);
  CHECK(topics(read_all(ob, Link::upstream)) == std::vector<std::string>{"a", "b"});
  auto fits = ob.append(latest("a", std::string(39, 'p')), true);  // 40: fits once "a" goes
  REQUIRE(fits.ok());
  CHECK(fits->stored);
  CHECK(fits->replaced == 1);
  CHECK(ob.stats(Link::upstream).bytes == 100);
}

TEMPLATE_TEST_CASE("Does expire() remove rows older than max_age from each queue, and count them?", "[outbox]",
                   SqliteFixture, MemoryFixture) {
  TestType fx;
  const int64_t hour = 3600'000;
  OutboxLimits l;
  l.max_age = std::chrono::hours(1);
  SECTION("old rows go, young rows stay") {
    Outbox& ob = fx.open(l);
    add(ob, row("a", "x", 0));
    add(ob, row("b", "x", 1000, Link::upstream, Priority::high));
    add(ob, row("c", "x", 2000, Link::local));
    add(ob, row("d", "x", 2 * hour));
    auto n = ob.expire(hour + 1500);  // cutoff 1500
    REQUIRE(n.ok());
    CHECK(*n == 2);
    CHECK(topics(read_all(ob, Link::upstream)) == std::vector<std::string>{"d"});
    CHECK(read_all(ob, Link::upstream, Priority::high).empty());
    CHECK(ob.stats(Link::upstream).oldest_created_ms == 2 * hour);
    CHECK(ob.counters(Link::upstream).expired == 2);
    CHECK(ob.counters(Link::local).expired == 0);
    CHECK(*ob.expire(hour + 1500) == 0);
    CHECK(*ob.expire(hour + 2001) == 1);
    CHECK(ob.counters(Link::local).expired == 1);
  }
  SECTION("after the clock stepped back a row stays longer, never goes early") {
    Outbox& ob = fx.open(l);
    add(ob, row("a", "x", 5000));
    add(ob, row("b", "x", 7000));
    add(ob, row("c", "x", 1000));  // appended after a backwards step
    CHECK(*ob.expire(hour + 5500) == 1);
    CHECK(topics(read_all(ob, Link::upstream)) == std::vector<std::string>{"b", "c"});
    CHECK(*ob.expire(hour + 7001) == 2);
  }
  SECTION("a long outage expires in full, however many rows") {
    Outbox& ob = fx.open(l);
    REQUIRE(ob.begin().ok());
    for (int i = 0; i < 2500; ++i) add(ob, row("t/" + std::to_string(i), "x", i));
    add(ob, row("young", "x", 2 * hour));
    REQUIRE(ob.commit().ok());
    CHECK(*ob.expire(hour + 2500) == 2500);
    CHECK(topics(read_all(ob, Link::upstream)) == std::vector<std::string>{"young"});
    CHECK(ob.counters(Link::upstream).expired == 2500);
  }
  SECTION("max_age 0 keeps everything") {
    l.max_age = Duration::zero();
    Outbox& ob = fx.open(l);
    add(ob, row("a", "x", 0));
    CHECK(*ob.expire(100 * hour) == 0);
    CHECK(ob.stats(Link::upstream).messages == 1);
  }
}

TEMPLATE_TEST_CASE("Does a rolled-back batch leave no trace, and a committed one land whole?", "[outbox]",
                   SqliteFixture, MemoryFixture) {
  TestType fx;
  Outbox& ob = fx.open(limits(3, 1 << 20, WhenFull::reject_new));
  int64_t kept = add(ob, row("kept", "x", 10));
  REQUIRE(ob.begin().ok());
  add(ob, row("t/1", "x", 20));
  add(ob, row("t/2", "x", 30, Link::local));
  REQUIRE(ob.append(row("t/3"), false).ok());  // the queue is full: rejected, counted
  REQUIRE(ob.remove(kept).ok());
  REQUIRE(ob.set_journal_position(7).ok());
  CHECK(ob.stats(Link::upstream).messages == 2);
  ob.rollback();
  CHECK(ob.stats(Link::upstream).messages == 1);
  CHECK(ob.stats(Link::upstream).oldest_created_ms == 10);
  CHECK(ob.stats(Link::local).messages == 0);
  CHECK(ob.counters(Link::upstream).rejected_full == 0);
  CHECK(ob.journal_position() == 0);
  CHECK(topics(read_all(ob, Link::upstream)) == std::vector<std::string>{"kept"});

  REQUIRE(ob.begin().ok());
  add(ob, row("t/4", "x", 40));
  REQUIRE(ob.remove(kept).ok());
  REQUIRE(ob.set_journal_position(9).ok());
  REQUIRE(ob.commit().ok());
  Outbox& again = fx.reopen();
  CHECK(topics(read_all(again, Link::upstream)) == std::vector<std::string>{"t/4"});
  CHECK(again.journal_position() == 9);
  CHECK(again.stats(Link::upstream).messages == 1);
}

TEMPLATE_TEST_CASE("Can a backlog of 200k rows be read page by page in order?", "[outbox]", SqliteFixture,
                   MemoryFixture) {
  TestType fx;
  Outbox& ob = fx.open();
  const int kRows = 200'000;
  REQUIRE(ob.begin().ok());
  for (int i = 0; i < kRows; ++i) {
    auto r = ob.append(row("sites/gw/sensor/" + std::to_string(i % 50), "{\"v\":21.5}", i), false);
    REQUIRE(r.ok());
  }
  add(ob, row("lo/after-backlog", "x", kRows, Link::local));
  REQUIRE(ob.commit().ok());
  CHECK(ob.stats(Link::upstream).messages == kRows);
  // The local queue behind the backlog is one seek away, not a scan.
  CHECK(topics(read_all(ob, Link::local)) == std::vector<std::string>{"lo/after-backlog"});
  int64_t after = 0;
  size_t total = 0, pages = 0;
  bool ordered = true;
  for (;;) {
    std::vector<OutboxRow> page;
    REQUIRE(ob.read(Link::upstream, Priority::normal, after, 1000, page).ok());
    if (page.empty()) break;
    REQUIRE(page.size() <= 1000);
    for (const auto& r : page) {
      ordered = ordered && r.seq > after;
      after = r.seq;
    }
    total += page.size();
    ++pages;
  }
  CHECK(ordered);
  CHECK(total == kRows);
  CHECK(pages == 200);
}

// ---- the fake's own failure injection ---------------------------------------------

TEST_CASE("Does the fake roll a batch back when a write in it fails, as the real store does?", "[outbox][fake]") {
  testing::MemoryOutbox ob;
  add(ob, row("kept"));
  REQUIRE(ob.begin().ok());
  add(ob, row("lost"));
  ob.fail_next_write(Status::error("outbox.db", "database or disk is full"));
  CHECK_FALSE(ob.remove(1).ok());
  CHECK_FALSE(ob.append(row("after"), false).ok());  // the batch is dead until it ends
  Status s = ob.commit();
  CHECK(s.message() == "outbox.db: database or disk is full");
  CHECK(topics(read_all(ob, Link::upstream)) == std::vector<std::string>{"kept"});
  CHECK(ob.append(row("next"), false).ok());
}
