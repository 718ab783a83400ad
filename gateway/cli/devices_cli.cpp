#include "gateway/cli/devices_cli.h"

#include <iomanip>
#include <nlohmann/json.hpp>

#include "gateway/base/rfc3339.h"
#include "gateway/store/device_json.h"
#include "gateway/store/sqlite_devices.h"
#include "gateway/store/sqlite_outbox.h"

namespace edgegw::gateway {
namespace {

// "45s", "12m", "3h", "2d": the largest whole unit.
std::string short_age(int64_t ms) {
  int64_t s = std::max<int64_t>(ms, 0) / 1000;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

}  // namespace

std::string devices_json(const std::vector<devices::Device>& list) { return devices_document(list); }

Result<std::vector<devices::Device>> read_devices(const std::string& db_path) {
  OutboxOptions options;
  options.create = false;
  options.quick_check = false;
  options.recover_corrupt = false;
  auto outbox = SqliteOutbox::open(db_path, options);
  if (!outbox.ok()) return outbox.status();
  auto store = SqliteDevices::open((*outbox)->db(), /*create=*/false);
  if (!store.ok()) return store.status();
  std::vector<devices::Device> list;
  if (Status s = (*store)->load(list); !s.ok()) return s;
  return list;
}

int devices_command(const std::string& db_path, std::ostream& out, std::ostream& err, int64_t now_ms, bool json) {
  auto list = read_devices(db_path);
  if (!list.ok()) {
    err << "edgegw devices: " << list.status().message() << "\n";
    return 1;
  }
  if (json) {
    out << devices_json(*list) << "\n";
    return 0;
  }
  size_t id_w = 4;
  for (const auto& d : *list) id_w = std::max(id_w, d.id.size() + 2);
  out << std::left << std::setw(static_cast<int>(id_w)) << "id" << std::setw(15) << "profile" << std::setw(32)
      << "name/model" << std::setw(24) << "online" << std::setw(11) << "last seen"
      << "messages\n";
  for (const auto& d : *list) {
    std::string label = d.name.empty() ? d.model : d.model.empty() ? d.name : d.name + " / " + d.model;
    std::string online =
        std::string(d.online ? "yes" : "no") + " (" + std::string(devices::reason_name(d.reason)) + ")";
    std::string age = ever_seen(d) ? short_age(now_ms - to_unix_ms(d.last_seen)) + " ago" : "-";
    out << std::setw(static_cast<int>(id_w)) << d.id << std::setw(15) << d.profile << std::setw(32)
        << (label.empty() ? "-" : label) << std::setw(24) << online << std::setw(11) << age << d.messages;
    if (d.bad_payloads > 0) out << " (" << d.bad_payloads << " bad)";
    out << "\n";
  }
  out << list->size() << " device(s)\n";
  return 0;
}

}  // namespace edgegw::gateway
