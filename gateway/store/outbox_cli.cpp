#include "gateway/store/outbox_cli.h"

namespace edgegw::gateway {

Result<std::unique_ptr<SqliteOutbox>> open_outbox_for_cli(const std::string& db_path) {
  OutboxOptions options;
  options.create = false;
  options.quick_check = false;
  options.recover_corrupt = false;
  return SqliteOutbox::open(db_path, options);
}

}  // namespace edgegw::gateway
