#include "devices/registry.h"

#include <algorithm>

#include "devices/registry_impl.h"

namespace edgegw::devices {

std::string_view reason_name(Reason r) {
  switch (r) {
    case Reason::message: return "message";
    case Reason::availability: return "availability";
    case Reason::last_will: return "last_will";
    case Reason::silence: return "silence";
    case Reason::unknown: break;
  }
  return "unknown";
}

Reason reason_from_name(std::string_view name) {
  for (Reason r : {Reason::message, Reason::availability, Reason::last_will, Reason::silence}) {
    if (reason_name(r) == name) return r;
  }
  return Reason::unknown;
}

std::string_view change_name(Change c) {
  switch (c) {
    case Change::online: return "online";
    case Change::offline: return "offline";
    case Change::state: break;
  }
  return "state";
}

Registry::Registry(Profiles profiles) : profiles_(std::move(profiles)), impl_(std::make_unique<Impl>()) {}

Registry::~Registry() = default;

std::optional<Match> Registry::match(std::string_view topic, std::string_view payload) const {
  if (auto m = profiles_.match(topic)) {
    // `<node>/status` is ESPHome's only with ESPHome's payloads.
    if (m->decode != Decode::esphome_status || payload == "online" || payload == "offline") return m;
  }
  auto it = learned_.find(std::string(topic));
  if (it == learned_.end()) return std::nullopt;
  Match m;
  m.id = it->second.id;
  m.profile = kHomeAssistant;
  m.kind = it->second.kind;
  m.decode = it->second.kind == Kind::state ? Decode::any_state : Decode::custom_availability;
  m.payload_online = it->second.payload_online;
  m.payload_offline = it->second.payload_offline;
  return m;
}

Device* Registry::observe(const Message& msg, std::vector<DeviceChange>& out) {
  auto m = match(msg.topic, msg.payload);
  if (!m) return nullptr;
  if (m->kind == Kind::discovery) {
    if (m->decode == Decode::z2m_bridge_devices)
      decode_bridge_devices(msg.payload);
    else if (m->decode == Decode::z2m_bridge_groups)
      decode_bridge_groups(msg.payload);
    else
      decode_ha_config(*m, msg.topic, msg.payload);
    return nullptr;
  }
  if (m->profile == kZigbee2mqtt && groups_.contains(m->id)) return nullptr;  // a group, not a device
  if (m->kind == Kind::command) return find_mutable(m->id);

  const bool known = find(m->id) != nullptr;
  Device& d = get_or_create(*m, msg.at);
  // The gateway subscribes with Retain As Published, so a retained flag
  // does not tell a replay from a device that publishes with retain. Only
  // a device's first message, when retained, is taken as a replay (what
  // the broker sends at subscribe time): no evidence that it is alive.
  const bool live = !msg.retained || known;
  ++d.messages;
  d.last_seen = msg.at;
  if (d.topic != msg.topic) d.topic.assign(msg.topic);
  if (live) d.heard_at = std::max(d.heard_at, msg.at);
  touch(d);

  if (m->kind == Kind::availability) {
    bool online = false;
    if (!decode_availability(*m, msg.payload, online))
      ++d.bad_payloads;
    else
      set_online(d, online, m->reason, msg.at, out);
    return &d;
  }
  // A live message is evidence the device is up, unless its own
  // availability source said otherwise (that source will say when it is back).
  bool declared_offline = !d.online && (d.reason == Reason::availability || d.reason == Reason::last_will);
  if (live && !d.online && !declared_offline) set_online(d, true, Reason::message, msg.at, out);
  if (m->kind == Kind::state) {
    bool changed = false;
    if (!decode_state(d, *m, msg.payload, changed))
      ++d.bad_payloads;
    else if (changed)
      out.push_back({&d, Change::state});
  }
  arm_silence(d);
  return &d;
}

Device& Registry::get_or_create(const Match& m, TimePoint at) {
  if (Device* d = find_mutable(m.id)) return *d;
  Device& d = devices_.emplace_back();
  d.id = m.id;
  d.profile = m.profile;
  d.offline_after = profiles_.offline_after_for(m.id);
  d.heard_at = at;
  index_.emplace(d.id, &d);
  if (auto it = meta_.find(d.id); it != meta_.end()) apply_meta(d, it->second);
  return d;
}

Device* Registry::find_mutable(std::string_view id) {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : it->second;
}

const Device* Registry::find(std::string_view id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : it->second;
}

void Registry::touch(Device& d) {
  if (d.dirty) return;
  d.dirty = true;
  dirty_.push_back(&d);
}

void Registry::clear_dirty() {
  for (Device* d : dirty_) d->dirty = false;
  dirty_.clear();
  removed_.clear();
}

// It turned out not to be a device. Its slot stays, so that no pointer to
// any device moves; find(), devices(), silence and the dirty list skip it,
// and its id is in removed() until the next clear_dirty().
void Registry::forget(Device& d) {
  if (d.forgotten) return;
  d.forgotten = true;
  ++forgotten_;
  index_.erase(d.id);
  std::erase(dirty_, &d);
  d.dirty = false;
  removed_.push_back(d.id);
}

void Registry::set_online(Device& d, bool online, Reason reason, TimePoint at, std::vector<DeviceChange>& out) {
  if (online) d.heard_at = std::max(d.heard_at, at);
  bool was = d.online;
  d.online = online;
  d.reason = reason;
  touch(d);
  if (was != online) out.push_back({&d, online ? Change::online : Change::offline});
  arm_silence(d);
}

void Registry::arm_silence(const Device& d) {
  if (d.offline_after <= Duration::zero()) return;
  if (!d.online && d.reason != Reason::unknown) return;
  TimePoint due = d.heard_at + d.offline_after;
  if (!next_silence_ || due < *next_silence_) next_silence_ = due;
}

void Registry::check_silence(TimePoint now, std::vector<DeviceChange>& out) {
  if (!next_silence_ || now < *next_silence_) return;
  next_silence_.reset();
  for (Device& d : devices_) {
    if (d.forgotten || d.offline_after <= Duration::zero()) continue;
    if (!d.online && d.reason != Reason::unknown) continue;
    if (d.heard_at + d.offline_after <= now) {
      bool was = d.online;
      d.online = false;
      d.reason = Reason::silence;
      touch(d);
      if (was) out.push_back({&d, Change::offline});
    } else {
      arm_silence(d);
    }
  }
}

void Registry::restore(Device d, TimePoint start) {
  if (find(d.id) || d.id.empty()) return;
  Device& slot = devices_.emplace_back(std::move(d));
  slot.profile = intern_profile(slot.profile);
  slot.offline_after = profiles_.offline_after_for(slot.id);
  slot.heard_at = std::max(slot.last_seen, start);
  slot.dirty = false;
  index_.emplace(slot.id, &slot);
  arm_silence(slot);
}

}  // namespace edgegw::devices
