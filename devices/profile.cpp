#include "devices/profile.h"

#include <algorithm>

#include "core/topic.h"

namespace edgegw::devices {
namespace {

constexpr std::string_view kProfileNames[] = {kZigbee2mqtt, kTasmota, kShelly, kEsphome, kHomeAssistant, kStatic};

using LevelKind = Profiles::LevelKind;

// "a|b|c" -> {"a", "b", "c"}
std::vector<std::string> split_options(std::string_view list) {
  std::vector<std::string> out;
  for (size_t start = 0;;) {
    size_t bar = list.find('|', start);
    out.emplace_back(list.substr(start, bar - start));
    if (bar == std::string_view::npos) return out;
    start = bar + 1;
  }
}

std::vector<Profiles::Level> parse_pattern(std::string_view pattern) {
  std::vector<Profiles::Level> out;
  for (std::string_view level : topic_levels(pattern)) {
    if (level == "{id}")
      out.push_back({LevelKind::id, {}, {}});
    else if (level == "{id+}")
      out.push_back({LevelKind::id_rest, {}, {}});
    else if (level == "+")
      out.push_back({LevelKind::component, {}, {}});
    else if (level == "*")
      out.push_back({LevelKind::any, {}, {}});
    else if (level == "#")
      out.push_back({LevelKind::rest, {}, {}});
    else if (level.size() > 2 && level.front() == '(' && level.back() == ')')
      out.push_back({LevelKind::one_of, {}, split_options(level.substr(1, level.size() - 2))});
    else
      out.push_back({LevelKind::literal, std::string(level), {}});
  }
  return out;
}

// One level of a pattern against one level of a topic; captures into `m`.
bool match_level(const Profiles::Level& p, std::string_view level, Match& m) {
  switch (p.kind) {
    case LevelKind::literal: return p.text == level;
    case LevelKind::one_of: return std::find(p.options.begin(), p.options.end(), level) != p.options.end();
    case LevelKind::id: m.id.assign(level); return !level.empty();
    case LevelKind::component: m.component.assign(level); return !level.empty();
    default: return true;
  }
}

// Matches `topic` (split into `levels`) against an entry's pattern. An
// `{id+}` level takes every level between the head and the tail.
bool match_entry(const Profiles::Entry& e, const std::vector<std::string_view>& levels, Match& m) {
  const auto& pat = e.pattern;
  size_t n = levels.size();
  for (size_t i = 0; i < pat.size(); ++i) {
    if (pat[i].kind == LevelKind::rest) return i <= n;
    if (pat[i].kind == LevelKind::id_rest) {
      size_t tail = pat.size() - i - 1;
      if (n < i + 1 + tail) return false;
      for (size_t t = 0; t < tail; ++t) {
        if (!match_level(pat[i + 1 + t], levels[n - tail + t], m)) return false;
      }
      std::string id;
      for (size_t k = i; k < n - tail; ++k) {
        if (levels[k].empty()) return false;
        if (k > i) id += '/';
        id.append(levels[k]);
      }
      m.id = std::move(id);
      return true;
    }
    if (i >= n || !match_level(pat[i], levels[i], m)) return false;
  }
  return pat.size() == n;
}

// Tasmota's FullTopic ("%prefix%/%topic%/") as a pattern for one prefix.
std::string tasmota_pattern(std::string_view full_topic, std::string_view prefix, std::string_view suffix) {
  std::string out;
  for (std::string_view level : topic_levels(full_topic)) {
    if (level.empty()) continue;  // the trailing '/'
    if (!out.empty()) out += '/';
    if (level == "%prefix%")
      out.append(prefix);
    else if (level == "%topic%")
      out += "{id}";
    else if (level.size() > 1 && level.front() == '%' && level.back() == '%')
      out += '*';
    else
      out.append(level);
  }
  return out + "/" + std::string(suffix);
}

}  // namespace

std::string_view intern_profile(std::string_view name) {
  for (std::string_view p : kProfileNames) {
    if (p == name) return p;
  }
  return {};
}

Profiles Profiles::compile(ProfileConfig config) {
  Profiles p;
  p.config_ = std::move(config);
  for (const auto& spec : p.config_.static_devices) p.add_static(spec);
  for (const auto& name : p.config_.profiles) {
    if (name == kZigbee2mqtt)
      p.add_zigbee2mqtt();
    else if (name == kTasmota)
      p.add_tasmota();
    else if (name == kShelly)
      p.add_shelly();
    else if (name == kEsphome)
      p.add_esphome();
    else if (name == kHomeAssistant)
      p.add_homeassistant();
  }
  for (Entry& e : p.entries_) {
    e.min_levels = e.pattern.size();
    e.max_levels = e.pattern.size();
    for (size_t i = 0; i < e.pattern.size(); ++i) {
      if (e.pattern[i].kind == LevelKind::rest) e.min_levels = i, e.max_levels = SIZE_MAX;  // `#`: the parent too
      if (e.pattern[i].kind == LevelKind::id_rest) e.max_levels = SIZE_MAX;
    }
  }
  return p;
}

void Profiles::add(std::string_view pattern, std::string_view profile, Kind kind, Decode decode, Reason reason,
                   std::string_view id_prefix) {
  entries_.push_back({parse_pattern(pattern), profile, kind, decode, reason, id_prefix, nullptr, {}});
}

void Profiles::add_static(const StaticSpec& spec) {
  if (!spec.availability_topic.empty()) {
    entries_.push_back({parse_pattern(spec.availability_topic),
                        kStatic,
                        Kind::availability,
                        Decode::custom_availability,
                        Reason::availability,
                        {},
                        &spec,
                        {}});
  }
  entries_.push_back(
      {parse_pattern(spec.topic), kStatic, Kind::state, Decode::any_state, Reason::availability, {}, &spec, {}});
}

// https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html
void Profiles::add_zigbee2mqtt() {
  const std::string b = config_.zigbee2mqtt_base_topic;
  add(b + "/bridge/devices", kZigbee2mqtt, Kind::discovery, Decode::z2m_bridge_devices);
  add(b + "/bridge/groups", kZigbee2mqtt, Kind::discovery, Decode::z2m_bridge_groups);
  add(b + "/bridge/#", kZigbee2mqtt, Kind::meta, Decode::none);  // the bridge itself, not a device
  add(b + "/{id+}/availability", kZigbee2mqtt, Kind::availability, Decode::z2m_availability);
  for (const char* verb : {"set", "get"}) {
    add(b + "/{id+}/" + verb, kZigbee2mqtt, Kind::command, Decode::none);
    add(b + "/{id+}/" + verb + "/+", kZigbee2mqtt, Kind::command, Decode::none);
  }
  add(b + "/{id+}", kZigbee2mqtt, Kind::state, Decode::json_object);
}

// https://tasmota.github.io/docs/MQTT/ (FullTopic, tele/stat/cmnd prefixes)
void Profiles::add_tasmota() {
  const std::string& f = config_.tasmota_full_topic;
  if (f.find("%topic%") == std::string::npos) return;  // no id to take
  add(tasmota_pattern(f, "tele", "LWT"), kTasmota, Kind::availability, Decode::tasmota_lwt, Reason::last_will);
  add(tasmota_pattern(f, "tele", "STATE"), kTasmota, Kind::state, Decode::json_object);
  add(tasmota_pattern(f, "tele", "SENSOR"), kTasmota, Kind::state, Decode::json_object);
  add(tasmota_pattern(f, "tele", "+"), kTasmota, Kind::meta, Decode::none);
  add(tasmota_pattern(f, "stat", "+"), kTasmota, Kind::state, Decode::tasmota_stat);
  add(tasmota_pattern(f, "cmnd", "#"), kTasmota, Kind::command, Decode::none);
}

// https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Mqtt
// The default topic prefix is the device id (shellyplus1-a8032ab12345);
// devices given another prefix are declared as static devices.
void Profiles::add_shelly() {
  add("{id}/online", kShelly, Kind::availability, Decode::shelly_online, Reason::last_will, "shelly");
  add("{id}/status/+", kShelly, Kind::state, Decode::component, Reason::availability, "shelly");
  add("{id}/events/rpc", kShelly, Kind::state, Decode::shelly_rpc, Reason::availability, "shelly");
  add("{id}/rpc", kShelly, Kind::command, Decode::none, Reason::availability, "shelly");
  add("{id}/command", kShelly, Kind::command, Decode::none, Reason::availability, "shelly");
  add("{id}/command/#", kShelly, Kind::command, Decode::none, Reason::availability, "shelly");
}

// https://esphome.io/components/mqtt.html: the topic prefix is the node name
// by default; birth and will (retained) on <prefix>/status; each entity's
// state on <prefix>/<component>/<object_id>/state, commands on .../command.
// `{id}/status` is a common shape, so a payload other than online/offline
// is not taken for ESPHome's (Registry::match), and the Home Assistant
// prefix (whose `status` is Home Assistant's own birth) is no node.
void Profiles::add_esphome() {
  const std::string c =
      "(sensor|binary_sensor|text_sensor|switch|light|fan|cover|climate|number|select|text|button|lock|valve|"
      "alarm_control_panel|date|time|datetime|event|update)";
  add("{id}/status", kEsphome, Kind::availability, Decode::esphome_status, Reason::last_will);
  add("{id}/" + c + "/+/state", kEsphome, Kind::state, Decode::esphome_state);
  add("{id}/" + c + "/*/command", kEsphome, Kind::command, Decode::none);
  add("{id}/" + c + "/*/*/command", kEsphome, Kind::command, Decode::none);  // climate mode, fan speed, ...
  add("{id}/" + c + "/*/*/state", kEsphome, Kind::meta, Decode::none);       // their states: heard, not merged
  for (auto& e : entries_) {
    if (e.profile == kEsphome) e.not_id = config_.homeassistant_prefix;
  }
}

// https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery
// <prefix>/<component>/[<node_id>/]<object_id>/config
void Profiles::add_homeassistant() {
  const std::string& p = config_.homeassistant_prefix;
  add(p + "/+/{id}/config", kHomeAssistant, Kind::discovery, Decode::ha_config);
  add(p + "/+/*/{id}/config", kHomeAssistant, Kind::discovery, Decode::ha_config);
}

std::optional<Match> Profiles::match(std::string_view topic) const {
  auto levels = topic_levels(topic);
  Match m;
  for (const auto& e : entries_) {
    if (levels.size() < e.min_levels || levels.size() > e.max_levels) continue;
    m.id.clear();
    m.component.clear();
    if (!match_entry(e, levels, m)) continue;
    if (e.spec) m.id = e.spec->id;
    if (!e.id_prefix.empty() && !m.id.starts_with(e.id_prefix)) continue;
    if (!e.not_id.empty() && m.id == e.not_id) continue;
    m.profile = e.profile;
    m.kind = e.kind;
    m.decode = e.decode;
    m.reason = e.reason;
    m.spec = e.spec;
    if (e.spec) {
      m.payload_online = e.spec->payload_online;
      m.payload_offline = e.spec->payload_offline;
    }
    return m;
  }
  return std::nullopt;
}

std::vector<std::string> Profiles::filters() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) {
    if (e.kind == Kind::command) continue;  // commands to devices are not theirs to report
    std::string f;
    for (const auto& level : e.pattern) {
      if (!f.empty() || &level != &e.pattern.front()) f += '/';
      if (level.kind == LevelKind::literal) {
        f += level.text;
      } else if (level.kind == LevelKind::id_rest || level.kind == LevelKind::rest) {
        f += '#';
        break;
      } else {
        f += '+';
      }
    }
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(std::move(f));
  }
  return minimal_filters(out);
}

bool Profiles::enabled(std::string_view profile) const {
  return std::find(config_.profiles.begin(), config_.profiles.end(), profile) != config_.profiles.end();
}

Duration Profiles::offline_after_for(std::string_view id, bool battery) const {
  if (auto it = config_.overrides.find(id); it != config_.overrides.end()) return it->second;
  for (const auto& spec : config_.static_devices) {
    if (spec.id == id && spec.offline_after) return *spec.offline_after;
  }
  return battery ? config_.offline_after_battery : config_.offline_after;
}

}  // namespace edgegw::devices
