// Journal record decoding: any bytes at the start of a frame. A frame that
// decodes must encode back to the same bytes; validation alone (the recovery
// scan) must agree with a full decode.
#include <cstdlib>
#include <string>

#include "fuzz_input.h"
#include "gateway/journal/journal_format.h"

using namespace edgegw;
namespace jf = edgegw::gateway::journal_format;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = fuzz::as_text(data, size);
  (void)jf::check_segment_header(in.substr(0, jf::kSegmentHeaderBytes));
  (void)jf::parse_segment_file_name(in);
  gateway::JournalRecord rec;
  const jf::Decoded full = jf::decode_record(in, &rec);
  const jf::Decoded check = jf::decode_record(in, nullptr);
  if (full.kind != check.kind || full.frame_bytes != check.frame_bytes) std::abort();
  if (full.kind != jf::Decode::ok) return 0;
  if (full.frame_bytes > in.size() || rec.seq != full.seq) std::abort();
  std::string again;
  jf::encode_record(again, rec.seq, rec.link, rec.qos, rec.retain, rec.received_ms, rec.topic, rec.payload);
  if (again != in.substr(0, full.frame_bytes)) std::abort();
  return 0;
}
