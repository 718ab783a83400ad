// JSON payload access: any bytes as a payload, read whole and along a few
// paths; the depth limit must hold before any recursion.
#include <array>

#include "fuzz_input.h"
#include "rules/payload.h"

using namespace edgegw;
using rules::PathKey;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rules::JsonParser parser;
  const rules::Payload payload(fuzz::as_text(data, size), parser);
  (void)payload.is_json();
  (void)payload.get({}).to_json();
  const std::array<PathKey, 3> deep{PathKey{"a", 0, false}, PathKey{{}, 0, true}, PathKey{"b", 0, false}};
  const std::array<PathKey, 1> last{PathKey{{}, -1, true}};
  (void)payload.get(deep).to_text();
  (void)payload.get(last).to_json();
  return 0;
}
