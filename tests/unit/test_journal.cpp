// The ingress journal: append, tail, reopen, roll-over and release.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "unit/journal_test_helpers.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace edgegw::gateway::journal_test;

TEST_CASE("Does an empty journal open with nothing to read and number the first record 1?", "[journal]") {
  TempDir t;
  auto o = options(t);
  auto j = open_ok(o, 0);
  CHECK(j->recovery().bytes_cut == 0);
  CHECK_FALSE(j->recovery().corrupt_mid_journal);
  CHECK(j->recovery().next_seq == 1);
  CHECK(j->last_appended_seq() == 0);
  CHECK(read_all(*j).empty());
  CHECK(j->caught_up());
  CHECK(append_ok(*j, "a", "1") == 1);
  CHECK_FALSE(j->caught_up());
  CHECK(seqs(read_all(*j)) == std::vector<uint64_t>{1});
  CHECK(j->caught_up());
  CHECK((fs::status(o.dir).permissions() & fs::perms::all) == fs::perms::owner_all);
  CHECK((fs::status(segment(o, 1)).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
}

TEST_CASE("Does every field of a record come back as it was appended?", "[journal]") {
  TempDir t;
  auto j = open_ok(options(t), 0);
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 4096);
  const std::string nul_payload("{\"a\":\0\"b\"}", 10);
  REQUIRE(j->append(Link::upstream, "cmd/x", "", 0, false, -1).ok());
  REQUIRE(j->append(Link::local, "sensors/a", nul_payload, 2, true, 1700000000123).ok());
  REQUIRE(j->append(Link::local, "big", big, 1, false, 5).ok());
  REQUIRE(j->append(Link::upstream, "after/big", "x", 1, true, 6).ok());
  auto rs = read_all(*j, 1000, 4096);  // the 1 MiB record is bigger than a batch: it comes anyway
  REQUIRE(seqs(rs) == iota(1, 4));
  CHECK(rs[0].link == Link::upstream);
  CHECK(rs[0].topic == "cmd/x");
  CHECK(rs[0].payload.empty());
  CHECK(rs[0].qos == 0);
  CHECK_FALSE(rs[0].retain);
  CHECK(rs[0].received_ms == -1);
  CHECK(rs[1].link == Link::local);
  CHECK(rs[1].payload == nul_payload);
  CHECK(rs[1].qos == 2);
  CHECK(rs[1].retain);
  CHECK(rs[1].received_ms == 1700000000123);
  CHECK(rs[2].payload == big);
  CHECK(rs[3].topic == "after/big");
}

TEST_CASE("Does read_next stop at max_records and about max_bytes?", "[journal]") {
  TempDir t;
  auto j = open_ok(options(t), 0);
  append_n(*j, 10);
  std::vector<JournalRecord> out;
  REQUIRE(j->read_next(out, 3, 1 << 20).ok());
  CHECK(seqs(out) == iota(1, 3));
  CHECK_FALSE(j->caught_up());
  out.clear();
  REQUIRE(j->read_next(out, 100, 2 * kFrame).ok());
  CHECK(seqs(out) == iota(4, 5));
  out.clear();
  REQUIRE(j->read_next(out, 100, 1).ok());
  CHECK(seqs(out) == std::vector<uint64_t>{6});
  CHECK(seqs(read_all(*j)) == iota(7, 10));
}

TEST_CASE("Are a bad qos and an oversized topic refused without using a seq?", "[journal]") {
  TempDir t;
  auto j = open_ok(options(t), 0);
  CHECK_FALSE(j->append(Link::local, "a", "p", 3, false, 0).ok());
  CHECK_FALSE(j->append(Link::local, "a", "p", -1, false, 0).ok());
  CHECK_FALSE(j->append(Link::local, std::string(65536, 't'), "p", 1, false, 0).ok());
  CHECK(j->last_appended_seq() == 0);
  CHECK(append_ok(*j, std::string(65535, 't'), "p") == 1);
  CHECK(read_all(*j).at(0).topic.size() == 65535);
}

TEST_CASE("Does a reopened journal resume after the committed position?", "[journal]") {
  TempDir t;
  auto o = options(t);
  append_n(*open_ok(o, 0), 5);
  SECTION("nothing committed") {
    auto j = open_ok(o, 0);
    CHECK(j->recovery().pending_records == 5);
    CHECK(j->backlog_bytes() == 5 * kFrame);
    CHECK(seqs(read_all(*j)) == iota(1, 5));
    CHECK(append_ok(*j, "a", "b") == 6);
  }
  SECTION("some committed") {
    auto j = open_ok(o, 3);
    CHECK(j->recovery().pending_records == 2);
    CHECK(seqs(read_all(*j)) == iota(4, 5));
    CHECK(append_ok(*j, "a", "b") == 6);
    CHECK(seqs(read_all(*j)) == std::vector<uint64_t>{6});
  }
  SECTION("all committed") {
    auto j = open_ok(o, 5);
    CHECK(j->recovery().pending_records == 0);
    CHECK(j->backlog_bytes() == 0);
    CHECK(read_all(*j).empty());
    CHECK(j->last_appended_seq() == 5);
    CHECK(append_ok(*j, "a", "b") == 6);
    CHECK(seqs(read_all(*j)) == std::vector<uint64_t>{6});
  }
  auto again = open_ok(o, 5);  // numbering continues across every reopen
  CHECK(append_ok(*again, "a", "b") == 7);
  CHECK(again->recovery().bytes_cut == 0);
}

TEST_CASE("Does a committed_seq beyond the last record continue the numbering after it?", "[journal]") {
  TempDir t;
  auto o = options(t);
  append_n(*open_ok(o, 0), 3);
  SECTION("records older than the committed position") {
    auto j = open_ok(o, 10);
    CHECK(j->recovery().segments_removed == 1);
    CHECK(j->recovery().next_seq == 11);
    CHECK(j->last_appended_seq() == 10);
    CHECK(read_all(*j).empty());
    CHECK(append_ok(*j, "a", "b") == 11);
    CHECK(seqs(read_all(*j)) == std::vector<uint64_t>{11});
    CHECK(segment_names(o) == std::vector<std::string>{fmt::segment_file_name(11)});
  }
  SECTION("journal directory deleted") {
    fs::remove_all(o.dir);
    auto j = open_ok(o, 42);
    CHECK(append_ok(*j, "a", "b") == 43);
    CHECK(seqs(read_all(*j)) == std::vector<uint64_t>{43});
  }
  auto j = open_ok(o, 0);  // and the new numbering survives a reopen
  CHECK(j->last_appended_seq() > 10);
}

TEST_CASE("Does the journal roll over to new segments and release only wholly committed ones?", "[journal]") {
  TempDir t;
  auto o = options(t, kHeader + 3 * kFrame - 1);  // three records per segment
  auto j = open_ok(o, 0);
  append_n(*j, 10);
  CHECK(segment_names(o) == std::vector<std::string>{fmt::segment_file_name(1), fmt::segment_file_name(4),
                                                     fmt::segment_file_name(7), fmt::segment_file_name(10)});
  CHECK(j->backlog_bytes() == 10 * kFrame);
  std::vector<JournalRecord> rs;
  for (int i = 0; i < 10; ++i) REQUIRE(j->read_next(rs, 1, 1 << 20).ok());  // one record per batch
  REQUIRE(seqs(rs) == iota(1, 10));
  REQUIRE(j->release(5).ok());
  CHECK(segment_names(o).front() == fmt::segment_file_name(4));  // 4..6 holds 6 > 5
  CHECK(j->backlog_bytes() == 5 * kFrame);
  REQUIRE(j->release(9).ok());
  CHECK(segment_names(o) == std::vector<std::string>{fmt::segment_file_name(10)});
  REQUIRE(j->release(10).ok());
  CHECK(segment_names(o) == std::vector<std::string>{fmt::segment_file_name(10)});  // being written
  CHECK(j->backlog_bytes() == 0);
  CHECK(append_ok(*j, "a", "b") == 11);
  CHECK(seqs(read_all(*j)) == std::vector<uint64_t>{11});
  j.reset();
  auto reopened = open_ok(o, 10);
  CHECK(seqs(read_all(*reopened)) == std::vector<uint64_t>{11});
}

TEST_CASE("Are segments the committed position has passed deleted at open?", "[journal]") {
  TempDir t;
  auto o = options(t, kHeader + 3 * kFrame - 1);
  append_n(*open_ok(o, 0), 10);
  auto j = open_ok(o, 7);
  CHECK(j->recovery().segments_removed == 2);
  CHECK(segment_names(o).front() == fmt::segment_file_name(7));
  CHECK(seqs(read_all(*j)) == iota(8, 10));
}

TEST_CASE("Does sync_full append, roll over and read back like the default?", "[journal]") {
  TempDir t;
  auto o = options(t, kHeader + 2 * kFrame);
  o.sync_full = true;
  auto j = open_ok(o, 0);
  append_n(*j, 5);
  CHECK(segment_names(o).size() == 3);
  CHECK(seqs(read_all(*j)) == iota(1, 5));
}

TEST_CASE("Does every record appended by another thread arrive exactly once and in order?", "[journal]") {
  TempDir t;
  auto j = open_ok(options(t, 64 << 10), 0);  // small segments: roll-overs happen mid-read
  constexpr uint64_t kCount = 20000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (uint64_t i = 1; i <= kCount; ++i) {
      std::string payload(i % 700, static_cast<char>('a' + i % 26));
      if (!j->append(Link::local, "seq/" + std::to_string(i), payload, 1, false, 0).ok()) break;
    }
    done = true;
  });
  std::vector<JournalRecord> batch;
  uint64_t expected = 1;
  bool in_order = true;
  // Bounded: once the writer is done, one more pass must drain everything.
  for (bool last_pass = false; !last_pass;) {
    last_pass = done.load();
    do {
      batch.clear();
      REQUIRE(j->read_next(batch, 64, 32 << 10).ok());
      for (const auto& r : batch) {
        in_order = in_order && r.seq == expected && r.topic == "seq/" + std::to_string(expected) &&
                   r.payload.size() == expected % 700;
        ++expected;
      }
      if (!batch.empty()) REQUIRE(j->release(batch.back().seq).ok());
    } while (!batch.empty());
    if (!last_pass) std::this_thread::yield();
  }
  writer.join();
  CHECK(in_order);
  CHECK(expected == kCount + 1);
  CHECK(j->caught_up());
  CHECK(j->backlog_bytes() == 0);
}
