// The engine's batch of journal records: what it read stays until committed.
#include <catch2/catch.hpp>

#include <vector>

#include "gateway/engine/journal_batch.h"
#include "unit/journal_test_helpers.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace edgegw::gateway::journal_test;

TEST_CASE("Does a batch that a full disk deferred keep its records through the next read?", "[journal]") {
  TempDir t;
  auto j = open_ok(options(t), 0);
  append_n(*j, 3);
  JournalBatch batch(*j);
  REQUIRE(batch.fill(100, 1 << 20).ok());
  REQUIRE(seqs(batch.records()) == std::vector<uint64_t>{1, 2, 3});
  // DiskGuard::admit took none; meanwhile the broker's in-flight messages
  // land in the journal and wake the engine, which reads again.
  append_n(*j, 2);
  REQUIRE(batch.fill(100, 1 << 20).ok());
  CHECK(seqs(batch.records()) == std::vector<uint64_t>{1, 2, 3});
  // Room for two: they commit and leave; the third waits, nothing newer joins it.
  batch.taken(2);
  REQUIRE(batch.fill(100, 1 << 20).ok());
  CHECK(seqs(batch.records()) == std::vector<uint64_t>{3});
  batch.taken(1);
  REQUIRE(batch.fill(100, 1 << 20).ok());
  CHECK(seqs(batch.records()) == std::vector<uint64_t>{4, 5});
  batch.taken(2);
  REQUIRE(batch.fill(100, 1 << 20).ok());
  CHECK(batch.empty());
  CHECK(j->caught_up());
}

TEST_CASE("Does a batch read at most max_records, and the rest on the next fill?", "[journal]") {
  TempDir t;
  auto j = open_ok(options(t), 0);
  append_n(*j, 5);
  JournalBatch batch(*j);
  REQUIRE(batch.fill(2, 1 << 20).ok());
  CHECK(seqs(batch.records()) == std::vector<uint64_t>{1, 2});
  CHECK_FALSE(j->caught_up());
  batch.taken(5);  // more than it holds: all of them
  CHECK(batch.empty());
  REQUIRE(batch.fill(10, 1 << 20).ok());
  CHECK(seqs(batch.records()) == std::vector<uint64_t>{3, 4, 5});
}
