#include "gateway/engine/device_tracker.h"

#include "gateway/config/config.h"
#include "gateway/store/sqlite_devices.h"

namespace edgegw::gateway {

devices::ProfileConfig profile_config(const Config& cfg) {
  devices::ProfileConfig p;
  p.profiles = cfg.devices.profiles;
  p.zigbee2mqtt_base_topic = cfg.devices.zigbee2mqtt_base_topic;
  p.tasmota_full_topic = cfg.devices.tasmota_full_topic;
  p.homeassistant_prefix = cfg.homeassistant.prefix;
  p.offline_after = cfg.devices.offline_after;
  p.offline_after_battery = cfg.devices.offline_after_battery;
  p.overrides.insert(cfg.devices.overrides.begin(), cfg.devices.overrides.end());
  for (const auto& s : cfg.devices.static_devices) {
    p.static_devices.push_back(
        {s.id, s.topic, s.availability_topic, s.payload_online, s.payload_offline, s.offline_after});
  }
  return p;
}

DeviceTracker::DeviceTracker(devices::Profiles profiles, SqliteDevices* store)
    : registry_(std::move(profiles)), store_(store) {}

DeviceTracker::~DeviceTracker() = default;

Result<size_t> DeviceTracker::load(TimePoint start) {
  if (!store_) return size_t{0};
  std::vector<devices::Device> stored;
  if (Status s = store_->load(stored); !s.ok()) return s;
  for (auto& d : stored) registry_.restore(std::move(d), start);
  return registry_.size();
}

void DeviceTracker::observe(Event& e) {
  changes_.clear();  // a previous record's changes, if its batch failed
  if (e.link != Link::local) return;
  e.device = registry_.observe({e.topic, e.payload, e.retained, e.received_at}, changes_);
}

void DeviceTracker::check_silence(TimePoint now) {
  changes_.clear();
  registry_.check_silence(now, changes_);
}

void DeviceTracker::fire(const Event* cause, TimePoint now, const DeviceEventSink& sink) {
  for (const auto& c : changes_) {
    const devices::Device& d = *c.device;
    scratch_.topic = cause ? cause->topic : d.topic;
    if (c.change == devices::Change::state)
      scratch_.payload = d.state;
    else
      scratch_.payload = cause ? cause->payload : std::string();
    scratch_.qos = cause ? cause->qos : 0;
    scratch_.retained = cause && cause->retained;
    scratch_.link = Link::local;
    scratch_.received_at = cause ? cause->received_at : now;
    scratch_.journal_seq = cause ? cause->journal_seq : 0;
    scratch_.device = &d;
    if (sink) sink(scratch_, d.id, devices::change_name(c.change));
  }
  changes_.clear();
}

Status DeviceTracker::save_dirty(int64_t now_ms) {
  if (!store_) return Status();
  for (const devices::Device* d : registry_.dirty()) {
    if (Status s = store_->save(*d, now_ms); !s.ok()) return s;
  }
  for (const std::string& id : registry_.removed()) {
    if (Status s = store_->remove(id); !s.ok()) return s;
  }
  return Status();
}

}  // namespace edgegw::gateway
