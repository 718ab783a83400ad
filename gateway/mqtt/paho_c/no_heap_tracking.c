/* What Paho C's Heap.c and StackTrace.c become in a build for performance
 * (PAHO_HIGH_PERFORMANCE), for Debian's objects, which were compiled to call
 * them: allocation goes straight to libc, function entry and exit record
 * nothing. Linked in their place into edgegw's private libpaho-mqtt3as.so.1
 * (CMakeLists.txt beside this file; docs/performance.md says why).
 *
 * The signatures are those Paho C 1.3's objects call (Heap.h, StackTrace.h);
 * the file and line arguments exist for the tracking build only. */
#include <stdlib.h>

#define PAHO_INTERNAL __attribute__((visibility("hidden")))

/* Heap.h's heap_info. Debian's library exports Heap_get_info, so this one
 * does too; nothing is counted, so both sizes stay 0. edgegw's `version`
 * tells the builds apart by that (gateway/mqtt/paho_c_info.cpp). */
typedef struct {
  size_t current_size;
  size_t max_size;
} heap_info;

static heap_info no_heap_info;

heap_info* Heap_get_info(void) { return &no_heap_info; }

PAHO_INTERNAL int Heap_initialize(void) { return 0; }

PAHO_INTERNAL void Heap_terminate(void) {}

PAHO_INTERNAL void* mymalloc(char* file, int line, size_t size) {
  (void)file;
  (void)line;
  return malloc(size);
}

PAHO_INTERNAL void* myrealloc(char* file, int line, void* p, size_t size) {
  (void)file;
  (void)line;
  return realloc(p, size);
}

PAHO_INTERNAL void myfree(char* file, int line, void* p) {
  (void)file;
  (void)line;
  free(p);
}

/* The trace level is an enum LOG_LEVELS in Paho; an int is passed the same way. */
PAHO_INTERNAL void StackTrace_entry(const char* name, int line, int trace_level) {
  (void)name;
  (void)line;
  (void)trace_level;
}

PAHO_INTERNAL void StackTrace_exit(const char* name, int line, void* return_value, int trace_level) {
  (void)name;
  (void)line;
  (void)return_value;
  (void)trace_level;
}
