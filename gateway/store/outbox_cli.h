// gateway/store/outbox_cli.h — the outbox as the CLI opens it (`edgegw buffer`,
// `edgegw deadletters`), from its own process while the daemon may run.
//
// The file must exist (a typo in -c must not leave an empty outbox behind),
// is never quick-checked (O(size); the daemon does it at start) and is never
// moved aside when corrupt (only the daemon may do that).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "gateway/store/sqlite_outbox.h"

namespace edgegw::gateway {

Result<std::unique_ptr<SqliteOutbox>> open_outbox_for_cli(const std::string& db_path);

}  // namespace edgegw::gateway
