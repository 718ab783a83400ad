// gateway/journal/journal_format.h — the on-disk format of the ingress journal.
//
// A segment file is named by the first seq it holds, zero-padded to 20 digits
// so a directory listing sorts (`00000000000000000001.seg`), and starts with a
// 16-byte header: the magic "EGWJRNL\0", a u32 format version, a u32 of zero.
// Records follow back to back, each framed as
//   [u32 body length][u32 CRC-32C of the body][body]
// body = u64 seq | i64 received_ms | u8 flags | u32 topic length | topic |
//        u32 payload length | payload
// flags: bit 0 link (0 local, 1 upstream), bits 1-2 qos, bit 3 retain; the
// other bits are zero. Every integer is little-endian and fixed-width.
// Pure functions: any thread, no I/O, no exceptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/event.h"

namespace edgegw::gateway {

// One ingress message as the journal stores it.
struct JournalRecord {
  uint64_t seq = 0;         // 1, 2, 3, ... in append order
  Link link = Link::local;  // which broker it came from
  int qos = 0;
  bool retain = false;
  int64_t received_ms = 0;  // wall clock, unix ms
  std::string topic;
  std::string payload;  // raw bytes, NULs included
};

namespace journal_format {

constexpr uint32_t kVersion = 1;
constexpr size_t kSegmentHeaderBytes = 16;
constexpr size_t kFrameHeaderBytes = 8;         // length + CRC
constexpr size_t kBodyFixedBytes = 25;          // body without topic and payload
constexpr size_t kMaxTopicBytes = 65535;        // the MQTT limit
constexpr size_t kMaxPayloadBytes = 64u << 20;  // far above any sane buffer.max_payload
// A length field above this is garbage, not a record to allocate for.
constexpr size_t kMaxBodyBytes = kBodyFixedBytes + kMaxTopicBytes + kMaxPayloadBytes;

std::string segment_file_name(uint64_t first_seq);
// The first seq of a segment file name; nullopt for any other name.
std::optional<uint64_t> parse_segment_file_name(std::string_view name);

std::string segment_header();
enum class HeaderCheck {
  ok,              // a segment of this version
  torn,            // shorter than a header and a prefix of one: a crash while creating it
  foreign,         // not a journal segment
  future_version,  // a segment written by a newer edgegw
};
// `head` is the file's first min(size, 16) bytes.
HeaderCheck check_segment_header(std::string_view head);

// Frame size of a record with these lengths.
inline size_t frame_bytes(size_t topic_len, size_t payload_len) {
  return kFrameHeaderBytes + kBodyFixedBytes + topic_len + payload_len;
}

// Replaces `out` with the framed record (its capacity is reused). The caller
// has checked qos in 0..2 and the topic and payload size limits.
void encode_record(std::string& out, uint64_t seq, Link link, int qos, bool retain, int64_t received_ms,
                   std::string_view topic, std::string_view payload);

enum class Decode { ok, need_more, bad };
struct Decoded {
  Decode kind = Decode::bad;
  // ok: bytes consumed; need_more: bytes the frame needs (at least); bad: the
  // frame's size when the length field was sane, else 0.
  size_t frame_bytes = 0;
  uint64_t seq = 0;      // ok only
  const char* why = "";  // bad only: "bad length", "bad crc", ...
};
// Decodes the frame at the start of `in`. With `out` null it only validates
// (used by the recovery scan, which needs no copies).
Decoded decode_record(std::string_view in, JournalRecord* out);

}  // namespace journal_format
}  // namespace edgegw::gateway
