// devices/profile.h — which topics belong to which device, table-driven.
//
// Each profile (zigbee2mqtt, Tasmota, Shelly Gen2, ESPHome, Home Assistant
// discovery, static devices from gateway.yaml) is a small table of topic patterns, each
// with what a message on it means (state, availability, discovery, meta,
// command) and how its payload is read (Decode). There is no class per
// vendor: the tables are built once from ProfileConfig by Profiles::compile,
// and match() walks them in order, static devices first. Topics that Home
// Assistant discovery configs announce are learned at run time by the
// Registry, not here.
//
// Pure: no I/O. Immutable after compile; any thread may call match().
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "devices/device.h"

namespace edgegw::devices {

// Interned profile names: Device::profile points at one of these.
inline constexpr std::string_view kZigbee2mqtt = "zigbee2mqtt";
inline constexpr std::string_view kTasmota = "tasmota";
inline constexpr std::string_view kShelly = "shelly";
inline constexpr std::string_view kEsphome = "esphome";
inline constexpr std::string_view kHomeAssistant = "homeassistant";
inline constexpr std::string_view kStatic = "static";

// The interned name equal to `name`; "" if it is none of the above.
std::string_view intern_profile(std::string_view name);

enum class Kind : uint8_t {
  state,         // the device reports its state
  availability,  // the device (or its bridge, or the broker for its will) says online/offline
  discovery,     // describes devices (Home Assistant config, zigbee2mqtt bridge/devices)
  meta,          // from the device, but neither state nor availability (Tasmota INFO1, Shelly NotifyEvent)
  command,       // to the device: never creates it, never counts as hearing from it
};

// How a message's payload is read.
enum class Decode : uint8_t {
  none,                 // nothing to read
  json_object,          // a JSON object, merged into the state; anything else is a bad payload
  any_state,            // an object is merged; any other payload replaces the state as is
  component,            // JSON merged under the topic's component key (Shelly status/<component>)
  tasmota_stat,         // stat/<dev>/RESULT or STATUSn: JSON merged; POWERn: {"POWERn":"ON"}
  shelly_rpc,           // events/rpc: NotifyStatus / NotifyFullStatus params merged per component
  z2m_availability,     // {"state":"online"} or the legacy plain online / offline
  tasmota_lwt,          // Online / Offline
  shelly_online,        // true / false
  esphome_status,       // online / offline (ESPHome's birth and will); any other payload: not ESPHome's
  esphome_state,        // <prefix>/<component>/<object_id>/state: {object_id: value}, a number as a number
  custom_availability,  // a static device's payload_online / payload_offline
  z2m_bridge_devices,   // bridge/devices: names and models
  z2m_bridge_groups,    // bridge/groups: names that are groups, not devices
  ha_config,            // a discovery config: state and availability topics
};

struct StaticSpec {
  std::string id;
  std::string topic;               // MQTT filter
  std::string availability_topic;  // MQTT filter; "" = none
  std::string payload_online = "online";
  std::string payload_offline = "offline";
  std::optional<Duration> offline_after;  // nullopt: ProfileConfig::offline_after
};

struct ProfileConfig {
  std::vector<std::string> profiles{"zigbee2mqtt", "tasmota", "shelly", "esphome", "homeassistant"};
  std::string zigbee2mqtt_base_topic = "zigbee2mqtt";
  std::string tasmota_full_topic = "%prefix%/%topic%/";
  std::string homeassistant_prefix = "homeassistant";
  Duration offline_after = std::chrono::minutes(10);        // mains or unknown power; 0: never offline by silence
  Duration offline_after_battery = std::chrono::hours(25);  // battery-powered (zigbee2mqtt power_source)
  std::map<std::string, Duration, std::less<>> overrides;   // device id -> its own limit (any profile)
  std::vector<StaticSpec> static_devices;
};

// What one topic means.
struct Match {
  std::string id;            // the device id ("" for discovery lists that name many)
  std::string_view profile;  // interned
  Kind kind = Kind::meta;
  Decode decode = Decode::none;
  std::string component;                 // the level a `+` captured (Shelly component, Tasmota suffix,
                                         // ESPHome object_id)
  Reason reason = Reason::availability;  // for availability: which source it is
  const StaticSpec* spec = nullptr;      // static devices: the declaration
  // custom_availability: the payloads that mean online and offline.
  std::string_view payload_online, payload_offline;
};

class Profiles {
 public:
  // Unknown profile names are skipped (the config loader reports them).
  static Profiles compile(ProfileConfig config);
  Profiles(Profiles&&) = default;  // entries point into config_'s static list: no copies
  Profiles& operator=(Profiles&&) = default;
  Profiles(const Profiles&) = delete;
  Profiles& operator=(const Profiles&) = delete;

  // The first table entry that matches `topic`; nullopt if none does.
  std::optional<Match> match(std::string_view topic) const;

  // Filters that cover every topic the tables can match, to subscribe.
  std::vector<std::string> filters() const;

  const ProfileConfig& config() const { return config_; }
  bool enabled(std::string_view profile) const;
  // A device's silence limit: its override, else its static declaration's,
  // else the default for its power source (as zigbee2mqtt's availability
  // check: 10 min mains, 25 h battery). 0: never.
  Duration offline_after_for(std::string_view id, bool battery = false) const;

  enum class LevelKind : uint8_t { literal, one_of, id, id_rest, component, any, rest };
  struct Level {
    LevelKind kind = LevelKind::literal;
    std::string text;                  // literal only
    std::vector<std::string> options;  // one_of only
  };
  struct Entry {
    std::vector<Level> pattern;
    std::string_view profile;
    Kind kind = Kind::meta;
    Decode decode = Decode::none;
    Reason reason = Reason::availability;
    std::string_view id_prefix;        // the id must start with this (Shelly: "shelly")
    const StaticSpec* spec = nullptr;  // static: the id is spec->id
    std::string not_id;                // the id must not be this (ESPHome: the Home Assistant prefix)
    // The topic level counts the pattern can match (set by compile): most
    // topics are turned away by their length alone, before any level is read.
    size_t min_levels = 0, max_levels = SIZE_MAX;
  };

 private:
  Profiles() = default;
  // Pattern levels: a literal, `{id}` (one level: the device id), `{id+}`
  // (one or more levels, zigbee2mqtt names may hold '/'), `+` (captured as
  // the component), `*` (any one level), `#` (the rest), `(a|b|c)` (one of
  // these literals).
  void add(std::string_view pattern, std::string_view profile, Kind kind, Decode decode,
           Reason reason = Reason::availability, std::string_view id_prefix = {});
  void add_static(const StaticSpec& spec);
  void add_zigbee2mqtt();
  void add_tasmota();
  void add_shelly();
  void add_esphome();
  void add_homeassistant();

  ProfileConfig config_;
  std::vector<Entry> entries_;
};

}  // namespace edgegw::devices
