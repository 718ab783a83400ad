// The `forward:`, `devices:`, `homeassistant:` and `http:` sections.
#include <algorithm>
#include <map>

#include "core/topic.h"
#include "core/units.h"
#include "gateway/config/config_parse.h"

namespace edgegw::gateway::detail {
namespace {

using rules::Direction;
using rules::RetainMode;
using rules::RouteSpec;

constexpr std::string_view kProfiles[] = {"zigbee2mqtt", "tasmota", "shelly", "esphome", "homeassistant"};

bool has_template(std::string_view s) { return s.find("{{") != std::string_view::npos; }

// A string that names one topic (no wildcards).
bool read_topic_name(YamlDoc& doc, const Field& f, std::string& out) {
  std::string s;
  if (!read_string(doc, f, s)) return false;
  if (!valid_topic_name(s)) {
    doc.error(f.pos, f.path, "'" + s + "' is not a valid MQTT topic name (no wildcards, not empty)");
    return false;
  }
  out = std::move(s);
  return true;
}

bool read_topic_filter(YamlDoc& doc, const Field& f, std::string& out) {
  std::string s;
  if (!read_string(doc, f, s)) return false;
  if (!valid_topic_filter(s)) {
    doc.error(f.pos, f.path, "'" + s + "' is not a valid MQTT topic filter");
    return false;
  }
  out = std::move(s);
  return true;
}

void parse_route_topics(YamlDoc& doc, MapReader& m, RouteSpec& r) {
  if (auto f = m.take("from")) {
    if (read_topic_filter(doc, *f, r.from)) r.from_pos = doc.text_pos(f->value);
  } else if (m.ok()) {
    doc.error(m.pos(), m.path(), "missing required key 'from'");
  }
  std::string to;
  if (auto f = m.take("to"); f && read_string(doc, *f, to)) {
    if (to.empty()) {
      doc.error(f->pos, f->path, "must not be empty (leave 'to' out to keep the source topic)");
    } else if (!has_template(to) && !valid_topic_name(to)) {
      doc.error(f->pos, f->path, "'" + to + "' is not a valid MQTT topic name (no wildcards)");
    } else {
      r.to = to;
      r.to_pos = doc.text_pos(f->value);
    }
  }
  std::string expr;
  if (auto f = m.take("if"); f && read_string(doc, *f, expr)) {
    if (expr.empty()) {
      doc.error(f->pos, f->path, "must not be empty");
    } else {
      r.if_expr = expr;
      r.if_pos = doc.text_pos(f->value);
    }
  }
}

// Over 3.1.1 there is no Retain As Published: live messages arrive with the
// retain flag cleared, so `keep` forwards them unretained.
void warn_retain_keep(YamlDoc& doc, const Field& item, const std::optional<Field>& retain, const RouteSpec& r,
                      const RouteContext& ctx) {
  if (r.retain != RetainMode::keep) return;
  bool out = r.direction == Direction::out;
  if ((out ? ctx.local_version : ctx.upstream_version) != 3) return;
  std::string link = out ? "local" : "upstream";
  const Field& at = retain ? *retain : item;
  doc.warning(at.pos, retain ? at.path : child_path(item.path, "retain"),
              "keep acts as false for live " + link + " traffic over MQTT 3.1.1 (" + link +
                  ".mqtt_version: 3); only the broker's replays of retained messages carry the flag");
}

void parse_route_options(YamlDoc& doc, MapReader& m, const Field& item, const RouteContext& ctx, RouteSpec& r) {
  if (auto f = m.take("direction")) read_enum(doc, *f, r.direction, {{"out", Direction::out}, {"in", Direction::in}});
  if (auto f = m.take("qos")) read_int_choice(doc, *f, r.qos, {0, 1, 2});
  auto retain = m.take("retain");
  if (retain) {
    read_enum(doc, *retain, r.retain,
              {{"keep", RetainMode::keep}, {"true", RetainMode::always}, {"false", RetainMode::never}});
  }
  if (auto f = m.take("while_offline")) {
    read_enum(doc, *f, r.while_offline,
              {{"keep_all", rules::WhileOffline::keep_all}, {"latest_only", rules::WhileOffline::latest_only}});
  }
  if (auto f = m.take("priority")) {
    read_enum(doc, *f, r.priority, {{"normal", rules::Priority::normal}, {"high", rules::Priority::high}});
  }
  warn_retain_keep(doc, item, retain, r, ctx);
}

// The topics a route publishes on its destination side, when they are known
// without rendering a template.
std::optional<std::string> destination_filter(const RouteSpec& r) {
  if (!r.to) return r.from;
  if (has_template(*r.to)) return std::nullopt;
  return r.to;
}

struct ParsedRoute {
  RouteSpec spec;
  std::string path;
};

// Without No Local (MQTT 3.1.1) the gateway receives its own publishes: an
// in route's local topics that an out route subscribes come straight back
// (design.md, Delivery), and likewise on the upstream.
void warn_echo(YamlDoc& doc, const std::vector<ParsedRoute>& routes, const RouteContext& ctx) {
  for (const auto& a : routes) {
    for (const auto& b : routes) {
      if (a.spec.direction == b.spec.direction) continue;
      Link echo_link = a.spec.direction == Direction::in ? Link::local : Link::upstream;
      int version = echo_link == Link::local ? ctx.local_version : ctx.upstream_version;
      auto published = destination_filter(a.spec);
      if (version != 3 || !published || !filters_overlap(*published, b.spec.from)) continue;
      std::string link(link_name(echo_link));
      doc.warning(a.spec.pos, a.path,
                  "publishes " + link + " topics that " + b.path + " ('" + b.spec.from +
                      "') subscribes: over MQTT 3.1.1 there is no No Local, so they come back to the gateway");
    }
  }
}

// A silence limit: a duration from 1s, or `never` (or 0): no offline by silence.
bool read_silence(YamlDoc& doc, const Field& f, Duration& out) {
  if (f.value.IsScalar() && (f.value.Scalar() == "never" || f.value.Scalar() == "0")) {
    out = Duration::zero();
    return true;
  }
  if (f.value.IsScalar() && !parse_duration(f.value.Scalar())) {
    doc.error(f.pos, f.path, "expected a duration such as 10m or 25h, or never, got '" + f.value.Scalar() + "'");
    return false;
  }
  return read_duration(doc, f, out, std::chrono::seconds(1));
}

// overrides: {ID: {offline_after: ...}}, for a device of any profile.
void parse_overrides(YamlDoc& doc, const Field& f, std::map<std::string, Duration>& out) {
  MapReader ids(doc, f);
  if (!ids.ok() || f.value.IsNull()) return;
  for (auto it = f.value.begin(); it != f.value.end(); ++it) {
    if (!it->first.IsScalar()) continue;  // reported by finish()
    const std::string& id = it->first.Scalar();
    auto df = ids.take(id);
    if (!df) continue;
    MapReader m(doc, *df);
    Duration after{};
    if (auto af = m.take("offline_after"); af && read_silence(doc, *af, after)) out[id] = after;
    m.finish();
  }
  ids.finish();
}

StaticDevice parse_static_device(YamlDoc& doc, const Field& item) {
  StaticDevice d;
  d.pos = item.pos;
  MapReader m(doc, item);
  m.require("id");
  m.require("topic");
  if (auto f = m.take("id")) read_string(doc, *f, d.id);
  if (auto f = m.take("topic")) read_topic_filter(doc, *f, d.topic);
  if (auto f = m.take("availability_topic")) read_topic_name(doc, *f, d.availability_topic);
  m.string("payload_online", d.payload_online);
  m.string("payload_offline", d.payload_offline);
  Duration after{};
  if (auto af = m.take("offline_after"); af && read_silence(doc, *af, after)) d.offline_after = after;
  m.finish();
  return d;
}

void parse_profiles(YamlDoc& doc, const Field& f, DevicesConfig& out) {
  std::vector<std::string> names;
  std::vector<SourcePos> where;
  if (!read_string_list(doc, f, names, &where)) return;
  std::vector<std::string> known(std::begin(kProfiles), std::end(kProfiles));
  std::vector<std::string_view> known_views(std::begin(kProfiles), std::end(kProfiles));
  bool ok = true;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string path = item_path(f.path, i);
    if (std::find(known.begin(), known.end(), names[i]) == known.end()) {
      std::string message = "unknown profile '" + names[i] + "'";
      auto s = suggest(names[i], known);
      message += s ? " (did you mean '" + *s + "'?)" : " (" + expected_one_of(known_views) + ")";
      doc.error(where[i], path, message);
      ok = false;
    } else if (std::find(names.begin(), names.begin() + static_cast<long>(i), names[i]) != names.begin() + i) {
      doc.error(where[i], path, "'" + names[i] + "' is listed twice");
      ok = false;
    }
  }
  if (ok) out.profiles = std::move(names);
}

}  // namespace

