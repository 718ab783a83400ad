// The ingress journal's recovery: what open() cuts and reports, and what a
// failed append leaves behind.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>

#include <string>
#include <vector>

#include "unit/journal_test_helpers.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace edgegw::gateway::journal_test;

TEST_CASE("Does a torn tail get cut at open, with numbering and reading continuing after it?", "[journal][recovery]") {
  TempDir t;
  auto o = options(t);
  append_n(*open_ok(o, 0), 3);
  fs::resize_file(segment(o, 1), kHeader + 3 * kFrame - 5);
  {
    auto j = open_ok(o, 0);
    CHECK(j->recovery().bytes_cut == kFrame - 5);
    CHECK_FALSE(j->recovery().corrupt_mid_journal);
    CHECK(fs::file_size(segment(o, 1)) == kHeader + 2 * kFrame);
    CHECK(append_ok(*j, "new", "record") == 3);
    auto rs = read_all(*j);
    REQUIRE(seqs(rs) == iota(1, 3));
    CHECK(rs[2].topic == "new");
  }
  auto j = open_ok(o, 0);
  CHECK(j->recovery().bytes_cut == 0);
  CHECK(seqs(read_all(*j)) == iota(1, 3));
}

TEST_CASE("Is a last record with a corrupt byte cut without calling it mid-journal corruption?",
          "[journal][recovery]") {
  TempDir t;
  auto o = options(t);
  append_n(*open_ok(o, 0), 3);
  flip_byte(segment(o, 1), kHeader + 3 * kFrame - 1);
  auto j = open_ok(o, 0);
  CHECK(j->recovery().bytes_cut == kFrame);
  CHECK_FALSE(j->recovery().corrupt_mid_journal);
  CHECK(seqs(read_all(*j)) == iota(1, 2));
  CHECK(append_ok(*j, "a", "b") == 3);
}

TEST_CASE("Does a corrupt record in the middle of the last segment cut everything after it, and say so?",
          "[journal][recovery]") {
  TempDir t;
  auto o = options(t);
  append_n(*open_ok(o, 0), 5);
  flip_byte(segment(o, 1), kHeader + 2 * kFrame + kFrame / 2);  // inside record 3
  auto j = open_ok(o, 0);
  // Records 3 to 5 are lost: 4 and 5 were intact, but nothing after a bad
  // record can be trusted to be a record boundary.
  CHECK(j->recovery().corrupt_mid_journal);
  CHECK_THAT(j->recovery().corrupt_detail, Catch::Contains("bad crc") && Catch::Contains("00000000000000000001.seg"));
  CHECK(j->recovery().bytes_cut == 3 * kFrame);
  CHECK(seqs(read_all(*j)) == iota(1, 2));
  CHECK(append_ok(*j, "a", "b") == 3);
}

TEST_CASE("Is a tail of zeros (pages a power cut never wrote) cut as torn, and non-zero garbage as corruption?",
          "[journal][recovery]") {
  TempDir t;
  auto o = options(t);
  append_n(*open_ok(o, 0), 3);
  SECTION("zeros") {
    fs::resize_file(segment(o, 1), kHeader + 3 * kFrame + 4096);
    auto j = open_ok(o, 0);
    CHECK(j->recovery().bytes_cut == 4096);
    CHECK_FALSE(j->recovery().corrupt_mid_journal);
    CHECK(seqs(read_all(*j)) == iota(1, 3));
  }
  SECTION("garbage with a huge length field") {
    overwrite(segment(o, 1), kHeader + 3 * kFrame, std::string(64, '\xEE'));
    auto j = open_ok(o, 0);
    CHECK(j->recovery().bytes_cut == 64);
    CHECK(j->recovery().corrupt_mid_journal);
    CHECK_THAT(j->recovery().corrupt_detail, Catch::Contains("bad length"));
    CHECK(seqs(read_all(*j)) == iota(1, 3));
  }
}

