// The kept journal window (gateway.journal_keep) and reading it from another
// process (scan_journal): what `edgegw journal export` and `edgegw test
// --from-journal` see.
#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <chrono>

#include "gateway/journal/journal_keep.h"
#include "gateway/journal/journal_scan.h"
#include "unit/journal_test_helpers.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace edgegw::gateway::journal_test;

namespace {

constexpr int64_t kHour = 3600 * 1000;

std::vector<uint64_t> scanned(const JournalOptions& o, uint64_t after = 0) {
  std::vector<uint64_t> out;
  auto st = scan_journal(o.dir, after, [&](JournalRecord& r) {
    out.push_back(r.seq);
    return true;
  });
  INFO(st.status().message());
  REQUIRE(st.ok());
  return out;
}

// Makes a segment look last written `age_ms` ago.
void age_file(const fs::path& p, int64_t age_ms) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const int64_t then_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count() - age_ms;
  timespec times[2] = {{then_ms / 1000, (then_ms % 1000) * 1'000'000}, {then_ms / 1000, (then_ms % 1000) * 1'000'000}};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times, 0) == 0);
}

}  // namespace

TEST_CASE("Does the window keep the newest committed segments by size and by age?", "[journal][keep]") {
  const JournalKeep keep{24 * kHour, 300};
  const int64_t now = 100 * kHour;
  // Oldest first: 100 bytes each.
  std::vector<KeptSegment> segs{{100, now - 30 * kHour}, {100, now - 2 * kHour}, {100, now - kHour}};
  CHECK(expired_prefix(segs, keep, now) == 1);  // too old
  segs[0].written_ms = now - 3 * kHour;
  CHECK(expired_prefix(segs, keep, now) == 0);  // 300 bytes, all young
  segs.push_back({100, now});
  CHECK(expired_prefix(segs, keep, now) == 1);                     // 400 bytes: the oldest goes
  CHECK(expired_prefix(segs, JournalKeep{0, 1 << 30}, now) == 4);  // age 0: keep nothing
}

TEST_CASE("Are released segments kept inside the window, across a restart, and read in order?", "[journal][keep]") {
  TempDir t;
  auto o = options(t, kHeader + 3 * kFrame);  // 3 records a segment
  o.keep = JournalKeep{24 * kHour, 1 << 20};
  {
    auto j = open_ok(o, 0);
    append_n(*j, 10);  // segments 1, 4, 7, 10
    REQUIRE(read_all(*j).size() == 10);
    REQUIRE(j->release(10).ok());
    CHECK(segment_names(o).size() == 4);  // kept: nothing is old or big
    CHECK(j->kept_bytes() == 3 * (kHeader + 3 * kFrame));
    CHECK(scanned(o) == iota(1, 10));
  }
  auto j = open_ok(o, 10);  // a restart: the window is still there, numbering goes on
  CHECK(append_ok(*j, "t/after", "x") == 11);
  CHECK(scanned(o) == iota(1, 11));
  CHECK(scanned(o, 5) == iota(6, 11));
  CHECK(read_all(*j).size() == 1);  // the engine reads only what it has not committed
}

TEST_CASE("Do kept segments go once old, once over max_bytes, or when the disk needs the room?", "[journal][keep]") {
  TempDir t;
  auto o = options(t, kHeader + 3 * kFrame);
  o.keep = JournalKeep{24 * kHour, 2 * (kHeader + 3 * kFrame)};  // room for two segments
  auto j = open_ok(o, 0);
  append_n(*j, 10);
  read_all(*j);
  REQUIRE(j->release(10).ok());
  CHECK(scanned(o).front() == 4);  // segment 1 went: over max_bytes
  age_file(segment(o, 4), 25 * kHour);
  REQUIRE(j->trim().ok());
  CHECK(scanned(o).front() == 7);  // segment 4 went: older than a day
  REQUIRE(j->pause_keeping(true).ok());
  CHECK(scanned(o) == std::vector<uint64_t>{10});  // only the one being written
  CHECK(j->kept_bytes() == 0);
  append_n(*j, 3);  // segment 13 starts; 10 is released while paused: not kept
  read_all(*j);
  REQUIRE(j->release(12).ok());
  CHECK(scanned(o) == std::vector<uint64_t>{13});
  REQUIRE(j->pause_keeping(false).ok());
  append_n(*j, 3);  // segment 16; 13 is released and kept again
  read_all(*j);
  REQUIRE(j->release(15).ok());
  CHECK(scanned(o) == iota(13, 16));
}

TEST_CASE("Does a restart drop the segments that fell out of the window while the gateway was down?",
          "[journal][keep]") {
  TempDir t;
  auto o = options(t, kHeader + 3 * kFrame);
  o.keep = JournalKeep{24 * kHour, 1 << 20};
  {
    auto j = open_ok(o, 0);
    append_n(*j, 7);
    read_all(*j);
    REQUIRE(j->release(7).ok());
  }
  age_file(segment(o, 1), 48 * kHour);
  auto j = open_ok(o, 7);
  CHECK(scanned(o) == iota(4, 7));
}

TEST_CASE("Does a scan stop quietly at a torn tail and count a damaged record?", "[journal][keep]") {
  TempDir t;
  auto o = options(t, kHeader + 3 * kFrame);
  o.keep = JournalKeep{24 * kHour, 1 << 20};
  auto j = open_ok(o, 0);
  append_n(*j, 5);  // segments 1 (3 records) and 4 (2 records)
  {
    std::string frame;
    fmt::encode_record(frame, 6, Link::local, 1, false, 1, "t/06", "payload006");
    std::ofstream tail(segment(o, 4), std::ios::binary | std::ios::app);
    tail << frame.substr(0, frame.size() / 2);  // half a record, as while it is being written
  }
  auto quiet = scan_journal(o.dir, 0, [](JournalRecord&) { return true; });
  REQUIRE(quiet.ok());
  CHECK(quiet->records == 5);
  CHECK(quiet->damaged == 0);
  flip_byte(segment(o, 1), kHeader + kFrame + 12);  // inside record 2
  std::vector<uint64_t> seen;
  auto st = scan_journal(o.dir, 0, [&](JournalRecord& r) {
    seen.push_back(r.seq);
    return true;
  });
  REQUIRE(st.ok());
  CHECK(seen == std::vector<uint64_t>{1, 4, 5});
  CHECK(st->damaged == 1);
}