bool filters_overlap(std::string_view a, std::string_view b) {
  auto la = topic_levels(a);
  auto lb = topic_levels(b);
  auto wild = [](std::string_view l) { return l == "+" || l == "#"; };
  auto sys = [](std::string_view l) { return !l.empty() && l.front() == '$'; };
  // A filter starting with a wildcard matches no $-topic (MQTT 5 §4.7.2).
  if ((wild(la[0]) && sys(lb[0])) || (wild(lb[0]) && sys(la[0]))) return false;
  size_t i = 0;
  for (; i < la.size() && i < lb.size(); ++i) {
    if (la[i] == "#" || lb[i] == "#") return true;
    if (la[i] != "+" && lb[i] != "+" && la[i] != lb[i]) return false;
  }
  if (la.size() == lb.size()) return true;
  // "a" and "a/#" share the topic "a".
  const auto& longer = la.size() > lb.size() ? la : lb;
  return longer.size() == i + 1 && longer[i] == "#";
}

void parse_forward(YamlDoc& doc, const Field& f, const RouteContext& ctx, std::vector<RouteSpec>& out) {
  std::vector<ParsedRoute> routes;
  for (const auto& item : list_items(doc, f)) {
    size_t errors_before = doc.diags().error_count();
    RouteSpec r;
    r.pos = item.pos;
    MapReader m(doc, item);
    if (!m.ok()) continue;
    parse_route_topics(doc, m, r);
    parse_route_options(doc, m, item, ctx, r);
    m.finish();
    if (!ctx.has_upstream) {
      doc.error(item.pos, item.path, "a route needs an 'upstream' section, and there is none");
    }
    if (doc.diags().error_count() == errors_before) routes.push_back({std::move(r), item.path});
  }
  warn_echo(doc, routes, ctx);
  for (auto& r : routes) out.push_back(std::move(r.spec));
}

