// devices/registry.h — the devices the gateway has heard from.
//
// observe() takes each local message, finds its device through the
// Profiles tables (and the topics Home Assistant discovery configs
// announced), creates the device on its first message, counts it, merges
// its state and tracks online/offline; check_silence(now) marks devices
// offline that said nothing for offline_after. Both report what changed as
// DeviceChange values for the rule engine's `device` triggers.
//
// Semantics (docs/devices.md):
//  - a device exists from its first message of kind state, availability or
//    meta; discovery lists (zigbee2mqtt bridge/devices, Home Assistant
//    configs) only add names, models and topics; commands never create one;
//  - a Home Assistant config whose state or availability topic a profile
//    already claims (an ESPHome node's) describes that profile's device: it
//    names it, and never makes a second device of it;
//  - availability messages set online/offline with their source as reason;
//  - a live message from a device that is offline by silence or not known
//    to be either brings it online (reason `message`); every message is
//    live except a device's first one when it is retained (a replay); a device
//    that its availability topic or last will declared offline stays so
//    until that source says online;
//  - every transition is reported once: a device that comes back after
//    silence gives one `online`;
//  - `state` is reported for every state report that could be read.
// Payloads that do not fit (non-JSON where JSON is expected) count in
// Device::bad_payloads and change nothing else; the caller still routes them.
//
// Time comes in as arguments (message times, `now`); no clock is read.
// Devices are never removed, so Device pointers stay valid for the
// registry's lifetime. Engine thread only; not copyable.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "devices/device.h"
#include "devices/profile.h"

namespace edgegw::devices {

enum class Change : uint8_t { online, offline, state };
std::string_view change_name(Change c);  // "online" | "offline" | "state": the rule trigger's `event`

struct DeviceChange {
  Device* device = nullptr;
  Change change = Change::state;
};

struct Message {
  std::string_view topic;
  std::string_view payload;
  bool retained = false;
  TimePoint at{};  // when it was received
};

// The registry's devices that are still listed, as a forward range over its
// slots (a hand-written filter: clang 14, which builds the fuzz targets,
// cannot compile libstdc++ 12's <ranges>).
class DeviceRange {
 public:
  using Slots = std::deque<Device>;
  class iterator {
   public:
    using value_type = Device;
    using difference_type = std::ptrdiff_t;
    using reference = const Device&;
    using pointer = const Device*;
    using iterator_category = std::forward_iterator_tag;
    iterator() = default;
    iterator(Slots::const_iterator it, Slots::const_iterator end) : it_(it), end_(end) { skip(); }
    reference operator*() const { return *it_; }
    pointer operator->() const { return &*it_; }
    iterator& operator++() {
      ++it_;
      skip();
      return *this;
    }
    iterator operator++(int) {
      iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const iterator& other) const { return it_ == other.it_; }

   private:
    void skip() {
      while (it_ != end_ && it_->forgotten) ++it_;
    }
    Slots::const_iterator it_{}, end_{};
  };
  explicit DeviceRange(const Slots& slots) : slots_(&slots) {}
  iterator begin() const { return {slots_->begin(), slots_->end()}; }
  iterator end() const { return {slots_->end(), slots_->end()}; }

 private:
  const Slots* slots_;
};

class Registry {
 public:
  explicit Registry(Profiles profiles);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // One local message. Returns the device it is from or for (null when no
  // profile matched, for discovery lists, and for commands to devices not
  // known yet). Appends its changes to `out`: an online/offline transition
  // before the state report.
  Device* observe(const Message& m, std::vector<DeviceChange>& out);

  // Devices with offline_after > 0 that are online (or not known to be
  // either) and silent since heard_at + offline_after <= now go offline
  // with reason silence; those that were online are appended to `out`.
  void check_silence(TimePoint now, std::vector<DeviceChange>& out);
  // No silence can be due before this; nullopt: none can be due at all.
  std::optional<TimePoint> next_silence_due() const { return next_silence_; }

  // At start, a device as persisted (a duplicate id is ignored). Silence is
  // counted from `start`: the gateway could not hear it while it was down.
  void restore(Device d, TimePoint start);

  const Device* find(std::string_view id) const;
  size_t size() const { return devices_.size() - forgotten_; }
  // Every device, in the order they became known. A device that turned out
  // to be a zigbee2mqtt group is left out; its slot stays (Device pointers
  // are stable: events and rule timers hold them).
  DeviceRange devices() const { return DeviceRange(devices_); }

  // The devices changed since clear_dirty(), in the order they changed.
  const std::vector<Device*>& dirty() const { return dirty_; }
  // The ids forgotten since clear_dirty() (their rows are to be deleted).
  const std::vector<std::string>& removed() const { return removed_; }
  void clear_dirty();

  const Profiles& profiles() const { return profiles_; }

 private:
  struct Impl;      // simdjson parsers
  struct Learned {  // a topic a Home Assistant discovery config announced
    std::string id;
    Kind kind = Kind::state;
    std::string payload_online, payload_offline;
    std::string config_topic;  // the discovery config that announced it
  };
  struct Meta {  // a name and model known before the device spoke
    std::string name, model;
    std::optional<bool> battery;  // zigbee2mqtt power_source; nullopt: not said
  };

  // The profile entry for `topic`, else what a discovery config announced it
  // as. `payload` settles the one entry that depends on it (ESPHome status).
  std::optional<Match> match(std::string_view topic, std::string_view payload) const;
  // The profile device a discovery config's topic belongs to, if a profile
  // already claims that topic; `on`/`off`: the config's availability payloads.
  std::optional<Match> profile_owner(std::string_view topic, std::string_view on = {}, std::string_view off = {}) const;
  Device& get_or_create(const Match& m, TimePoint at);
  Device* find_mutable(std::string_view id);
  void touch(Device& d);
  void set_online(Device& d, bool online, Reason reason, TimePoint at, std::vector<DeviceChange>& out);
  void arm_silence(const Device& d);
  // Decoders (registry_decode.cpp). Each returns false for a payload that
  // does not fit its profile.
  bool decode_state(Device& d, const Match& m, std::string_view payload, bool& changed);
  bool decode_availability(const Match& m, std::string_view payload, bool& online);
  void decode_bridge_devices(std::string_view payload);
  void decode_bridge_groups(std::string_view payload);
  void forget(Device& d);
  void decode_ha_config(const Match& m, std::string_view config_topic, std::string_view payload);
  void learn_ha_topics(const std::string& id, std::string_view config_topic, const std::string& state,
                       const std::string& avail, const std::string& on, const std::string& off);
  void apply_meta(Device& d, const Meta& meta);

  Profiles profiles_;
  std::unique_ptr<Impl> impl_;
  std::deque<Device> devices_;
  std::unordered_map<std::string_view, Device*> index_;  // keys view Device::id
  std::unordered_map<std::string, Learned> learned_;     // topic -> what it is
  std::unordered_map<std::string, Meta> meta_;           // id -> name/model from lists
  std::unordered_set<std::string> groups_;               // zigbee2mqtt group names (bridge/groups)
  size_t forgotten_ = 0;
  std::vector<Device*> dirty_;
  std::vector<std::string> removed_;
  std::optional<TimePoint> next_silence_;
};

}  // namespace edgegw::devices
