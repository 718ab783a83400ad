// tests/bench/device_registry_memory.cpp — heap cost of the device registry.
//
// Creates N devices (default 10,000) the way a busy site does: a mix of
// zigbee2mqtt sensors (two partial reports each), Tasmota plugs (LWT +
// SENSOR) and Shelly relays (online + status), then prints the heap the
// registry holds (mallinfo2 uordblks delta, so run it without ASan).
// Usage: edgegw_bench_devices [N]. Not part of the test run.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "devices/registry.h"

using namespace edgegw;
using namespace edgegw::devices;

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10'000;
  std::vector<DeviceChange> changes;
  changes.reserve(16);
  const size_t before = mallinfo2().uordblks;
  auto* registry = new Registry(Profiles::compile({}));
  TimePoint t = from_unix_ms(1'790'000'000'000);
  for (size_t i = 0; i < n; ++i) {
    std::string num = std::to_string(i);
    auto feed = [&](const std::string& topic, const std::string& payload) {
      changes.clear();
      registry->observe({topic, payload, false, t}, changes);
    };
    switch (i % 3) {
      case 0:
        feed("zigbee2mqtt/sensor_" + num, R"({"battery":97,"humidity":45.2,"linkquality":120,"temperature":21.3})");
        feed("zigbee2mqtt/sensor_" + num, R"({"temperature":21.4,"voltage":2995})");
        break;
      case 1:
        feed("tele/tasmota_" + num + "/LWT", "Online");
        feed("tele/tasmota_" + num + "/SENSOR",
             R"({"Time":"2026-11-22T07:00:00","ENERGY":{"Total":12.3,"Power":42,"Voltage":231}})");
        break;
      default:
        feed("shellyplus1-a8032ab" + num + "/online", "true");
        feed("shellyplus1-a8032ab" + num + "/status/switch:0", R"({"id":0,"source":"init","output":false})");
        break;
    }
  }
  registry->clear_dirty();
  const size_t after = mallinfo2().uordblks;
  double mib = static_cast<double>(after - before) / (1024.0 * 1024.0);
  std::printf("devices: %zu\nheap: %.2f MiB (%.0f bytes per device)\n", registry->size(), mib,
              static_cast<double>(after - before) / static_cast<double>(registry->size()));
  delete registry;
  return mib < 10.0 ? 0 : 1;
}