TEST_CASE("Does a corrupt record in an earlier segment count the records lost and skip to the next segment?",
          "[journal][recovery]") {
  TempDir t;
  auto o = options(t, kHeader + 3 * kFrame - 1);
  append_n(*open_ok(o, 0), 7);
  flip_byte(segment(o, 1), kHeader + kFrame + 3);  // record 2 of segment 1..3
  auto j = open_ok(o, 0);
  CHECK(j->recovery().corrupt_mid_journal);
  CHECK(j->recovery().missing_records == 2);
  CHECK(seqs(read_all(*j)) == std::vector<uint64_t>{1, 4, 5, 6, 7});
  CHECK(append_ok(*j, "a", "b") == 8);
}

TEST_CASE("Is a segment half-created by a crash during a roll-over removed at open?", "[journal][recovery]") {
  TempDir t;
  auto o = options(t);
  append_n(*open_ok(o, 0), 2);
  {
    std::ofstream f(segment(o, 3), std::ios::binary);
    f << fmt::segment_header().substr(0, 6);
  }
  auto j = open_ok(o, 0);
  CHECK(j->recovery().bytes_cut == 6);
  CHECK_FALSE(j->recovery().corrupt_mid_journal);
  CHECK(append_ok(*j, "a", "b") == 3);
  CHECK(seqs(read_all(*j)) == iota(1, 3));
}

TEST_CASE("Is a file that is not a journal segment refused instead of truncated?", "[journal][recovery]") {
  TempDir t;
  auto o = options(t);
  fs::create_directories(o.dir);
  { std::ofstream(fs::path(o.dir) / "README.txt") << "operator notes"; }  // other names are ignored
  std::string content = "this is somebody else's file, long enough for a header";
  SECTION("foreign data") {}
  SECTION("a newer format") {
    content = fmt::segment_header() + std::string(40, 'x');
    content[8] = 9;
  }
  { std::ofstream(segment(o, 1), std::ios::binary) << content; }
  auto j = Journal::open(o, 0);
  REQUIRE_FALSE(j.ok());
  CHECK_THAT(j.status().message(), Catch::Contains("00000000000000000001.seg"));
  CHECK(fs::file_size(segment(o, 1)) == content.size());
  CHECK(fs::exists(fs::path(o.dir) / "README.txt"));
}

TEST_CASE("Is damage found while running reported as an error instead of skipped?", "[journal][recovery]") {
  TempDir t;
  auto o = options(t);
  auto j = open_ok(o, 0);
  append_n(*j, 3);
  flip_byte(segment(o, 1), kHeader + kFrame + kFrame / 2);
  std::vector<JournalRecord> out;
  Status st = j->read_next(out, 100, 1 << 20);
  CHECK_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("bad crc"));
  CHECK(seqs(out) == std::vector<uint64_t>{1});
}

namespace {
// Lowers the process' file size limit: a write past it fails with EFBIG after
// a partial write, the same path ENOSPC takes, without filling a disk.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(uint64_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{static_cast<rlim_t>(bytes), old_.rlim_max};
    ok_ = ::setrlimit(RLIMIT_FSIZE, &lim) == 0;
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    ::signal(SIGXFSZ, old_handler_);
  }
  bool ok() const { return ok_; }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
  bool ok_ = false;
};
}  // namespace

TEST_CASE("Does a failed append leave no half record behind?", "[journal][recovery]") {
  TempDir t;
  auto o = options(t);
  auto j = open_ok(o, 0);
  append_n(*j, 2);
  const uint64_t size = fs::file_size(segment(o, 1));
  {
    FileSizeLimit limit(size + 20);  // room for 20 bytes of a 1 KiB record
    REQUIRE(limit.ok());
    auto r = j->append(Link::local, "t", std::string(1024, 'x'), 1, false, 0);
    CHECK_FALSE(r.ok());
  }
  CHECK(fs::file_size(segment(o, 1)) == size);
  CHECK(j->last_appended_seq() == 2);
  CHECK(append_ok(*j, "after", "failure") == 3);
  CHECK(seqs(read_all(*j)) == iota(1, 3));
  j.reset();
  auto reopened = open_ok(o, 0);
  CHECK(reopened->recovery().bytes_cut == 0);
  CHECK(seqs(read_all(*reopened)) == iota(1, 3));
}
