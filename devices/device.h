// devices/device.h — a device known to the registry.
#pragma once

#include <string>

namespace edgegw::devices {

struct Device {
  std::string id;       // zigbee2mqtt friendly name, Tasmota topic, Shelly id, ...
  std::string profile;  // zigbee2mqtt | tasmota | shelly | homeassistant | static
  bool online = false;
};

}  // namespace edgegw::devices
