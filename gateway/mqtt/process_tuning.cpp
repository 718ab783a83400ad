#include "gateway/mqtt/process_tuning.h"

#include <MQTTAsync.h>
#include <malloc.h>

namespace edgegw::gateway {

void tune_process() {
  // An explicit trim threshold also fixes the mmap threshold at its 128 KiB
  // default (glibc stops adjusting both), so one large journal buffer does
  // not move every later large block onto the heap.
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(kHeapTrimThreshold));
  mallopt(M_TOP_PAD, static_cast<int>(1u << 20));

  MQTTAsync_init_options paho = MQTTAsync_init_options_initializer;
  paho.do_openssl_init = 0;
  MQTTAsync_global_init(&paho);

  // Paho C formats every protocol event (each PUBLISH, PUBACK, ...) into an
  // in-memory trace ring under a global mutex unless its trace level is
  // raised; a build for performance starts at errors only. Paho C 1.3.12's
  // Log_setTraceLevel takes any level up to errors (MQTT_C_CLIENT_TRACE
  // still turns tracing on for a debugging session: it is read later, when
  // the first client is created).
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
}

}  // namespace edgegw::gateway
