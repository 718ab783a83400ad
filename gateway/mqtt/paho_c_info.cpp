#include "gateway/mqtt/paho_c_info.h"

#include <MQTTAsync.h>
#include <dlfcn.h>

#include <cstddef>
#include <cstring>
#include <filesystem>

namespace edgegw::gateway {

namespace {

// Paho C 1.3's Heap.h: what Heap_get_info returns.
struct HeapInfo {
  size_t current_size;
  size_t max_size;
};
using HeapGetInfo = HeapInfo* (*)();

// Debian's build and the relinked copy both export Heap_get_info (the copy
// keeps Debian's exports); only a tracking build counts what it allocates.
// A build for performance from Paho's own CMake has no Heap_get_info at all.
bool tracks_heap() {
  auto get_info = reinterpret_cast<HeapGetInfo>(dlsym(RTLD_DEFAULT, "Heap_get_info"));
  if (get_info == nullptr) return false;
  const size_t before = get_info()->current_size;
  void* block = MQTTAsync_malloc(64);
  const size_t after = get_info()->current_size;
  MQTTAsync_free(block);
  return after != before;
}

// The file the definition of a Paho C function came from. dlsym, not the
// function's address in this binary, which may be a PLT stub of its own.
std::string loaded_from(const char* symbol) {
  Dl_info dl{};
  void* address = dlsym(RTLD_DEFAULT, symbol);
  if (address == nullptr || dladdr(address, &dl) == 0 || dl.dli_fname == nullptr) return {};
  // $ORIGIN/../lib/edgegw arrives as build/gateway/../lib/edgegw/...
  return std::filesystem::path(dl.dli_fname).lexically_normal().string();
}

}  // namespace

PahoCInfo paho_c_info() {
  PahoCInfo info;
  for (const MQTTAsync_nameValue* nv = MQTTAsync_getVersionInfo(); nv != nullptr && nv->name != nullptr; ++nv) {
    if (std::strcmp(nv->name, "Version") == 0 && nv->value != nullptr) info.version = nv->value;
  }
  info.path = loaded_from("MQTTAsync_getVersionInfo");
  info.tracks_heap = tracks_heap();
  return info;
}

std::string describe(const PahoCInfo& info) {
  std::string s = "Paho C " + (info.version.empty() ? std::string("(unknown version)") : info.version);
  s += " (" + (info.path.empty() ? std::string("unknown file") : info.path) + "), heap tracking ";
  s += info.tracks_heap ? "on" : "off";
  return s;
}

}  // namespace edgegw::gateway
