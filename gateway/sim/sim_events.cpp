#include "gateway/sim/sim_events.h"

#include <nlohmann/json.hpp>

#include "core/topic.h"
#include "gateway/base/base64.h"
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
  } else if (key == "payload_base64") {
    auto bytes = v.is_string() ? base64_decode(v.get<std::string>()) : std::nullopt;
    if (!bytes) return line_error("payload_base64: expected padded base64 text");
    ev.event.payload = std::move(*bytes);
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
    return line_error("unknown key '" + key + "' (expected topic, payload, payload_base64, at, retain, from, qos)");
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
    if (doc.contains("payload") && doc.contains("payload_base64")) {
      return line_error("payload and payload_base64 exclude each other");
    }
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

namespace {

// The payload as the events line carries it back byte-exact (see the header).
void put_payload(Json& line, const std::string& payload) {
  Json value = Json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!value.is_discarded() && !value.is_string() &&
      value.dump(-1, ' ', false, Json::error_handler_t::replace) == payload) {
    line["payload"] = std::move(value);
    return;
  }
  try {
    (void)Json(payload).dump(-1, ' ', false, Json::error_handler_t::strict);  // throws unless UTF-8
    line["payload"] = payload;
  } catch (const Json::type_error&) {
    line["payload_base64"] = base64_encode(payload);
  }
}

}  // namespace

std::string format_event_line(const Event& e, TimePoint at) {
  Json line = Json::object();
  line["topic"] = e.topic;
  put_payload(line, e.payload);
  if (e.retained) line["retain"] = true;
  if (e.link == Link::upstream) line["from"] = "upstream";
  if (e.qos != 0) line["qos"] = e.qos;
  line["at"] = format_rfc3339(at);
  return line.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace edgegw::gateway
