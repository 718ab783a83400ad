// The Registry's payload decoders, one per Decode value (devices/profile.h).
#include <string>

#include "devices/json_merge.h"
#include "devices/registry_impl.h"

namespace edgegw::devices {
namespace {

namespace dom = simdjson::dom;

bool parse(dom::parser& parser, std::string_view payload, dom::element& out) {
  return !payload.empty() && parser.parse(payload.data(), payload.size()).get(out) == simdjson::SUCCESS;
}

std::string string_at(dom::object obj, std::string_view key) {
  std::string_view s;
  if (obj[key].get_string().get(s) != simdjson::SUCCESS) return {};
  return std::string(s);
}

// The first of `keys` (a Home Assistant key and its abbreviation) that is a string.
std::string first_string(dom::object obj, std::initializer_list<std::string_view> keys) {
  for (auto k : keys) {
    if (auto s = string_at(obj, k); !s.empty()) return s;
  }
  return {};
}

// Home Assistant's `~`: a topic starting with it is prefixed, one ending
// with it suffixed, with the config's base topic.
std::string expand_base(std::string topic, const std::string& base) {
  if (base.empty() || topic.empty()) return topic;
  if (topic.front() == '~') return base + topic.substr(1);
  if (topic.back() == '~') return topic.substr(0, topic.size() - 1) + base;
  return topic;
}

}  // namespace

bool Registry::decode_availability(const Match& m, std::string_view payload, bool& online) {
  auto is = [&](std::string_view on, std::string_view off) {
    if (payload == on)
      online = true;
    else if (payload == off)
      online = false;
    else
      return false;
    return true;
  };
  switch (m.decode) {
    case Decode::tasmota_lwt: return is("Online", "Offline");
    case Decode::shelly_online: return is("true", "false");
    case Decode::esphome_status: return is("online", "offline");
    case Decode::custom_availability: return is(m.payload_online, m.payload_offline);
    case Decode::z2m_availability: {
      if (is("online", "offline")) return true;  // legacy plain payload
      dom::element doc;
      dom::object obj;
      if (!parse(impl_->payload, payload, doc) || doc.get_object().get(obj) != simdjson::SUCCESS) return false;
      std::string state = string_at(obj, "state");
      payload = state;
      return is("online", "offline");
    }
    default: return false;
  }
}

namespace {

// A Shelly Gen2 NotifyStatus: each component carries only what changed, so
// it is merged one level deeper than a report. False: no `params` object.
bool shelly_updates(dom::parser& scratch, const std::string& state, dom::object& obj, JsonMembers& updates) {
  dom::object params;
  if (obj["params"].get_object().get(params) != simdjson::SUCCESS) return false;
  for (auto field : params) {
    dom::object comp;
    if (field.key == "ts") continue;
    if (field.value.get_object().get(comp) != simdjson::SUCCESS) {
      updates.emplace_back(std::string(field.key), simdjson::minify(field.value));
      continue;
    }
    std::string old = member_text(scratch, state, field.key);
    updates.emplace_back(std::string(field.key), merge_members(scratch, old, members_of(comp)));
  }
  return true;
}

// An ESPHome state as a JSON value: a number ("21.5") or an object (a
// light's JSON) as it is; anything else ("ON", "nan", a text sensor's text)
// as a string.
std::string esphome_value(dom::element doc, bool json, std::string_view payload) {
  return json && (doc.is_number() || doc.is_object()) ? simdjson::minify(doc) : json_quote(payload);
}

}  // namespace

bool Registry::decode_state(Device& d, const Match& m, std::string_view payload, bool& changed) {
  dom::element doc;
  dom::object obj;
  bool json = parse(impl_->payload, payload, doc);
  bool object = json && doc.get_object().get(obj) == simdjson::SUCCESS;
  JsonMembers updates;
  switch (m.decode) {
    case Decode::json_object:
      if (!object) return false;
      updates = members_of(obj);
      break;
    case Decode::any_state:
      if (!object) {  // plain text, a number, ...: the state is the payload
        d.previous_state = std::move(d.state);
        d.state.assign(payload);
        changed = true;
        return true;
      }
      updates = members_of(obj);
      break;
    case Decode::component:
      if (!json) return false;
      updates.emplace_back(m.component, simdjson::minify(doc));
      break;
    case Decode::tasmota_stat:
      if (m.component.starts_with("POWER")) {
        updates.emplace_back(m.component, json_quote(payload));
      } else if (m.component == "RESULT" || m.component.starts_with("STATUS")) {
        if (!object) return false;
        updates = members_of(obj);
      } else {
        return true;  // other stat/ replies are not state
      }
      break;
    case Decode::esphome_state: updates.emplace_back(m.component, esphome_value(doc, json, payload)); break;
    case Decode::shelly_rpc: {
      if (!object) return false;
      std::string method = string_at(obj, "method");
      if (method != "NotifyStatus" && method != "NotifyFullStatus") return true;  // NotifyEvent, ...
      if (!shelly_updates(impl_->scratch, d.state, obj, updates)) return false;
      break;
    }
    default: return true;
  }
  d.previous_state = d.state;
  d.state = merge_members(impl_->scratch, d.state, updates);
  changed = true;
  return true;
}

// zigbee2mqtt's bridge/devices: [{"friendly_name", "type", "power_source",
// "definition": {"model", "vendor", "description"}}, ...]. Names, models,
// and whether it runs on a battery (its silence limit).
void Registry::decode_bridge_devices(std::string_view payload) {
  dom::element doc;
  dom::array list;
  if (!parse(impl_->payload, payload, doc) || doc.get_array().get(list) != simdjson::SUCCESS) return;
  for (dom::element item : list) {
    dom::object obj, def;
    if (item.get_object().get(obj) != simdjson::SUCCESS) continue;
    std::string id = string_at(obj, "friendly_name");
    if (id.empty() || string_at(obj, "type") == "Coordinator") continue;
    Meta meta;
    if (obj["definition"].get_object().get(def) == simdjson::SUCCESS) {
      meta.name = string_at(def, "description");
      std::string vendor = string_at(def, "vendor"), model = string_at(def, "model");
      meta.model = vendor.empty() ? model : model.empty() ? vendor : vendor + " " + model;
    }
    if (meta.model.empty()) meta.model = string_at(obj, "model_id");
    if (std::string power = string_at(obj, "power_source"); !power.empty()) meta.battery = power == "Battery";
    if (Device* d = find_mutable(id)) apply_meta(*d, meta);
    meta_[id] = std::move(meta);
  }
}

// zigbee2mqtt's bridge/groups: [{"friendly_name", "id", "members", ...}].
// A group publishes its state on <base>/<name> as a device does, but it is
// not one: its names are skipped, and a group tracked before the list
// arrived is forgotten.
void Registry::decode_bridge_groups(std::string_view payload) {
  dom::element doc;
  dom::array list;
  if (!parse(impl_->payload, payload, doc) || doc.get_array().get(list) != simdjson::SUCCESS) return;
  groups_.clear();
  for (dom::element item : list) {
    dom::object obj;
    if (item.get_object().get(obj) != simdjson::SUCCESS) continue;
    std::string name = string_at(obj, "friendly_name");
    if (name.empty()) continue;
    if (Device* d = find_mutable(name); d && d->profile == kZigbee2mqtt) forget(*d);
    groups_.insert(std::move(name));
  }
}

namespace {

// What a Home Assistant discovery config says, abbreviations and `~` read
// as Home Assistant reads them.
struct HaConfig {
  std::string object_id, state, avail, on, off;
  std::string entity_name, device_name, model;
};

HaConfig read_ha_config(dom::object obj) {
  HaConfig c;
  c.object_id = first_string(obj, {"object_id", "obj_id"});
  std::string base = string_at(obj, "~");
  c.state = expand_base(first_string(obj, {"state_topic", "stat_t"}), base);
  c.avail = expand_base(first_string(obj, {"availability_topic", "avty_t"}), base);
  c.on = first_string(obj, {"payload_available", "pl_avail"});
  c.off = first_string(obj, {"payload_not_available", "pl_not_avail"});
  dom::array list;
  dom::object first;
  if ((obj["availability"].get_array().get(list) == simdjson::SUCCESS ||
       obj["avty"].get_array().get(list) == simdjson::SUCCESS) &&
      list.at(0).get_object().get(first) == simdjson::SUCCESS) {
    c.avail = expand_base(first_string(first, {"topic", "t"}), base);
    c.on = first_string(first, {"payload_available", "pl_avail"});
    c.off = first_string(first, {"payload_not_available", "pl_not_avail"});
  }
  c.entity_name = first_string(obj, {"name"});
  dom::object dev;
  if (obj["device"].get_object().get(dev) == simdjson::SUCCESS ||
      obj["dev"].get_object().get(dev) == simdjson::SUCCESS) {
    c.device_name = first_string(dev, {"name"});
    std::string maker = first_string(dev, {"manufacturer", "mf"}), model = first_string(dev, {"model", "mdl"});
    c.model = maker.empty() ? model : model.empty() ? maker : maker + " " + model;
  }
  return c;
}

}  // namespace

std::optional<Match> Registry::profile_owner(std::string_view topic, std::string_view on, std::string_view off) const {
  if (topic.empty()) return std::nullopt;
  auto m = profiles_.match(topic);
  if (!m || m->id.empty() || m->kind == Kind::discovery || m->kind == Kind::command) return std::nullopt;
  bool esphome_payloads = (on.empty() || on == "online") && (off.empty() || off == "offline");
  if (m->decode == Decode::esphome_status && !esphome_payloads) return std::nullopt;
  return m;
}

// A Home Assistant discovery config: its state and availability topics
// become the device's. An empty config removes the entity: its topics are
// forgotten. A config whose topics a profile already claims (ESPHome
// announces each entity of a node this way) belongs to that profile's
// device: it adds the device's name and model where none is known, and only
// the topics no profile claims are learned, under that device's id, so the
// node never shows up as a second device.
void Registry::decode_ha_config(const Match& m, std::string_view config_topic, std::string_view payload) {
  dom::element doc;
  dom::object obj;
  if (!parse(impl_->payload, payload, doc) || doc.get_object().get(obj) != simdjson::SUCCESS) {
    if (payload.empty()) {
      std::erase_if(learned_, [config_topic](const auto& kv) { return kv.second.config_topic == config_topic; });
    }
    return;
  }
  HaConfig c = read_ha_config(obj);
  auto owner = profile_owner(c.state);
  if (!owner) owner = profile_owner(c.avail, c.on, c.off);
  if (!owner) {
    std::string id = c.object_id.empty() ? m.id : c.object_id;
    learn_ha_topics(id, config_topic, c.state, c.avail, c.on, c.off);
    Meta meta{c.entity_name.empty() ? c.device_name : c.entity_name, c.model, std::nullopt};
    if (Device* d = find_mutable(id)) apply_meta(*d, meta);
    meta_[id] = std::move(meta);
    return;
  }
  auto unclaimed = [this](const std::string& t) { return profiles_.match(t) ? std::string() : t; };
  learn_ha_topics(owner->id, config_topic, unclaimed(c.state), unclaimed(c.avail), c.on, c.off);
  Meta& meta = meta_[owner->id];  // fill only: bridge/devices and earlier configs keep theirs
  if (meta.name.empty()) meta.name = c.device_name.empty() ? c.entity_name : c.device_name;
  if (meta.model.empty()) meta.model = c.model;
  if (Device* d = find_mutable(owner->id)) apply_meta(*d, meta);
}

void Registry::learn_ha_topics(const std::string& id, std::string_view config_topic, const std::string& state,
                               const std::string& avail, const std::string& on, const std::string& off) {
  if (!state.empty()) learned_[state] = Learned{id, Kind::state, {}, {}, std::string(config_topic)};
  if (!avail.empty()) {
    learned_[avail] = Learned{id, Kind::availability, on.empty() ? "online" : on, off.empty() ? "offline" : off,
                              std::string(config_topic)};
  }
}

void Registry::apply_meta(Device& d, const Meta& meta) {
  bool changed = false;
  for (auto [from, to] : {std::pair{&meta.name, &d.name}, std::pair{&meta.model, &d.model}}) {
    if (from->empty() || *from == *to) continue;
    *to = *from;
    changed = true;
  }
  if (changed) touch(d);
  if (meta.battery && *meta.battery != d.battery) {
    d.battery = *meta.battery;
    d.offline_after = profiles_.offline_after_for(d.id, d.battery);
    arm_silence(d);
  }
}

}  // namespace edgegw::devices
