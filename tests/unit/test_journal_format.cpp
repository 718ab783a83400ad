// CRC-32C, the journal's record framing, and the engine's EventFd.
#include <catch2/catch.hpp>

#include <poll.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include "gateway/journal/crc32c.h"
#include "gateway/base/event_fd.h"
#include "gateway/journal/journal_format.h"

using namespace edgegw;
using namespace edgegw::gateway;
namespace fmt = edgegw::gateway::journal_format;

TEST_CASE("Does crc32c give the published CRC-32C check values?", "[journal][crc32c]") {
  // RFC 3720 (iSCSI) B.4 and the CRC catalogue's check value.
  CHECK(crc32c(std::string_view("123456789")) == 0xE3069283u);
  CHECK(crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(crc32c(std::string(32, '\xFF')) == 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  CHECK(crc32c(ascending) == 0x46DD794Eu);
  CHECK(crc32c(std::string_view()) == 0u);
}

TEST_CASE("Does crc32c give the same value in pieces, unaligned, and on both paths?", "[journal][crc32c]") {
  std::string data(1000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131 + 7) & 0xFF);
  const uint32_t whole = crc32c(data);
  for (size_t cut : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    uint32_t a = crc32c(data.data(), cut);
    CHECK(crc32c_extend(a, data.data() + cut, data.size() - cut) == whole);
  }
  for (size_t start = 0; start < 8; ++start) {
    for (size_t len = 0; len < 80; ++len) {
      CHECK(crc32c_extend(0, data.data() + start, len) == detail::crc32c_extend_portable(0, data.data() + start, len));
    }
  }
  CHECK(detail::crc32c_extend_portable(0, data.data(), data.size()) == whole);
  INFO("hardware path in use: " << detail::crc32c_hardware());
}

TEST_CASE("Does an EventFd wake a poller once however many notifies came?", "[journal][eventfd]") {
  auto ev = EventFd::create();
  REQUIRE(ev.ok());
  pollfd p{ev->fd(), POLLIN, 0};
  CHECK(::poll(&p, 1, 0) == 0);
  CHECK_FALSE(ev->drain());
  ev->notify();
  ev->notify();
  ev->notify();
  CHECK(::poll(&p, 1, 0) == 1);
  uint64_t count = 0;  // read behind drain()'s back: one write carried the three
  REQUIRE(::read(ev->fd(), &count, sizeof count) == sizeof count);
  CHECK(count == 1);
  ev->notify();  // still pending (not drained): no write
  CHECK(::poll(&p, 1, 0) == 0);
  CHECK_FALSE(ev->drain());
  ev->notify();  // drained: the next notify wakes the poller again
  CHECK(::poll(&p, 1, 0) == 1);
  CHECK(ev->drain());
  CHECK(::poll(&p, 1, 0) == 0);
  EventFd moved = std::move(*ev);
  CHECK(ev->fd() == -1);
  moved.notify();
  CHECK(moved.drain());
}

TEST_CASE("Does an EventFd lose no wake-up when producers race the drain?", "[journal][eventfd]") {
  // The engine's loop in small: producers publish work, then notify; the
  // consumer polls, drains, then takes the work. Every item must be taken
  // without a poll timing out while work is waiting.
  auto ev = EventFd::create();
  REQUIRE(ev.ok());
  constexpr int kPerProducer = 20000;
  std::atomic<int> produced{0};
  auto producer = [&] {
    for (int i = 0; i < kPerProducer; ++i) {
      produced.fetch_add(1, std::memory_order_release);
      ev->notify();
    }
  };
  std::thread a(producer), b(producer);
  int taken = 0, stalls = 0;
  while (taken < 2 * kPerProducer) {
    pollfd p{ev->fd(), POLLIN, 0};
    if (::poll(&p, 1, 1000) == 0 && produced.load(std::memory_order_acquire) > taken) {
      ++stalls;  // a second with work waiting and no wake-up: one was lost
      if (stalls > 3) break;
    }
    ev->drain();
    taken = produced.load(std::memory_order_acquire);
  }
  a.join();
  b.join();
  CHECK(stalls == 0);
  CHECK(taken == 2 * kPerProducer);
}

TEST_CASE("Does a framed record decode to exactly what was encoded?", "[journal][format]") {
  std::string frame;
  const std::string payload("a\0b\0", 4);
  fmt::encode_record(frame, 42, Link::upstream, 2, true, -5, "sites/a/t", payload);
  CHECK(frame.size() == fmt::frame_bytes(9, 4));
  JournalRecord r;
  fmt::Decoded d = fmt::decode_record(frame + "trailing", &r);
  REQUIRE(d.kind == fmt::Decode::ok);
  CHECK(d.frame_bytes == frame.size());
  CHECK(r.seq == 42);
  CHECK(r.link == Link::upstream);
  CHECK(r.qos == 2);
  CHECK(r.retain);
  CHECK(r.received_ms == -5);
  CHECK(r.topic == "sites/a/t");
  CHECK(r.payload == payload);
  // Every prefix is "not there yet", never a bad record.
  for (size_t n = 0; n < frame.size(); ++n) {
    CHECK(fmt::decode_record(std::string_view(frame).substr(0, n), nullptr).kind == fmt::Decode::need_more);
  }
}

TEST_CASE("Is a garbage length field treated as corruption rather than a record to allocate?", "[journal][format]") {
  std::string frame;
  fmt::encode_record(frame, 1, Link::local, 0, false, 0, "t", "p");
  std::string huge = frame;
  std::memset(huge.data(), 0xFF, 4);  // 4 GiB body
  CHECK(fmt::decode_record(huge, nullptr).kind == fmt::Decode::bad);
  std::string tiny = frame;
  std::memset(tiny.data(), 0, 4);  // shorter than the fixed body
  CHECK(fmt::decode_record(tiny, nullptr).kind == fmt::Decode::bad);
  std::string flipped = frame;
  flipped.back() ^= 0x01;
  fmt::Decoded d = fmt::decode_record(flipped, nullptr);
  CHECK(d.kind == fmt::Decode::bad);
  CHECK(std::string(d.why) == "bad crc");
  CHECK(d.frame_bytes == frame.size());
}

TEST_CASE("Do segment names sort by first seq and reject anything else?", "[journal][format]") {
  CHECK(fmt::segment_file_name(1) == "00000000000000000001.seg");
  CHECK(fmt::parse_segment_file_name("00000000000000000001.seg") == 1u);
  CHECK(fmt::parse_segment_file_name(fmt::segment_file_name(18446744073709551615ull)) == 18446744073709551615ull);
  CHECK_FALSE(fmt::parse_segment_file_name("99999999999999999999.seg"));  // over u64
  CHECK_FALSE(fmt::parse_segment_file_name("0000000000000000001.seg"));
  CHECK_FALSE(fmt::parse_segment_file_name("00000000000000000001.seg.tmp"));
  CHECK_FALSE(fmt::parse_segment_file_name("0000000000000000000x.seg"));
  CHECK(fmt::check_segment_header(fmt::segment_header()) == fmt::HeaderCheck::ok);
  CHECK(fmt::check_segment_header(fmt::segment_header().substr(0, 5)) == fmt::HeaderCheck::torn);
  CHECK(fmt::check_segment_header("") == fmt::HeaderCheck::torn);
  CHECK(fmt::check_segment_header("hello world, not") == fmt::HeaderCheck::foreign);
  std::string future = fmt::segment_header();
  future[8] = 2;
  CHECK(fmt::check_segment_header(future) == fmt::HeaderCheck::future_version);
}
