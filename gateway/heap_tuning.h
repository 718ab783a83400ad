// gateway/heap_tuning.h — glibc malloc settings for the daemon.
//
// Profiled under a full-speed stream (docs/performance.md): with glibc's
// default trim threshold the engine thread gave the top of the heap back to
// the kernel after nearly every batch (brk shrink) and took it again for the
// next one (page faults); each shrink is a TLB shootdown across both cores.
// That was 16% of the gateway's CPU. Keeping a few MiB of free heap top
// removes it, at the price of that much RSS after a burst.
//
// Call once at daemon start, before any thread exists. Never fails (a
// setting glibc refuses is left at its default).
#pragma once

#include <cstddef>

namespace edgegw::gateway {

inline constexpr size_t kHeapTrimThreshold = 4u << 20;  // free heap top kept, bytes

void tune_heap();

}  // namespace edgegw::gateway
