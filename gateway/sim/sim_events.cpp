#include "gateway/sim/sim_events.h"

#include <nlohmann/json.hpp>

#include "core/topic.h"
#include "gateway/base/rfc3339.h"

namespace edgegw::gateway {

namespace {

using Json = nlohmann::ordered_json;  // keeps a JSON payload's keys in written order

Status line_error(std::string message, size_t column = 1) {
  return Status::error(std::to_string(column), std::move(message));
}

// nlohmann's messages start with "[json.exception.parse_error.101] parse error
// at line 1, column 5: "; the position is printed by us, so keep what follows.
std::string short_parse_message(const std::string& what) {
  auto colon = what.find(": ");
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

Status read_field(const std::string& key, const Json& v, SimEvent& ev) {
  if (key == "topic") {
    if (!v.is_string()) return line_error("topic: expected a string");
    ev.event.topic = v.get<std::string>();
    if (!valid_topic_name(ev.event.topic))
      return line_error("topic: '" + ev.event.topic + "' is not a valid topic name");
  } else if (key == "payload") {
    ev.event.payload = v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, Json::error_handler_t::replace);
  } else if (key == "at") {
    auto t = v.is_string() ? parse_rfc3339(v.get<std::string>()) : std::nullopt;
    if (!t) return line_error("at: expected an RFC 3339 time such as \"2026-11-22T07:00:00Z\"");
    ev.at = t;
  } else if (key == "retain") {
    if (!v.is_boolean()) return line_error("retain: expected true or false");
    ev.event.retained = v.get<bool>();
  } else if (key == "from") {
    std::string from = v.is_string() ? v.get<std::string>() : "";
    if (from != "local" && from != "upstream") return line_error("from: expected \"local\" or \"upstream\"");
    ev.event.link = from == "local" ? Link::local : Link::upstream;
  } else if (key == "qos") {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 2)
      return line_error("qos: expected 0, 1 or 2");
    ev.event.qos = static_cast<int>(v.get<int64_t>());
  } else {
    return line_error("unknown key '" + key + "' (expected topic, payload, at, retain, from, qos)");
  }
  return Status();
}

}  // namespace

Result<SimEvent> parse_event_line(std::string_view line) {
  try {
    Json doc = Json::parse(line);
    if (!doc.is_object()) return line_error("expected a JSON object");
    SimEvent ev;
    for (const auto& [key, v] : doc.items()) {
      if (Status st = read_field(key, v, ev); !st.ok()) return st;
    }
    if (!doc.contains("topic")) return line_error("missing key 'topic'");
    return ev;
  } catch (const Json::parse_error& e) {
    return line_error(short_parse_message(e.what()), e.byte == 0 ? 1 : e.byte);
  } catch (const std::exception& e) {
    return line_error(e.what());
  }
}

std::vector<SimEvent> parse_events(std::string_view text, const std::string& file, Diagnostics& diags) {
  std::vector<SimEvent> events;
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto ev = parse_event_line(line);
    if (!ev.ok()) {
      diags.error({file, line_no, std::stoi(ev.status().context())}, ev.status().detail());
      continue;
    }
    ev->line = line_no;
    events.push_back(std::move(*ev));
  }
  return events;
}

}  // namespace edgegw::gateway
