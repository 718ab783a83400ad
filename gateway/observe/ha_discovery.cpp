#include "gateway/observe/ha_discovery.h"

#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "gateway/base/rfc3339.h"

namespace edgegw::gateway {
namespace {

// Discovery node and object ids allow [a-zA-Z0-9_-] only.
std::string node_id(std::string_view gateway_id) {
  std::string out = "edgegw_";
  for (char c : gateway_id) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
  return out;
}

struct Entity {
  const char* component;  // binary_sensor | sensor
  const char* object;
  const char* name;
  const char* value_template;
  const char* device_class;  // "" = none
  const char* unit;          // "" = none
  const char* icon;
};

constexpr Entity kEntities[] = {
    {"binary_sensor", "uplink", "Uplink connected", "{{ 'ON' if value_json.upstream_connected else 'OFF' }}",
     "connectivity", "", ""},
    {"sensor", "outbox_depth", "Outbox depth", "{{ value_json.outbox_depth }}", "", "messages", "mdi:tray-full"},
    {"sensor", "events_per_second", "Events per second", "{{ value_json.events_per_second }}", "", "events/s",
     "mdi:speedometer"},
    {"sensor", "devices_offline", "Devices offline", "{{ value_json.devices_offline }}", "", "devices",
     "mdi:lan-disconnect"},
};

}  // namespace

std::string status_topic(std::string_view gateway_id) { return "edgegw/" + std::string(gateway_id) + "/status"; }
std::string state_topic(std::string_view gateway_id) { return "edgegw/" + std::string(gateway_id) + "/state"; }

std::string online_status_payload(std::string_view version, int64_t since_ms) {
  nlohmann::json j;
  j["state"] = "online";
  j["version"] = std::string(version);
  j["since"] = format_rfc3339(from_unix_ms(since_ms));
  return j.dump();
}

std::string gateway_state_payload(const GatewayState& s) {
  nlohmann::json j;
  j["health"] = s.health;
  j["upstream_connected"] = s.upstream_connected;
  j["upstream_configured"] = s.upstream_configured;
  j["outbox_depth"] = s.outbox_depth;
  j["events_per_second"] = std::round(s.events_per_second * 10) / 10;
  j["devices_offline"] = s.devices_offline;
  return j.dump();
}

std::vector<RetainedMessage> discovery_configs(std::string_view prefix, std::string_view gateway_id,
                                               std::string_view version) {
  const std::string node = node_id(gateway_id);
  nlohmann::json device;
  device["identifiers"] = {node};
  device["name"] = "edgegw " + std::string(gateway_id);
  device["manufacturer"] = "edgegw";
  device["model"] = "MQTT edge gateway";
  device["sw_version"] = std::string(version);
  std::vector<RetainedMessage> out;
  for (const Entity& e : kEntities) {
    nlohmann::json c;
    c["name"] = e.name;
    c["unique_id"] = node + "_" + e.object;
    c["object_id"] = node + "_" + e.object;
    c["state_topic"] = state_topic(gateway_id);
    c["value_template"] = e.value_template;
    c["availability_topic"] = status_topic(gateway_id);
    c["availability_template"] = "{{ value_json.state }}";
    c["payload_available"] = "online";
    c["payload_not_available"] = "offline";
    if (*e.device_class) c["device_class"] = e.device_class;
    if (*e.unit) {
      c["unit_of_measurement"] = e.unit;
      c["state_class"] = "measurement";
    }
    if (*e.icon) c["icon"] = e.icon;
    c["device"] = device;
    out.push_back({std::string(prefix) + "/" + e.component + "/" + node + "/" + e.object + "/config", c.dump()});
  }
  return out;
}

}  // namespace edgegw::gateway
