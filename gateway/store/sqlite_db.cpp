// gateway/store/sqlite_db.cpp — see sqlite_db.h.
#include "gateway/store/sqlite_db.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

namespace edgegw::gateway::sql {

namespace fs = std::filesystem;
constexpr int kCacheKiB = 1024;  // PRAGMA cache_size, per connection

// ---- Run -------------------------------------------------------------------

Run::~Run() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Run& Run::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Run& Run::bind_text(int index, std::string_view value) {
  int rc =
      sqlite3_bind_text64(stmt_, index, value.data() ? value.data() : "", value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Run& Run::bind_blob(int index, std::string_view value) {
  // A null pointer would bind NULL, and length(NULL) would break the byte sums.
  int rc = sqlite3_bind_blob64(stmt_, index, value.data() ? value.data() : "", value.size(), SQLITE_TRANSIENT);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Run& Run::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

int Run::step() {
  if (bind_rc_ != SQLITE_OK) return bind_rc_;
  return sqlite3_step(stmt_);
}

Status Run::run_to_done() {
  int rc = step();
  while (rc == SQLITE_ROW) rc = sqlite3_step(stmt_);
  return status(rc);
}

Status Run::status(int rc) const {
  if (rc == SQLITE_ROW || rc == SQLITE_DONE || rc == SQLITE_OK) return Status();
  return db_->error(rc);
}

int64_t Run::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Run::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

std::string Run::blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

bool Run::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

// ---- Stmt ------------------------------------------------------------------

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt::Stmt(Stmt&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

// ---- Db --------------------------------------------------------------------

Result<std::unique_ptr<Db>> Db::open(const std::string& path, const DbOptions& options) {
  std::string name = fs::path(path).filename().string();
  if (options.create) {
    // Create it ourselves so the mode is 0600 from the first byte; SQLite
    // would use 0644 minus the umask.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::error(name, std::string("cannot create: ") + std::strerror(errno));
    // Also tightens a file an older install left 0644. Failing means another
    // user owns it; opening it will tell.
    (void)::fchmod(fd, 0600);
    ::close(fd);
  } else if (::access(path.c_str(), F_OK) != 0) {
    return Status::error(name, std::string("cannot open '") + path + "': " + std::strerror(errno));
  }
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string detail = handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    StatusCode code = status_code_of(rc, handle ? sqlite3_system_errno(handle) : 0);
    sqlite3_close_v2(handle);
    return Status::error(code, name, detail);
  }
  sqlite3_extended_result_codes(handle, 1);
  auto corrupt = options.corrupt_flag ? options.corrupt_flag : std::make_shared<std::atomic<bool>>(false);
  return std::unique_ptr<Db>(new Db(handle, std::move(name), std::move(corrupt)));
}

Db::~Db() { sqlite3_close_v2(db_); }

StatusCode status_code_of(int rc, int system_errno) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return StatusCode::corrupt;
    case SQLITE_FULL: return StatusCode::full;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return StatusCode::busy;
    case SQLITE_IOERR:
      // ENOSPC shows as SQLITE_FULL on a write, as an IOERR on the -shm or a truncate.
      return system_errno == ENOSPC ? StatusCode::full : StatusCode::io;
    default: return StatusCode::error;
  }
}

Status Db::error(int rc) {
  StatusCode code = status_code_of(rc, sqlite3_system_errno(db_));
  if (code == StatusCode::corrupt) mark_corrupt();
  if (code == StatusCode::full) full_seen_ = true;
  // errmsg describes the most recent failed call; fall back to the code's text.
  const char* msg = sqlite3_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return Status::error(corrupt_seen() ? StatusCode::corrupt : code, name_, msg);
}

void Db::keep_files_on_close() {
  // Without this the last connection's close checkpoints the WAL into the
  // database and deletes it (sqlite3WalClose).
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
}

Status Db::exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status() : error(rc);
}

Result<Stmt> Db::prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return error(rc);
  return Stmt(*this, stmt);
}

Result<int64_t> Db::query_int(const char* sql) {
  auto stmt = prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Run run = stmt->run();
  int rc = run.step();
  if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? Result<int64_t>(int64_t{0}) : error(rc);
  return run.int64(0);
}

