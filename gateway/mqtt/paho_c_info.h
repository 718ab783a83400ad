// gateway/mqtt/paho_c_info.h — which Paho C this process runs on, for
// `edgegw version`: Debian's libpaho-mqtt3as or edgegw's private copy
// without heap tracking (gateway/mqtt/paho_c/, docs/performance.md).
#pragma once

#include <string>

namespace edgegw::gateway {

struct PahoCInfo {
  std::string version;       // MQTTAsync_getVersionInfo's "Version"; "" if it has none
  std::string path;          // the loaded library's file as the loader opened it; "" if unknown
  bool tracks_heap = false;  // Paho's Heap.c counts allocations (Debian's build)
};

// Asks the loaded library. To see whether it tracks its heap, it allocates
// and frees one small block through Paho (MQTTAsync_malloc) and reads
// Heap_get_info() around it: call it before any Paho client exists (the
// counters are read without Paho's lock). Never fails.
PahoCInfo paho_c_info();

// "Paho C 1.3.11 (/usr/lib/edgegw/libpaho-mqtt3as.so.1), heap tracking off"
std::string describe(const PahoCInfo& info);

}  // namespace edgegw::gateway
