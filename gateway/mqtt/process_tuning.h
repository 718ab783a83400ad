// gateway/mqtt/process_tuning.h — process-wide settings the daemon makes once, at
// start, before any thread or MQTT client exists. Each was found with a
// profile or an RSS breakdown (docs/performance.md).
//
// - glibc malloc: under a full-speed stream the engine thread gave the top
//   of the heap back to the kernel after nearly every batch (brk shrink)
//   and took it again for the next one (page faults); each shrink is a TLB
//   shootdown across both cores: 16% of the gateway's CPU. Keeping a few
//   MiB of free heap top removes it, at the price of that much RSS after a
//   burst.
// - Paho C: by default its first client initialises OpenSSL in full (error
//   strings, every algorithm), 1.3 MiB of RSS even when no link uses TLS.
//   OpenSSL 3 initialises itself on first use, so Paho is told not to; an
//   mqtts:// link works the same (tests/integration/test_tls.cpp).
// - Paho C: its trace ring records only errors, as a build for performance
//   does (by default every protocol event is formatted into it, under a
//   global mutex).
//
// Never fails (a setting that is refused keeps its default).
#pragma once

#include <cstddef>

namespace edgegw::gateway {

inline constexpr size_t kHeapTrimThreshold = 4u << 20;  // free heap top kept, bytes

void tune_process();

}  // namespace edgegw::gateway
