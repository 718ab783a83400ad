// tests/unit/journal_test_helpers.h — shared by the journal test files.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gateway/journal/journal.h"
#include "support/temp_dir.h"

namespace edgegw::gateway::journal_test {

using edgegw::testing::TempDir;
namespace fs = std::filesystem;
namespace fmt = edgegw::gateway::journal_format;

constexpr uint64_t kHeader = fmt::kSegmentHeaderBytes;

inline JournalOptions options(const TempDir& t, uint64_t segment_bytes = 16ull << 20) {
  JournalOptions o;
  o.dir = (t / "journal").string();
  o.segment_bytes = segment_bytes;
  return o;
}

inline std::unique_ptr<Journal> open_ok(const JournalOptions& o, uint64_t committed) {
  auto j = Journal::open(o, committed);
  INFO(j.status().message());
  REQUIRE(j.ok());
  return std::move(j.value());
}

inline uint64_t append_ok(Journal& j, const std::string& topic, const std::string& payload) {
  auto seq = j.append(Link::local, topic, payload, 1, false, 1700000000000);
  INFO(seq.status().message());
  REQUIRE(seq.ok());
  return *seq;
}

// Fixed-size records ("t/NN", 10-byte payload), so file offsets are easy.
constexpr uint64_t kFrame = fmt::kFrameHeaderBytes + fmt::kBodyFixedBytes + 4 + 10;
inline void append_n(Journal& j, int n) {
  for (int i = 0; i < n; ++i) {
    const unsigned long long next = j.last_appended_seq() + 1;
    char topic[8], payload[16];
    std::snprintf(topic, sizeof topic, "t/%02llu", next % 100);
    std::snprintf(payload, sizeof payload, "payload%03llu", next % 1000);
    append_ok(j, topic, payload);
  }
}

inline std::vector<JournalRecord> read_all(Journal& j, size_t max_records = 1000, size_t max_bytes = 1 << 20) {
  std::vector<JournalRecord> out;
  for (int i = 0; i < 1'000'000; ++i) {
    size_t before = out.size();
    Status st = j.read_next(out, max_records, max_bytes);
    INFO(st.message());
    REQUIRE(st.ok());
    if (out.size() == before) break;
  }
  return out;
}

inline std::vector<uint64_t> seqs(const std::vector<JournalRecord>& rs) {
  std::vector<uint64_t> v;
  for (const auto& r : rs) v.push_back(r.seq);
  return v;
}

inline std::vector<uint64_t> iota(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t s = from; s <= to; ++s) v.push_back(s);
  return v;
}

inline std::vector<std::string> segment_names(const JournalOptions& o) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(o.dir)) {
    if (e.path().extension() == ".seg") v.push_back(e.path().filename().string());
  }
  std::sort(v.begin(), v.end());
  return v;
}

inline fs::path segment(const JournalOptions& o, uint64_t first) {
  return fs::path(o.dir) / fmt::segment_file_name(first);
}

inline void overwrite(const fs::path& p, uint64_t offset, const std::string& bytes) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

inline void flip_byte(const fs::path& p, uint64_t offset) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  REQUIRE(f.good());
  overwrite(p, offset, std::string(1, static_cast<char>(c ^ 0x5A)));
}

}  // namespace edgegw::gateway::journal_test