void parse_devices(YamlDoc& doc, const Field& f, DevicesConfig& out) {
  MapReader m(doc, f);
  if (auto pf = m.take("profiles")) parse_profiles(doc, *pf, out);
  if (auto zf = m.take("zigbee2mqtt")) {
    MapReader z(doc, *zf);
    if (auto bf = z.take("base_topic")) read_topic_name(doc, *bf, out.zigbee2mqtt_base_topic);
    z.finish();
  }
  if (auto tf = m.take("tasmota")) {
    MapReader t(doc, *tf);
    std::string full;
    if (auto ff = t.take("full_topic"); ff && read_string(doc, *ff, full)) {
      if (full.find("%topic%") == std::string::npos || full.find("%prefix%") == std::string::npos) {
        doc.error(ff->pos, ff->path, "'" + full + "' must contain %prefix% and %topic%");
      } else {
        out.tasmota_full_topic = full;
      }
    }
    t.finish();
  }
  if (auto af = m.take("offline_after")) read_silence(doc, *af, out.offline_after);
  if (auto af = m.take("offline_after_battery")) read_silence(doc, *af, out.offline_after_battery);
  if (auto of = m.take("overrides")) parse_overrides(doc, *of, out.overrides);
  if (auto sf = m.take("static")) {
    std::map<std::string, int> first_line;
    for (const auto& item : list_items(doc, *sf)) {
      size_t errors_before = doc.diags().error_count();
      StaticDevice d = parse_static_device(doc, item);
      if (doc.diags().error_count() != errors_before) continue;
      auto [seen, inserted] = first_line.emplace(d.id, d.pos.line);
      if (!inserted) {
        doc.error(item.pos, child_path(item.path, "id"),
                  "duplicate device id '" + d.id + "' (first at line " + std::to_string(seen->second) + ")");
        continue;
      }
      out.static_devices.push_back(std::move(d));
    }
  }
  m.finish();
}

void parse_homeassistant(YamlDoc& doc, const Field& f, HomeAssistantConfig& out) {
  MapReader m(doc, f);
  if (auto pf = m.take("prefix")) read_topic_name(doc, *pf, out.prefix);
  if (auto df = m.take("discovery")) {
    read_enum(doc, *df, out.discovery,
              {{"auto", Discovery::automatic}, {"on", Discovery::on}, {"off", Discovery::off}});
  }
  m.finish();
}

void parse_http(YamlDoc& doc, const Field& f, HttpConfig& out) {
  MapReader m(doc, f);
  std::string listen, host, error;
  int port = 0;
  if (auto lf = m.take("listen"); lf && read_string(doc, *lf, listen)) {
    if (listen.empty()) {
      out = {"", "", 0};
    } else if (!parse_host_port(listen, host, port, error) || port == 0) {
      if (error.empty()) error = "no port";
      doc.error(lf->pos, lf->path, "expected HOST:PORT or \"\" (disabled): " + error + " in '" + listen + "'");
    } else {
      out = {listen, host, port};
    }
  }
  m.finish();
}

}  // namespace edgegw::gateway::detail