Status Db::configure(const DbOptions& options) {
  sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
  // Before anything writes the header of a new file: free pages can then go
  // back to the file system (incremental_vacuum), which a full disk needs
  // (disk_guard.h). A no-op on a file that has tables already.
  if (options.create) {
    if (Status s = exec("PRAGMA auto_vacuum=INCREMENTAL"); !s.ok()) return s;
  }
  // The first statement reads the header: a file that is not a database fails here.
  auto stmt = prepare("PRAGMA journal_mode=WAL");
  if (!stmt.ok()) return stmt.status();
  {
    Run run = stmt->run();
    int rc = run.step();
    if (rc != SQLITE_ROW) return run.status(rc);
    if (run.text(0) != "wal") return Status::error(name_, "cannot switch to WAL mode");
  }
  const char* sync = options.sync_full ? "FULL" : options.no_sync ? "OFF" : "NORMAL";
  std::string pragmas = std::string("PRAGMA synchronous=") + sync + ";PRAGMA foreign_keys=OFF" +
                        ";PRAGMA wal_autocheckpoint=" + std::to_string(options.wal_autocheckpoint_pages) +
                        ";PRAGMA journal_size_limit=" + std::to_string(options.journal_size_limit) +
                        // RSS budget (docs/performance.md): the outbox is read and
                        // deleted at its head and appended at its tail, so 1 MiB of
                        // page cache holds the hot pages; the default 2 MiB only
                        // grew RSS while a backlog waited.
                        ";PRAGMA cache_size=-" + std::to_string(kCacheKiB);
  if (Status s = exec(pragmas.c_str()); !s.ok()) return s;
  if (options.max_db_bytes > 0) {
    auto page = query_int("PRAGMA page_size");
    if (!page.ok()) return page.status();
    uint64_t pages = std::max<uint64_t>(options.max_db_bytes / static_cast<uint64_t>(*page), 1);
    std::string cap = "PRAGMA max_page_count=" + std::to_string(pages);
    if (auto r = query_int(cap.c_str()); !r.ok()) return r.status();
  }
  if (!options.quick_check) return Status();
  auto check = prepare("PRAGMA quick_check(1)");
  if (!check.ok()) return check.status();
  Run run = check->run();
  int rc = run.step();
  if (rc != SQLITE_ROW) return run.status(rc);
  if (std::string verdict = run.text(0); verdict != "ok") {
    mark_corrupt();
    return Status::error(StatusCode::corrupt, name_, "quick_check failed: " + verdict);
  }
  return Status();
}

Result<bool> Db::checkpoint_passive() {
  int log_frames = 0, copied_frames = 0;
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied_frames);
  if ((rc & 0xff) == SQLITE_BUSY) return false;  // another connection is checkpointing: later
  if (rc != SQLITE_OK) return error(rc);
  return copied_frames == log_frames;
}

Result<bool> Db::changed_by_others() {
  auto v = query_int("PRAGMA data_version");
  if (!v.ok()) return v.status();
  bool changed = data_version_ >= 0 && *v != data_version_;
  data_version_ = *v;
  return changed;
}

// ---- quarantine --------------------------------------------------------------

namespace {

void rename_if_exists(const fs::path& from, const fs::path& to, std::error_code& ec) {
  if (ec) return;
  if (!fs::exists(from, ec) || ec) return;
  fs::rename(from, to, ec);
}

// Removes the oldest "<stem>.corrupt-<ts>.db" files beyond `keep`.
void prune_quarantined(const fs::path& dir, const std::string& prefix, size_t keep) {
  std::error_code ec;
  std::vector<std::pair<int64_t, fs::path>> found;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() < prefix.size() + 4) continue;
    if (name.compare(name.size() - 3, 3, ".db") != 0) continue;
    std::string ts = name.substr(prefix.size(), name.size() - prefix.size() - 3);
    // "<ts>" or "<ts>-<n>" when two landed in the same second.
    found.emplace_back(std::strtoll(ts.c_str(), nullptr, 10), entry.path());
  }
  if (found.size() <= keep) return;
  std::sort(found.begin(), found.end());
  for (size_t i = 0; i + keep < found.size(); ++i) {
    const fs::path& p = found[i].second;
    fs::remove(p.string() + "-wal", ec);
    fs::remove(p.string() + "-shm", ec);
    fs::remove(p, ec);
  }
}

}  // namespace

Result<std::string> quarantine_database(const std::string& path, int64_t unix_s, size_t keep) {
  fs::path db(path);
  fs::path dir = db.has_parent_path() ? db.parent_path() : fs::path(".");
  std::string prefix = db.stem().string() + ".corrupt-";
  fs::path target = dir / (prefix + std::to_string(unix_s) + ".db");
  std::error_code ec;
  for (int n = 1; fs::exists(target, ec); ++n) {
    target = dir / (prefix + std::to_string(unix_s) + "-" + std::to_string(n) + ".db");
  }
  // The database first: a stray -wal next to a fresh database would be
  // replayed into it, so the -wal and -shm must follow it.
  rename_if_exists(db, target, ec);
  rename_if_exists(path + "-wal", target.string() + "-wal", ec);
  rename_if_exists(path + "-shm", target.string() + "-shm", ec);
  if (ec) return Status::error(db.filename().string(), "cannot move corrupt file aside: " + ec.message());
  prune_quarantined(dir, prefix, keep);
  return target.string();
}

}  // namespace edgegw::gateway::sql
