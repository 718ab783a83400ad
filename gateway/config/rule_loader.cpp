// load_rule_files(): rules.d/*.yaml into RuleSpecs, every problem reported in
// one pass (design.md, "Rule files"). Actions and payloads: rule_actions.cpp.
#include "gateway/config/rule_loader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/topic.h"
#include "gateway/config/rule_parse.h"

namespace edgegw::gateway {
namespace {

using detail::Field;
using detail::MapReader;
using detail::YamlDoc;
using rules::Located;
using rules::RuleSpec;
using rules::TriggerSpec;

constexpr std::string_view kTriggerKeys[] = {"topic", "device", "every", "cron", "gateway"};
constexpr Duration kMinPeriod = std::chrono::milliseconds(1);

// `topic:` one filter or a list of them.
bool read_topics(YamlDoc& doc, const Field& f, std::vector<Located>& out) {
  std::vector<Field> items;
  if (f.value.IsSequence()) {
    items = detail::list_items(doc, f);
    if (items.empty()) doc.error(f.pos, f.path, "expected at least one topic filter");
  } else {
    items.push_back(f);
  }
  bool ok = !items.empty();
  for (const auto& item : items) {
    Located topic;
    if (!read_located(doc, item, topic)) {
      ok = false;
    } else if (!valid_topic_filter(topic.text)) {
      doc.error(item.pos, item.path, "'" + topic.text + "' is not a valid MQTT topic filter");
      ok = false;
    } else {
      out.push_back(std::move(topic));
    }
  }
  return ok;
}

// The one trigger of `when:`; false if there is none, several, or it is invalid.
bool parse_trigger(YamlDoc& doc, MapReader& m, TriggerSpec& t) {
  std::vector<std::pair<std::string_view, Field>> present;
  for (auto key : kTriggerKeys) {
    if (auto f = m.take(key)) present.emplace_back(key, *f);
  }
  if (present.empty()) {
    if (m.ok()) doc.error(m.pos(), m.path(), "missing a trigger: expected topic, device, every, cron or gateway");
    return false;
  }
  if (present.size() > 1) {
    doc.error(present[1].second.pos, m.path(),
              "expected one trigger, got " + std::string(present[0].first) + " and " + std::string(present[1].first) +
                  " (write a second rule for the other)");
    return false;
  }
  const auto& [kind, f] = present[0];
  if (kind == "topic") return read_topics(doc, f, t.topics);
  if (kind == "device") {
    Located id;
    if (!read_located(doc, f, id)) return false;
    t.device = std::move(id);
    return true;
  }
  if (kind == "every") return read_duration(doc, f, t.every.emplace(), kMinPeriod);
  if (kind == "cron") return read_located(doc, f, t.cron.emplace());
  return read_enum(doc, f, t.gateway_event,
                   {{"upstream_down", "upstream_down"}, {"upstream_up", "upstream_up"}, {"started", "started"}});
}

// `from:` belongs to topic triggers, `event:` to device triggers.
// (A trigger that failed to read counts as none: no second error for it.)
void parse_trigger_options(YamlDoc& doc, MapReader& m, TriggerSpec& t) {
  bool timed = t.every || t.cron || !t.gateway_event.empty();
  if (auto f = m.take("from")) {
    if (timed || t.device) {
      doc.error(f->pos, f->path, "only a topic trigger has 'from'");
    } else {
      read_enum(doc, *f, t.from_upstream, {{"local", false}, {"upstream", true}});
    }
  }
  auto ev = m.take("event");
  if (ev && (timed || !t.topics.empty())) {
    doc.error(ev->pos, ev->path, "only a device trigger has 'event'");
  } else if (ev && t.device) {
    read_enum(doc, *ev, t.device_event, {{"online", "online"}, {"offline", "offline"}, {"state", "state"}});
  } else if (t.device && !ev) {
    doc.error(m.pos(), m.path(), "missing required key 'event' (online, offline or state)");
  }
  if (auto f = m.take("if")) {
    Located cond;
    if (read_located(doc, *f, cond)) t.condition = std::move(cond);
  }
  if (auto f = m.take("for")) {
    Duration d{};
    if (read_duration(doc, *f, d, kMinPeriod)) t.for_duration = d;
  }
}

void parse_when(YamlDoc& doc, const Field& f, TriggerSpec& t) {
  t.pos = f.pos;
  t.broken = true;
  MapReader m(doc, f);
  if (!m.ok()) return;
  t.broken = !parse_trigger(doc, m, t);
  parse_trigger_options(doc, m, t);
  m.finish();
}

void parse_modifiers(YamlDoc& doc, MapReader& m, RuleSpec& r) {
  if (auto f = m.take("mode")) {
    read_enum(doc, *f, r.mode,
              {{"single", rules::Mode::single},
               {"restart", rules::Mode::restart},
               {"queued", rules::Mode::queued},
               {"parallel", rules::Mode::parallel}});
  }
  Duration d{};
  if (m.duration("throttle", d, kMinPeriod)) r.throttle = d;
  if (m.duration("debounce", d, kMinPeriod)) r.debounce = d;
  if (m.duration("dedupe", d, kMinPeriod)) r.dedupe = d;
  if (auto f = m.take("key")) {
    Located key;
    if (read_located(doc, *f, key)) r.key = std::move(key);
  }
  m.boolean("enabled", r.enabled);
  m.string("description", r.description);
}

// Every list item gives a RuleSpec, so the compiler names each rule by its
// index in the file; one with any error here is marked broken (set first, in
// case reading stops half-way).
void parse_rule(YamlDoc& doc, const Field& item, RuleSpec& r) {
  r.pos = item.pos;
  r.broken = true;
  r.when.broken = true;
  const size_t errors_before = doc.diags().error_count();
  MapReader m(doc, item);
  if (!m.ok()) return;
  if (auto f = m.take("id")) {
    Located id;
    read_located(doc, *f, id);
    r.id = std::move(id.text);
    r.id_pos = f->pos;
  } else {
    doc.error(item.pos, item.path, "missing required key 'id'");
  }
  if (auto f = m.take("when")) {
    parse_when(doc, *f, r.when);
  } else {
    doc.error(item.pos, item.path, "missing required key 'when'");
  }
  if (auto f = m.take("then")) {
    detail::parse_actions(doc, *f, r.then);
  } else {
    doc.error(item.pos, item.path, "missing required key 'then'");
  }
  parse_modifiers(doc, m, r);
  m.finish();
  r.broken = doc.diags().error_count() > errors_before;
}

void parse_root(YamlDoc& doc, const YAML::Node& root, std::vector<RuleSpec>& out) {
  if (!root.IsDefined() || root.IsNull()) return;  // an empty file
  Field top{root, "", doc.pos(root, {doc.file(), 1, 1})};
  if (!root.IsMap()) {
    doc.error(top.pos, "", "expected a map with a 'rules:' list, got " + detail::describe(root));
    return;
  }
  MapReader m(doc, top);
  if (auto f = m.take("rules")) {
    for (const auto& item : detail::list_items(doc, *f)) parse_rule(doc, item, out.emplace_back());
  } else {
    doc.error(top.pos, "", "missing required key 'rules'");
  }
  m.finish();
}

}  // namespace

std::vector<RuleSpec> load_rule_text(const std::string& file, std::string_view text, Diagnostics& diags) {
  std::vector<RuleSpec> out;
  if (text.empty()) {
    // Zero bytes is what a save in progress (truncate, then write) leaves
    // behind: refusing it keeps the old rules in force through the reload
    // it triggers. A file meant to hold no rules says `rules: []`.
    diags.error({file, 1, 1}, "the file is empty; write 'rules: []' for a file with no rules");
    return out;
  }
  // A file with errors still gives all its rules (the broken ones marked), so
  // that the compiler reports their expression errors in the same pass.
  (void)detail::read_yaml(file, text, diags,
                          [&out](YamlDoc& doc, const YAML::Node& root) { parse_root(doc, root, out); });
  return out;
}

std::vector<RuleSpec> load_rule_files(const std::vector<std::string>& files, Diagnostics& diags) {
  std::vector<RuleSpec> out;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in.is_open()) {
      diags.error({file, 0, 0}, std::string("cannot open rule file: ") + std::strerror(errno));
      continue;
    }
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto rules = load_rule_text(file, text, diags);
    std::move(rules.begin(), rules.end(), std::back_inserter(out));
  }
  return out;
}

}  // namespace edgegw::gateway
