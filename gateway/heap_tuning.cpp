#include "gateway/heap_tuning.h"

#include <malloc.h>

namespace edgegw::gateway {

void tune_heap() {
  // Also fixes the mmap threshold at its 128 KiB default (an explicit trim
  // threshold turns off glibc's dynamic adjustment of both), so one large
  // journal buffer does not raise it and keep every later large block on the heap.
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(kHeapTrimThreshold));
  mallopt(M_TOP_PAD, static_cast<int>(1u << 20));
}

}  // namespace edgegw::gateway
