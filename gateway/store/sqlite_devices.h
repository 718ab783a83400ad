// gateway/store/sqlite_devices.h — the device registry in outbox.db (table `devices`).
//
// One row per device, written in the engine's batch transaction (only the
// devices that changed in the batch), read back at start so a restart
// remembers names, models, online/offline, last_seen, counts and the merged
// state. The table lives in the outbox database because the devices' state
// must commit atomically with the journal position it was derived from.
//
// Threads: the thread that owns `db` (the engine's). Failures are Status
// values with the database name as context; inside a transaction a failed
// save leaves the caller to roll back, as for the outbox's own writes.
#pragma once

#include <memory>
#include <vector>

#include "core/status.h"
#include "devices/device.h"
#include "gateway/store/sqlite_db.h"

namespace edgegw::gateway {

class SqliteDevices {
 public:
  // `create`: create the table when missing (the daemon). Without it (the
  // CLI, which must not write) a missing table reads as no devices.
  // Borrows `db`; it must outlive the result.
  static Result<std::unique_ptr<SqliteDevices>> open(sql::Db& db, bool create);
  ~SqliteDevices();

  // Inserts or replaces the device's row; joins the open transaction.
  Status save(const devices::Device& d, int64_t now_ms);
  // Deletes the device's row (it turned out to be no device); joins the
  // open transaction.
  Status remove(const std::string& id);
  // Every stored device, in id order. Device::profile views an interned
  // name ("" for a profile this build does not know).
  Status load(std::vector<devices::Device>& out);

 private:
  struct Statements;
  explicit SqliteDevices(sql::Db& db);

  sql::Db& db_;
  std::unique_ptr<Statements> stmts_;  // null: no table (read-only open)
};

}  // namespace edgegw::gateway
