// devices/registry_impl.h — the Registry's parse buffers (internal to devices/).
#pragma once

#include <simdjson.h>

#include "devices/registry.h"

namespace edgegw::devices {

struct Registry::Impl {
  simdjson::dom::parser payload;  // the message being decoded
  simdjson::dom::parser scratch;  // the stored state being merged into
};

}  // namespace edgegw::devices
