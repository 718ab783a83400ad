// devices/device.h — a device known to the registry.
//
// Owned by devices::Registry, which never removes or moves one: an Event's
// `device` pointer (and the copies the rule engine keeps in its timers)
// stays valid for the registry's lifetime. Engine thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace edgegw::devices {

// Why a device is online or offline right now.
enum class Reason : uint8_t {
  unknown = 0,   // seen only in retained messages or restored: no live evidence yet
  message,       // online: a live message from it
  availability,  // its availability topic said so (zigbee2mqtt, Home Assistant, static)
  last_will,     // its last will (Tasmota LWT, Shelly `online`), published by the broker or the device
  silence,       // offline: nothing for offline_after
};

std::string_view reason_name(Reason r);
// The Reason named `name` (as reason_name gives it); unknown for anything else.
Reason reason_from_name(std::string_view name);

struct Device {
  std::string id;            // zigbee2mqtt friendly name, Tasmota topic, Shelly id, ...
  std::string_view profile;  // interned: zigbee2mqtt | tasmota | shelly | homeassistant | static
  std::string name;          // when known (bridge/devices, discovery config); "" otherwise
  std::string model;         // when known; "" otherwise
  bool online = false;
  Reason reason = Reason::unknown;
  TimePoint last_seen{};      // received_at of its last message
  uint64_t messages = 0;      // messages from it (commands to it are not counted)
  uint64_t bad_payloads = 0;  // messages whose payload did not fit the profile (still routed)
  // The merged state: compact JSON when the device reports JSON objects
  // (keys of a new report replace the old ones, zigbee2mqtt-style), else the
  // last state payload as received. "" until the first state report.
  std::string state;
  std::string previous_state;  // `state` before the last state report changed it
  std::string topic;           // the topic of its last message (silence events carry it)
  // In memory only.
  Duration offline_after{};  // 0: never offline by silence
  bool battery = false;      // zigbee2mqtt's bridge/devices says power_source "Battery"
  TimePoint heard_at{};      // silence is measured from here (last_seen, or the start)
  bool dirty = false;        // changed since the last Registry::clear_dirty()
  bool forgotten = false;    // it turned out not to be a device (a zigbee2mqtt group): listed nowhere
};

}  // namespace edgegw::devices
