// gateway/cli/deadletters_cli.h — `edgegw deadletters list|retry|purge`: the
// actions that finally failed (webhooks after their retries), in the
// deadletters table of state_dir/outbox.db.
//
// Each function opens its own connection, like `edgegw buffer`, so it is
// safe while the daemon runs (SQLite serialises the writers, busy_timeout
// 5 s); it never creates the file. retry moves http dead letters back into
// http_queue with attempts 0, due at once, in one transaction; the running
// daemon notices the commit within about a second (PRAGMA data_version) and
// sends them. purge deletes them for good.
//
// Results go to `out`, errors to `err`; the return value is the exit code:
// 0 ok, 1 failure (no outbox, an id that is not there, database error).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace edgegw::gateway {

// The first `limit` dead letters, oldest first: id, kind, when it failed,
// attempts, the reason, and for http the rule, method and url. json: one
// object {"deadletters": [...]}, each with `detail` as a JSON object.
int deadletters_list(const std::string& db_path, std::ostream& out, std::ostream& err, size_t limit, bool json);

// `ids` empty and `all`: every http dead letter. Neither: an error (nothing
// is changed by a bare command).
int deadletters_retry(const std::string& db_path, std::ostream& out, std::ostream& err, const std::vector<int64_t>& ids,
                      bool all, int64_t now_ms);
int deadletters_purge(const std::string& db_path, std::ostream& out, std::ostream& err, const std::vector<int64_t>& ids,
                      bool all);

}  // namespace edgegw::gateway
