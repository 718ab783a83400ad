// The `then:` actions of a rule and the typed payloads inside them
// (design.md, "Rule files" and "Precise semantics").
#include <cctype>
#include <charconv>
#include <iterator>
#include <string_view>

#include "core/topic.h"
#include "gateway/config/rule_parse.h"

namespace edgegw::gateway::detail {
namespace {

using rules::ActionKind;
using rules::ActionSpec;
using rules::Located;
using rules::PayloadSpec;

constexpr std::pair<std::string_view, ActionKind> kActions[] = {
    {"publish", ActionKind::publish}, {"forward", ActionKind::forward}, {"set", ActionKind::set},
    {"delay", ActionKind::delay},     {"log", ActionKind::log},         {"http", ActionKind::http},
};
constexpr const char* kActionList = "publish, forward, set, delay, log or http";

bool has_template(std::string_view s) { return s.find("{{") != std::string_view::npos; }

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// YAML 1.2 core schema numbers: [-+]?[0-9]+ and [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?
bool parse_number(std::string_view s, double& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);  // from_chars takes '-' only
  std::string_view body = s.substr(!s.empty() && s[0] == '-' ? 1 : 0);
  if (body.empty() || body.find_first_not_of("0123456789.eE+-") != std::string_view::npos) return false;
  if (!std::isdigit(static_cast<unsigned char>(body[0])) && body[0] != '.') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// A plain (unquoted) scalar, resolved as the YAML 1.2 core schema does.
PayloadSpec plain_scalar(const std::string& s) {
  static constexpr std::string_view kNull[] = {"", "~", "null", "Null", "NULL"};
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE"};
  for (auto w : kNull) {
    if (s == w) return {std::monostate{}, {}};
  }
  for (auto w : kTrue) {
    if (s == w) return {true, {}};
  }
  for (auto w : kFalse) {
    if (s == w) return {false, {}};
  }
  double d = 0;
  if (parse_number(s, d)) return {d, {}};
  return {s, {}};
}

bool read_payload_map(YamlDoc& doc, const Field& f, PayloadSpec::Map& out) {
  bool ok = true;
  for (auto it = f.value.begin(); it != f.value.end(); ++it) {
    SourcePos key_pos = doc.pos(it->first, f.pos);
    if (!it->first.IsScalar()) {
      doc.error(key_pos, f.path, "expected a key name, got " + describe(it->first));
      ok = false;
      continue;
    }
    const std::string& key = it->first.Scalar();
    PayloadSpec value;
    Field child{it->second, child_path(f.path, key), doc.pos(it->second, key_pos)};
    if (read_payload(doc, child, value))
      out.push_back({key, std::move(value)});
    else
      ok = false;
  }
  return ok;
}

// `topic:` of a publish: a template, or a topic name when it has none.
bool read_topic_template(YamlDoc& doc, const Field& f, Located& out) {
  if (!read_located(doc, f, out)) return false;
  if (!has_template(out.text) && !valid_topic_name(out.text)) {
    doc.error(f.pos, f.path, "'" + out.text + "' is not a valid MQTT topic name (no wildcards)");
    return false;
  }
  return true;
}

void read_delivery(YamlDoc& doc, MapReader& m, ActionSpec& a) {
  if (auto f = m.take("qos")) read_int_choice(doc, *f, a.qos.emplace(1), {0, 1, 2});
  bool retain = false;
  if (m.boolean("retain", retain)) a.retain = retain;
  if (auto f = m.take("priority")) {
    read_enum(doc, *f, a.priority, {{"normal", rules::Priority::normal}, {"high", rules::Priority::high}});
  }
}

bool parse_publish(YamlDoc& doc, const Field& f, ActionSpec& a) {
  MapReader m(doc, f);
  if (!m.ok()) return false;
  bool ok = true;
  if (auto tf = m.take("to")) ok = read_enum(doc, *tf, a.to, {{"local", Link::local}, {"upstream", Link::upstream}});
  if (auto tf = m.take("topic")) {
    ok = read_topic_template(doc, *tf, a.topic.emplace()) && ok;
  } else {
    doc.error(f.pos, f.path, "missing required key 'topic'");
    ok = false;
  }
  if (auto pf = m.take("payload")) ok = read_payload(doc, *pf, a.payload) && ok;
  read_delivery(doc, m, a);
  m.finish();
  return ok;
}

bool parse_forward(YamlDoc& doc, const Field& f, ActionSpec& a) {
  MapReader m(doc, f);
  if (!m.ok()) return false;
  bool ok = true;
  if (auto tf = m.take("topic")) ok = read_topic_template(doc, *tf, a.topic.emplace());
  read_delivery(doc, m, a);
  m.finish();
  return ok;
}

bool parse_set(YamlDoc& doc, const Field& f, ActionSpec& a) {
  if (!f.value.IsMap() || f.value.size() == 0) {
    doc.error(f.pos, f.path, "expected a map of NAME: VALUE, got " + describe(f.value));
    return false;
  }
  PayloadSpec::Map values;
  bool ok = read_payload_map(doc, f, values);
  for (auto it = f.value.begin(); it != f.value.end(); ++it) {
    if (it->first.IsScalar() && !is_identifier(it->first.Scalar())) {
      doc.error(doc.pos(it->first, f.pos), f.path,
                "'" + it->first.Scalar() + "' is not a state name (letters, digits and _, read back as state.NAME)");
      ok = false;
    }
  }
  for (auto& [name, value] : values) a.values.emplace_back(std::move(name), std::move(value));
  return ok;
}

bool parse_log(YamlDoc& doc, const Field& f, ActionSpec& a) {
  if (f.value.IsScalar()) return read_located(doc, f, a.message.emplace());
  if (f.value.IsSequence()) {
    doc.error(f.pos, f.path, "expected a message, or a map with level and message, got a list");
    return false;
  }
  MapReader m(doc, f);
  bool ok = true;
  if (auto lf = m.take("level")) {
    ok = read_enum(doc, *lf, a.level,
                   {{"trace", "trace"}, {"debug", "debug"}, {"info", "info"}, {"warn", "warn"}, {"error", "error"}});
  }
  if (auto mf = m.take("message")) {
    ok = read_located(doc, *mf, a.message.emplace()) && ok;
  } else {
    doc.error(f.pos, f.path, "missing required key 'message'");
    ok = false;
  }
  m.finish();
  return ok;
}

bool parse_headers(YamlDoc& doc, const Field& f, ActionSpec& a) {
  MapReader headers(doc, f);
  bool ok = headers.ok();
  if (!ok || f.value.IsNull()) return ok;
  for (auto it = f.value.begin(); it != f.value.end(); ++it) {
    if (!it->first.IsScalar()) continue;  // reported by finish()
    const std::string& name = it->first.Scalar();
    auto hf = headers.take(name);
    Located value;
    if (hf && read_located(doc, *hf, value))
      a.headers.emplace_back(name, std::move(value));
    else
      ok = false;
  }
  headers.finish();
  return ok;
}

bool parse_http(YamlDoc& doc, const Field& f, ActionSpec& a) {
  MapReader m(doc, f);
  if (!m.ok()) return false;
  bool ok = true;
  if (auto mf = m.take("method"))
    ok = read_enum(doc, *mf, a.method, {{"POST", "POST"}, {"PUT", "PUT"}, {"GET", "GET"}});
  if (auto uf = m.take("url")) {
    ok = read_located(doc, *uf, a.url.emplace()) && ok;
  } else {
    doc.error(f.pos, f.path, "missing required key 'url'");
    ok = false;
  }
  if (auto hf = m.take("headers")) ok = parse_headers(doc, *hf, a) && ok;
  if (auto bf = m.take("body")) ok = read_payload(doc, *bf, a.body.emplace()) && ok;
  m.duration("timeout", a.timeout, std::chrono::milliseconds(1));
  m.integer("retries", a.retries, 0, 100);
  m.finish();
  return ok;
}

bool parse_action_body(YamlDoc& doc, const Field& f, ActionSpec& a) {
  switch (a.kind) {
    case ActionKind::publish: return parse_publish(doc, f, a);
    case ActionKind::forward: return parse_forward(doc, f, a);
    case ActionKind::set: return parse_set(doc, f, a);
    case ActionKind::delay: return read_duration(doc, f, a.delay);
    case ActionKind::log: return parse_log(doc, f, a);
    case ActionKind::http: return parse_http(doc, f, a);
  }
  return false;
}

// One list item of `then:`: a map with exactly one action key.
bool parse_action(YamlDoc& doc, const Field& item, ActionSpec& a) {
  a.pos = item.pos;
  if (!item.value.IsMap() || item.value.size() == 0) {
    std::string message = std::string("expected an action: one of ") + kActionList + ", got " + describe(item.value);
    if (item.value.IsScalar() && item.value.Scalar() == "forward") message += " (write 'forward: {}')";
    doc.error(item.pos, item.path, message);
    return false;
  }
  auto first = item.value.begin();
  if (item.value.size() > 1) {
    auto second = std::next(first);
    doc.error(doc.pos(second->first, item.pos), item.path,
              "expected one action per list item, got '" + first->first.as<std::string>("") + "' and '" +
                  second->first.as<std::string>("") + "' (start each action with its own '-')");
    return false;
  }
  std::string key = first->first.IsScalar() ? first->first.Scalar() : "";
  SourcePos key_pos = doc.pos(first->first, item.pos);
  for (const auto& [name, kind] : kActions) {
    if (name != key) continue;
    a.kind = kind;
    Field body{first->second, child_path(item.path, key),
               first->second.IsNull() ? key_pos : doc.pos(first->second, key_pos)};
    return parse_action_body(doc, body, a);
  }
  std::vector<std::string> names;
  for (const auto& [name, kind] : kActions) names.emplace_back(name);
  std::string message = "unknown action '" + key + "'";
  if (auto s = suggest(key, names)) message += " (did you mean '" + *s + "'?)";
  doc.error(key_pos, item.path, message + ": expected " + kActionList);
  return false;
}

}  // namespace

bool read_located(YamlDoc& doc, const Field& f, Located& out) {
  std::string text;
  if (!read_string(doc, f, text)) return false;
  if (text.empty()) {
    doc.error(f.pos, f.path, "must not be empty");
    return false;
  }
  out = Located{std::move(text), doc.text_pos(f.value)};
  return true;
}

bool read_payload(YamlDoc& doc, const Field& f, PayloadSpec& out) {
  PayloadSpec spec;
  bool ok = true;
  if (f.value.IsMap()) {
    PayloadSpec::Map map;
    ok = read_payload_map(doc, f, map);
    spec.value = std::move(map);
  } else if (f.value.IsSequence()) {
    PayloadSpec::List list;
    for (const auto& item : list_items(doc, f)) ok = read_payload(doc, item, list.emplace_back()) && ok;
    spec.value = std::move(list);
  } else if (f.value.IsScalar()) {
    // yaml-cpp tags plain scalars "?", quoted ones "!": only plain ones are typed.
    spec = f.value.Tag() == "?" ? plain_scalar(f.value.Scalar()) : PayloadSpec{f.value.Scalar(), {}};
  }
  spec.pos = f.value.IsScalar() ? doc.text_pos(f.value) : f.pos;
  if (ok) out = std::move(spec);
  return ok;
}

void parse_actions(YamlDoc& doc, const Field& f, std::vector<ActionSpec>& out) {
  if (f.value.IsSequence() && f.value.size() == 0) {
    doc.error(f.pos, f.path, "expected at least one action");
    return;
  }
  if (f.value.IsNull()) {
    doc.error(f.pos, f.path, "expected a list of actions, got null");
    return;
  }
  for (const auto& item : list_items(doc, f)) {
    ActionSpec a;
    a.broken = !parse_action(doc, item, a);
    out.push_back(std::move(a));
  }
}

}  // namespace edgegw::gateway::detail
