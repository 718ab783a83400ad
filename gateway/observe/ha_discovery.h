// gateway/observe/ha_discovery.h — Home Assistant MQTT discovery for the gateway itself.
//
// Four entities, announced as retained configs on the LOCAL broker (where
// Home Assistant listens): uplink connected (binary_sensor), outbox depth,
// events per second, devices offline (sensors). Their values come from one
// retained JSON state topic, `edgegw/<id>/state`; their availability from the
// status topic `edgegw/<id>/status` ({"state":"online"|"offline"}, the last
// will), so Home Assistant shows them unavailable when the gateway is gone.
//
// Published directly through the local link (retained, QoS 1), not through
// the outbox: they describe the present, a retained message replaces the
// last one, and replaying stale values after an outage would be wrong.
//
// Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgegw::gateway {

struct GatewayState {  // the body of edgegw/<id>/state
  bool upstream_connected = false;
  bool upstream_configured = false;
  uint64_t outbox_depth = 0;
  double events_per_second = 0;
  uint64_t devices_offline = 0;
  std::string health;  // ok | degraded | unavailable
};

struct RetainedMessage {
  std::string topic, payload;
};

std::string status_topic(std::string_view gateway_id);
std::string state_topic(std::string_view gateway_id);
// {"state":"online","version":...,"since":RFC 3339}
std::string online_status_payload(std::string_view version, int64_t since_ms);
std::string gateway_state_payload(const GatewayState& s);

// The discovery configs under `prefix` (normally "homeassistant").
std::vector<RetainedMessage> discovery_configs(std::string_view prefix, std::string_view gateway_id,
                                               std::string_view version);

// Whether `topic` is a Home Assistant topic under `prefix` ("prefix/...").
inline bool is_ha_topic(std::string_view topic, std::string_view prefix) {
  return topic.size() > prefix.size() && topic.substr(0, prefix.size()) == prefix && topic[prefix.size()] == '/';
}

}  // namespace edgegw::gateway
