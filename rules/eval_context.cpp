#include "rules/eval_context.h"

#include "devices/device.h"

namespace edgegw::rules {

Value Lookups::device_field(const Event& event, std::string_view name) const {
  const devices::Device* d = event.device;
  if (d == nullptr) return {};
  if (name == "id") return Value::from_string(d->id);
  if (name == "online") return Value::from_bool(d->online);
  if (name == "profile") return Value::from_string(std::string(d->profile));
  if (name == "name") return Value::from_string(d->name);
  if (name == "model") return Value::from_string(d->model);
  if (name == "reason") return Value::from_string(std::string(devices::reason_name(d->reason)));
  if (name == "last_seen") {  // Unix seconds, as now() gives them
    return Value::from_number(std::chrono::duration<double>(d->last_seen.time_since_epoch()).count());
  }
  return {};
}

Value Lookups::previous(const Event&, std::span<const PathKey>) const { return {}; }

Value Lookups::state(std::string_view) const { return {}; }

const Lookups& Lookups::defaults() {
  static const Lookups instance;
  return instance;
}

}  // namespace edgegw::rules
