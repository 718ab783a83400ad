// gateway/journal/journal_format.cpp
#include "gateway/journal/journal_format.h"

#include <cstdio>
#include <cstring>

#include "gateway/journal/crc32c.h"

namespace edgegw::gateway::journal_format {
namespace {

constexpr char kMagic[8] = {'E', 'G', 'W', 'J', 'R', 'N', 'L', '\0'};
constexpr size_t kNameDigits = 20;
constexpr std::string_view kSuffix = ".seg";

// Explicit byte order, so a journal copied between an arm64 Pi and an x86
// box stays readable; compilers turn these into plain moves.
void put_u32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void put_u64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(p[i]);
  return v;
}

uint8_t make_flags(Link link, int qos, bool retain) {
  return static_cast<uint8_t>((link == Link::upstream ? 1 : 0) | (qos & 3) << 1 | (retain ? 8 : 0));
}

}  // namespace

std::string segment_file_name(uint64_t first_seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.seg", static_cast<unsigned long long>(first_seq));
  return buf;
}

std::optional<uint64_t> parse_segment_file_name(std::string_view name) {
  if (name.size() != kNameDigits + kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < kNameDigits; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return std::nullopt;  // overflows u64
    v = next;
  }
  return v;
}

std::string segment_header() {
  std::string h(kSegmentHeaderBytes, '\0');
  std::memcpy(h.data(), kMagic, sizeof kMagic);
  put_u32(h.data() + 8, kVersion);
  return h;
}

HeaderCheck check_segment_header(std::string_view head) {
  const std::string expected = segment_header();
  if (head.size() < kSegmentHeaderBytes) {
    return expected.starts_with(head) ? HeaderCheck::torn : HeaderCheck::foreign;
  }
  if (std::memcmp(head.data(), kMagic, sizeof kMagic) != 0) return HeaderCheck::foreign;
  uint32_t version = get_u32(head.data() + 8);
  if (version > kVersion) return HeaderCheck::future_version;
  if (version != kVersion || get_u32(head.data() + 12) != 0) return HeaderCheck::foreign;
  return HeaderCheck::ok;
}

void encode_record(std::string& out, uint64_t seq, Link link, int qos, bool retain, int64_t received_ms,
                   std::string_view topic, std::string_view payload) {
  const size_t body = kBodyFixedBytes + topic.size() + payload.size();
  out.resize(kFrameHeaderBytes + body);
  char* p = out.data() + kFrameHeaderBytes;
  put_u64(p, seq);
  put_u64(p + 8, static_cast<uint64_t>(received_ms));
  p[16] = static_cast<char>(make_flags(link, qos, retain));
  put_u32(p + 17, static_cast<uint32_t>(topic.size()));
  if (!topic.empty()) std::memcpy(p + 21, topic.data(), topic.size());
  char* q = p + 21 + topic.size();
  put_u32(q, static_cast<uint32_t>(payload.size()));
  if (!payload.empty()) std::memcpy(q + 4, payload.data(), payload.size());
  put_u32(out.data(), static_cast<uint32_t>(body));
  put_u32(out.data() + 4, crc32c(p, body));
}

Decoded decode_record(std::string_view in, JournalRecord* out) {
  if (in.size() < kFrameHeaderBytes) return {Decode::need_more, kFrameHeaderBytes, 0, ""};
  const size_t body = get_u32(in.data());
  if (body < kBodyFixedBytes || body > kMaxBodyBytes) return {Decode::bad, 0, 0, "bad length"};
  const size_t frame = kFrameHeaderBytes + body;
  if (in.size() < frame) return {Decode::need_more, frame, 0, ""};
  const char* p = in.data() + kFrameHeaderBytes;
  if (crc32c(p, body) != get_u32(in.data() + 4)) return {Decode::bad, frame, 0, "bad crc"};
  const uint8_t flags = static_cast<uint8_t>(p[16]);
  const size_t topic_len = get_u32(p + 17);
  if (topic_len > body - kBodyFixedBytes) return {Decode::bad, frame, 0, "bad topic length"};
  const size_t payload_len = get_u32(p + 21 + topic_len);
  if (kBodyFixedBytes + topic_len + payload_len != body) return {Decode::bad, frame, 0, "bad payload length"};
  if ((flags & ~0x0Fu) != 0 || ((flags >> 1) & 3) == 3) return {Decode::bad, frame, 0, "bad flags"};
  Decoded d{Decode::ok, frame, get_u64(p), ""};
  if (out != nullptr) {
    out->seq = d.seq;
    out->received_ms = static_cast<int64_t>(get_u64(p + 8));
    out->link = (flags & 1) ? Link::upstream : Link::local;
    out->qos = (flags >> 1) & 3;
    out->retain = (flags & 8) != 0;
    out->topic.assign(p + 21, topic_len);
    out->payload.assign(p + 25 + topic_len, payload_len);
  }
  return d;
}

}  // namespace edgegw::gateway::journal_format
