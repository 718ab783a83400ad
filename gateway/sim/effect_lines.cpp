#include "gateway/sim/effect_lines.h"

#include <type_traits>

#include "gateway/base/rfc3339.h"
#include "gateway/engine/rule_note_text.h"

namespace edgegw::gateway {

namespace {

using rules::append_json_string;

// Writes `{"at": "...", "rule": "...", "action": "..."` with the separators
// the design's examples use; the caller adds the rest and the closing brace.
std::string head(TimePoint at, const std::string& rule, std::string_view action) {
  std::string s = "{\"at\": ";
  append_json_string(format_rfc3339(at), s);
  s += ", \"rule\": ";
  append_json_string(rule, s);
  s += ", \"action\": ";
  append_json_string(action, s);
  return s;
}

void add_string(std::string& s, std::string_view key, std::string_view value) {
  s += ", \"";
  s += key;
  s += "\": ";
  append_json_string(value, s);
}

void add_raw(std::string& s, std::string_view key, std::string_view json) {
  s += ", \"";
  s += key;
  s += "\": ";
  s += json;
}

}  // namespace

std::string enqueue_line(TimePoint at, const rules::Enqueue& msg, bool forward) {
  std::string s = head(at, msg.origin, forward ? "forward" : "publish");
  add_string(s, "to", link_name(msg.link));
  add_string(s, "topic", msg.topic);
  add_string(s, "payload", msg.payload);
  add_raw(s, "qos", std::to_string(msg.qos));
  add_raw(s, "retain", msg.retain ? "true" : "false");
  s += '}';
  return s;
}

std::string effect_line(const rules::TimedDecision& d) {
  return std::visit(
      [&](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, rules::Publish>) {
          return enqueue_line(d.at, x.msg, x.forward);
        } else if constexpr (std::is_same_v<T, rules::SetState>) {
          std::string s = head(d.at, x.rule, "set");
          add_string(s, "name", x.name);
          add_raw(s, "value", x.value.to_json());
          return s + '}';
        } else if constexpr (std::is_same_v<T, rules::LogLine>) {
          std::string s = head(d.at, x.rule, "log");
          add_string(s, "message", x.message);
          return s + '}';
        } else if constexpr (std::is_same_v<T, rules::RuleNote>) {
          return format_rfc3339(d.at) + " " + rule_note_text(x);  // not an effect: for stderr
        } else {
          static_assert(std::is_same_v<T, rules::HttpCall>);
          std::string s = head(d.at, x.rule, "http");
          add_string(s, "method", x.method);
          add_string(s, "url", x.url);
          add_string(s, "body", x.body);
          return s + '}';
        }
      },
      d.decision);
}

}  // namespace edgegw::gateway
