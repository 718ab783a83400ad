// gateway/cli/deadletters_cli.cpp — see deadletters_cli.h.
#include "gateway/cli/deadletters_cli.h"

#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>

#include "gateway/base/rfc3339.h"
#include "gateway/store/outbox_cli.h"
#include "gateway/store/sqlite_outbox.h"

namespace edgegw::gateway {

namespace {

using Json = nlohmann::ordered_json;

int fail(std::ostream& err, const std::string& message) {
  err << "edgegw deadletters: " << message << "\n";
  return 1;
}

std::string when(int64_t ms) { return format_rfc3339(from_unix_ms(ms)); }

// Reports how many rows a retry or purge changed; an id that matched
// nothing makes it a failure, after the others were done.
int report(std::ostream& out, std::ostream& err, const Result<uint64_t>& changed, const std::vector<int64_t>& ids,
           const char* verb) {
  if (!changed.ok()) return fail(err, changed.status().message());
  out << verb << " " << *changed << " dead letter" << (*changed == 1 ? "" : "s") << "\n";
  if (!ids.empty() && *changed < ids.size()) {
    return fail(err, std::to_string(ids.size() - *changed) + " of the given id(s) matched no dead letter" +
                         (std::string(verb) == "queued" ? " that can be queued again" : ""));
  }
  return 0;
}

}  // namespace

int deadletters_list(const std::string& db_path, std::ostream& out, std::ostream& err, size_t limit, bool json) {
  auto outbox = open_outbox_for_cli(db_path);
  if (!outbox.ok()) return fail(err, outbox.status().message());
  std::vector<DeadLetter> rows;
  if (Status s = (*outbox)->deadletters(limit, rows); !s.ok()) return fail(err, s.message());
  if (json) {
    Json list = Json::array();
    for (const DeadLetter& d : rows) {
      Json detail = Json::parse(d.detail, nullptr, /*allow_exceptions=*/false);
      if (detail.is_discarded()) detail = d.detail;  // not JSON: shown as the text it is
      Json row = {{"id", d.id},
                  {"kind", d.kind},
                  {"reason", d.reason},
                  {"attempts", d.attempts},
                  {"created", when(d.created_ms)},
                  {"failed", when(d.failed_ms)},
                  {"detail", detail}};
      if (d.kind == "mqtt") {
        row["link"] = d.link == 0 ? "local" : d.link == 1 ? "upstream" : "unknown";
        row["topic"] = d.topic;
        row["payload_bytes"] = d.payload_bytes;
      }
      list.push_back(std::move(row));
    }
    out << Json{{"deadletters", list}}.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    return 0;
  }
  out << std::left << std::setw(8) << "id" << std::setw(6) << "kind" << std::setw(26) << "failed" << std::setw(9)
      << "attempts"
      << "reason  call\n";
  for (const DeadLetter& d : rows) {
    Json detail = Json::parse(d.detail, nullptr, false);
    std::string call;
    if (d.kind == "mqtt") {
      call = std::string(d.link == 0 ? "local" : "upstream") + " '" + d.topic + "' (" +
             std::to_string(d.payload_bytes) + " bytes)";
    } else if (detail.is_object()) {
      call = "rule '" + detail.value("rule", "") + "': " + detail.value("method", "") + " " + detail.value("url", "");
    }
    out << std::setw(8) << d.id << std::setw(6) << d.kind << std::setw(26) << when(d.failed_ms) << std::setw(9)
        << d.attempts << d.reason << "  " << call << "\n";
  }
  return 0;
}

int deadletters_retry(const std::string& db_path, std::ostream& out, std::ostream& err, const std::vector<int64_t>& ids,
                      bool all, int64_t now_ms) {
  if (ids.empty() != all) return fail(err, "give the ids to retry, or --all (not both)");
  auto outbox = open_outbox_for_cli(db_path);
  if (!outbox.ok()) return fail(err, outbox.status().message());
  return report(out, err, (*outbox)->deadletters_retry(ids, now_ms), ids, "queued");
}

int deadletters_purge(const std::string& db_path, std::ostream& out, std::ostream& err, const std::vector<int64_t>& ids,
                      bool all) {
  if (ids.empty() != all) return fail(err, "give the ids to purge, or --all (not both)");
  auto outbox = open_outbox_for_cli(db_path);
  if (!outbox.ok()) return fail(err, outbox.status().message());
  return report(out, err, (*outbox)->deadletters_purge(ids), ids, "purged");
}

}  // namespace edgegw::gateway
