// gateway/cli/buffer_cli.cpp — see buffer_cli.h.
#include "gateway/cli/buffer_cli.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "gateway/store/outbox_cli.h"
#include "gateway/store/sqlite_outbox.h"

namespace edgegw::gateway {

namespace {

using Json = nlohmann::json;

int fail(std::ostream& err, const Status& s) {
  err << "edgegw buffer: " << s.message() << "\n";
  return 1;
}

// The two largest units: "850ms", "45s", "5m12s", "3d4h".
std::string format_age(int64_t age_ms) {
  if (age_ms < 1000) return std::to_string(std::max<int64_t>(age_ms, 0)) + "ms";
  struct Unit {
    int64_t seconds;
    const char* name;
  };
  constexpr Unit kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  const int64_t s = age_ms / 1000;
  for (size_t i = 0; i < std::size(kUnits); ++i) {
    if (s < kUnits[i].seconds) continue;
    std::string text = std::to_string(s / kUnits[i].seconds) + kUnits[i].name;
    if (i + 1 < std::size(kUnits)) {
      int64_t rest = s % kUnits[i].seconds / kUnits[i + 1].seconds;
      if (rest > 0) text += std::to_string(rest) + kUnits[i + 1].name;
    }
    return text;
  }
  return "0s";
}

std::string dump(const Json& j) { return j.dump(2, ' ', false, Json::error_handler_t::replace); }

constexpr Link kLinks[] = {Link::local, Link::upstream};

}  // namespace

std::string payload_preview(std::string_view payload, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < payload.size() && i < max_bytes; ++i) {
    auto c = static_cast<unsigned char>(payload[i]);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (payload.size() > max_bytes) out += "...";
  return out;
}

int buffer_stats(const std::string& db_path, std::ostream& out, std::ostream& err, int64_t now_ms, bool json) {
  auto outbox = open_outbox_for_cli(db_path);
  if (!outbox.ok()) return fail(err, outbox.status());
  const SqliteOutbox& ob = **outbox;
  if (json) {
    Json j = {{"path", db_path}, {"journal_position", ob.journal_position()}, {"links", Json::object()}};
    for (Link l : kLinks) {
      LinkStats st = ob.stats(l);
      DropCounters c = ob.counters(l);
      j["links"][std::string(link_name(l))] = {
          {"messages", st.messages},
          {"bytes", st.bytes},
          {"oldest_age_ms", st.messages ? Json(now_ms - st.oldest_created_ms) : Json(nullptr)},
          {"dropped_full", c.dropped_full},
          {"rejected_full", c.rejected_full},
          {"expired", c.expired},
          {"purged", c.purged}};
    }
    out << dump(j) << "\n";
    return 0;
  }
  out << std::left << std::setw(10) << "link" << std::setw(10) << "messages" << std::setw(12) << "bytes"
      << std::setw(10) << "oldest" << std::setw(14) << "dropped_full" << std::setw(15) << "rejected_full"
      << std::setw(9) << "expired"
      << "purged\n";
  for (Link l : kLinks) {
    LinkStats st = ob.stats(l);
    DropCounters c = ob.counters(l);
    out << std::setw(10) << link_name(l) << std::setw(10) << st.messages << std::setw(12) << st.bytes << std::setw(10)
        << (st.messages ? format_age(now_ms - st.oldest_created_ms) : "-") << std::setw(14) << c.dropped_full
        << std::setw(15) << c.rejected_full << std::setw(9) << c.expired << c.purged << "\n";
  }
  out << "journal position: " << ob.journal_position() << "\n";
  return 0;
}

int buffer_list(const std::string& db_path, std::ostream& out, std::ostream& err, int64_t now_ms, size_t limit,
                std::optional<Link> link, bool json) {
  auto outbox = open_outbox_for_cli(db_path);
  if (!outbox.ok()) return fail(err, outbox.status());
  std::vector<OutboxRow> rows;
  if (Status s = (*outbox)->list(link, limit, rows); !s.ok()) return fail(err, s);
  auto priority_name = [](Priority p) { return p == Priority::high ? "high" : "normal"; };
  if (json) {
    Json list = Json::array();
    for (const OutboxRow& r : rows) {
      list.push_back({{"seq", r.seq},
                      {"link", link_name(r.link)},
                      {"priority", priority_name(r.priority)},
                      {"age_ms", now_ms - r.created_ms},
                      {"qos", r.qos},
                      {"retain", r.retain},
                      {"latest_only", r.latest_only},
                      {"replayed", r.replayed},
                      {"topic", r.topic},
                      {"payload_bytes", r.payload.size()},
                      {"preview", payload_preview(r.payload)}});
    }
    out << dump(Json{{"rows", list}}) << "\n";
    return 0;
  }
  out << std::left << std::setw(10) << "seq" << std::setw(10) << "link" << std::setw(8) << "prio" << std::setw(9)
      << "age" << std::setw(5) << "qos" << std::setw(8) << "retain" << std::setw(9) << "bytes"
      << "topic  payload\n";
  for (const OutboxRow& r : rows) {
    out << std::setw(10) << r.seq << std::setw(10) << link_name(r.link) << std::setw(8) << priority_name(r.priority)
        << std::setw(9) << format_age(now_ms - r.created_ms) << std::setw(5) << r.qos << std::setw(8)
        << (r.retain ? "yes" : "no") << std::setw(9) << r.payload.size() << r.topic << "  \""
        << payload_preview(r.payload) << "\"\n";
  }
  return 0;
}

int buffer_purge(const std::string& db_path, std::ostream& out, std::ostream& err, std::optional<Link> link,
                 const std::optional<std::string>& topic_filter) {
  auto outbox = open_outbox_for_cli(db_path);
  if (!outbox.ok()) return fail(err, outbox.status());
  SqliteOutbox& ob = **outbox;
  DropCounters before[2] = {ob.counters(Link::local), ob.counters(Link::upstream)};
  auto purged = ob.purge(link, topic_filter);
  if (!purged.ok()) return fail(err, purged.status());
  out << "purged " << *purged << " row" << (*purged == 1 ? "" : "s");
  const char* sep = " (";
  for (Link l : kLinks) {
    uint64_t n = ob.counters(l).purged - before[static_cast<size_t>(l)].purged;
    if (n == 0) continue;
    out << sep << link_name(l) << ": " << n;
    sep = ", ";
  }
  out << (*purged ? ")\n" : "\n");
  return 0;
}

}  // namespace edgegw::gateway
