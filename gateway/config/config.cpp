// load_config(): reads gateway.yaml, section by section, collecting every
// problem in one pass (design.md, Configuration).
#include "gateway/config/config.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "gateway/config/config_parse.h"

namespace edgegw::gateway {
namespace {

using detail::Field;
using detail::MapReader;
using detail::YamlDoc;

constexpr const char* kDefaultStateDir = "/var/lib/edgegw";
constexpr const char* kDefaultRulesDir = "/etc/edgegw/rules.d";
// MQTT's Remaining Length field caps a packet at 256MiB - 1.
constexpr uint64_t kMaxMqttPacket = 268'435'455;

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "edgegw";
  return buf;
}

// The gateway id is a topic level (edgegw/<id>/status) and part of client ids.
bool valid_gateway_id(const std::string& id) {
  return !id.empty() && id.find_first_of(std::string_view("/+#\0", 4)) == std::string::npos;
}

void parse_gateway(YamlDoc& doc, const Field& f, const std::string& base_dir, GatewaySection& g) {
  MapReader m(doc, f);
  g.id = host_name();
  if (auto idf = m.take("id")) {
    std::string id;
    if (read_string(doc, *idf, id) && !valid_gateway_id(id)) {
      doc.error(idf->pos, idf->path, "'" + id + "' must be non-empty, without '/', '+' or '#' (it is a topic level)");
    } else if (!id.empty()) {
      g.id = id;
    }
  }
  Field dir_field{YAML::Node(), "gateway.state_dir", {doc.file(), 0, 0}};
  std::string dir = kDefaultStateDir;
  if (auto sf = m.take("state_dir")) {
    dir_field = *sf;
    if (read_string(doc, *sf, dir) && dir.empty()) {
      doc.error(sf->pos, sf->path, "must not be empty");
      dir = kDefaultStateDir;
    }
  }
  g.state_dir = detail::resolve_path(base_dir, dir);
  g.state_dir_pos = dir_field.pos;
  if (auto lf = m.take("log_level")) {
    std::string level;
    read_enum(doc, *lf, level,
              {{"trace", "trace"}, {"debug", "debug"}, {"info", "info"}, {"warn", "warn"}, {"error", "error"}});
    if (!level.empty()) g.log_level = level;
  }
  if (auto pf = m.take("max_payload")) {
    uint64_t n = 0;
    if (read_size(doc, *pf, n, 1)) {
      if (n > kMaxMqttPacket) {
        doc.error(pf->pos, pf->path, pf->value.Scalar() + " is above MQTT's maximum packet size of 256MiB");
      } else {
        g.max_payload = n;
      }
    }
  }
  if (auto kf = m.take("journal_keep")) {
    MapReader keep(doc, *kf);
    keep.duration("age", g.journal_keep_age);
    keep.size("max_bytes", g.journal_keep_bytes);
    keep.finish();
  }
  m.finish();
}

void parse_buffer(YamlDoc& doc, const Field& f, BufferConfig& b) {
  MapReader m(doc, f);
  m.count("max_messages", b.max_messages, 1, INT64_MAX);
  b.pos = f.pos;
  if (auto mf = m.take("max_bytes")) {
    b.pos = mf->pos;
    (void)read_size(doc, *mf, b.max_bytes, 1);
  }
  m.duration("max_age", b.max_age, std::chrono::seconds(1));
  if (auto wf = m.take("when_full")) {
    read_enum(doc, *wf, b.when_full, {{"drop_oldest", WhenFull::drop_oldest}, {"reject_new", WhenFull::reject_new}});
  }
  if (auto sf = m.take("sync")) read_enum(doc, *sf, b.sync_full, {{"normal", false}, {"full", true}});
  m.size("journal_max", b.journal_max, 1);
  m.finish();
}

void parse_rules(YamlDoc& doc, const Field& f, const std::string& base_dir, Config& cfg) {
  MapReader m(doc, f);
  std::vector<std::string> paths{kDefaultRulesDir};
  std::vector<SourcePos> where{{doc.file(), 0, 0}};
  if (auto pf = m.take("paths")) {
    if (!read_string_list(doc, *pf, paths, &where)) {
      paths.clear();
      where.clear();
    }
    for (size_t i = 0; i < paths.size(); ++i) {
      if (paths[i].empty()) doc.error(where[i], detail::item_path(pf->path, i), "must not be empty");
    }
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    if (paths[i].empty()) continue;
    cfg.rule_paths.push_back(detail::resolve_path(base_dir, paths[i]));
    cfg.rule_path_positions.push_back(where[i]);
  }
  m.finish();
}

// Sections in dependency order: the gateway id feeds client ids, the links
// decide what routes may do.
void parse_root(YamlDoc& doc, const YAML::Node& root, Config& cfg) {
  std::string base_dir = std::filesystem::path(cfg.path).parent_path().string();
  MapReader r(doc, Field{root, "", {doc.file(), 1, 1}});
  auto section = [&](std::string_view key) {
    auto f = r.take(key);
    return f ? *f : Field{YAML::Node(), std::string(key), {doc.file(), 0, 0}};
  };
  parse_gateway(doc, section("gateway"), base_dir, cfg.gateway);
  cfg.local = detail::parse_link(doc, section("local"), Link::local, cfg.gateway.id, base_dir);
  if (auto uf = r.take("upstream"); uf && !uf->value.IsNull()) {
    cfg.upstream = detail::parse_link(doc, *uf, Link::upstream, cfg.gateway.id, base_dir);
  }
  detail::RouteContext ctx{cfg.upstream.has_value(), cfg.local.mqtt_version,
                           cfg.upstream ? cfg.upstream->mqtt_version : 5};
  detail::parse_forward(doc, section("forward"), ctx, cfg.forward);
  parse_buffer(doc, section("buffer"), cfg.buffer);
  parse_rules(doc, section("rules"), base_dir, cfg);
  detail::parse_devices(doc, section("devices"), cfg.devices);
  detail::parse_homeassistant(doc, section("homeassistant"), cfg.homeassistant);
  detail::parse_http(doc, section("http"), cfg.http);
  r.finish();
}

}  // namespace

std::optional<Config> load_config(const std::string& path, Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    std::string message = "cannot open config file '" + path + "': " + std::strerror(errno);
    // A user who gave no -c may not know which file was tried.
    if (path == kDefaultConfigPath) message += " (the default; name another with -c FILE)";
    diags.error({path, 0, 0}, std::move(message));
    return std::nullopt;
  }
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  Config cfg;
  cfg.path = path;
  auto read = detail::read_yaml(path, text, diags,
                                [&cfg](YamlDoc& doc, const YAML::Node& root) { parse_root(doc, root, cfg); });
  if (read == detail::YamlRead::not_yaml) return std::nullopt;
  return cfg;
}

}  // namespace edgegw::gateway
