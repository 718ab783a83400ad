#include "gateway/store/sqlite_devices.h"

#include <sqlite3.h>

#include "devices/profile.h"

namespace edgegw::gateway {
namespace {

constexpr const char* kDevicesSchema = R"sql(
CREATE TABLE IF NOT EXISTS devices(
  id TEXT PRIMARY KEY,
  profile TEXT NOT NULL,
  name TEXT NOT NULL,
  model TEXT NOT NULL,
  online INTEGER NOT NULL,
  reason TEXT NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  messages INTEGER NOT NULL,
  bad_payloads INTEGER NOT NULL,
  state TEXT NOT NULL,
  previous_state TEXT NOT NULL,
  topic TEXT NOT NULL,
  updated_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql";

constexpr const char* kSave =
    "INSERT OR REPLACE INTO devices(id, profile, name, model, online, reason, last_seen_ms, messages, "
    "bad_payloads, state, previous_state, topic, updated_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
constexpr const char* kLoad =
    "SELECT id, profile, name, model, online, reason, last_seen_ms, messages, bad_payloads, state, "
    "previous_state, topic FROM devices ORDER BY id";

}  // namespace

struct SqliteDevices::Statements {
  sql::Stmt save, load, remove;
};

SqliteDevices::SqliteDevices(sql::Db& db) : db_(db) {}

SqliteDevices::~SqliteDevices() = default;

Result<std::unique_ptr<SqliteDevices>> SqliteDevices::open(sql::Db& db, bool create) {
  std::unique_ptr<SqliteDevices> store(new SqliteDevices(db));
  if (create) {
    if (Status s = db.exec(kDevicesSchema); !s.ok()) return s;
  } else {
    auto exists = db.query_int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'devices'");
    if (!exists.ok()) return exists.status();
    if (*exists == 0) return store;
  }
  auto stmts = std::make_unique<Statements>();
  auto save = db.prepare(kSave);
  if (!save.ok()) return save.status();
  auto load = db.prepare(kLoad);
  if (!load.ok()) return load.status();
  auto remove = db.prepare("DELETE FROM devices WHERE id = ?1");
  if (!remove.ok()) return remove.status();
  stmts->save = std::move(*save);
  stmts->load = std::move(*load);
  stmts->remove = std::move(*remove);
  store->stmts_ = std::move(stmts);
  return store;
}

Status SqliteDevices::remove(const std::string& id) {
  if (!stmts_) return Status::error(db_.name(), "the devices table is not open for writing");
  sql::Run run = stmts_->remove.run();
  run.bind_text(1, id);
  return run.run_to_done();
}

Status SqliteDevices::save(const devices::Device& d, int64_t now_ms) {
  if (!stmts_) return Status::error(db_.name(), "the devices table is not open for writing");
  sql::Run run = stmts_->save.run();
  run.bind_text(1, d.id)
      .bind_text(2, d.profile)
      .bind_text(3, d.name)
      .bind_text(4, d.model)
      .bind(5, d.online ? 1 : 0)
      .bind_text(6, devices::reason_name(d.reason))
      .bind(7, to_unix_ms(d.last_seen))
      .bind(8, static_cast<int64_t>(d.messages))
      .bind(9, static_cast<int64_t>(d.bad_payloads))
      .bind_text(10, d.state)
      .bind_text(11, d.previous_state)
      .bind_text(12, d.topic)
      .bind(13, now_ms);
  return run.run_to_done();
}

Status SqliteDevices::load(std::vector<devices::Device>& out) {
  if (!stmts_) return Status();
  sql::Run run = stmts_->load.run();
  int rc;
  while ((rc = run.step()) == SQLITE_ROW) {
    devices::Device& d = out.emplace_back();
    d.id = run.text(0);
    d.profile = devices::intern_profile(run.text(1));
    d.name = run.text(2);
    d.model = run.text(3);
    d.online = run.int64(4) != 0;
    d.reason = devices::reason_from_name(run.text(5));
    d.last_seen = from_unix_ms(run.int64(6));
    d.messages = static_cast<uint64_t>(run.int64(7));
    d.bad_payloads = static_cast<uint64_t>(run.int64(8));
    d.state = run.text(9);
    d.previous_state = run.text(10);
    d.topic = run.text(11);
  }
  return run.status(rc);
}

}  // namespace edgegw::gateway
