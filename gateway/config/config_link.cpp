// The `local:` and `upstream:` sections: broker url, identity, session and
// TLS settings.
#include <charconv>
#include <optional>

#include "core/topic.h"
#include "core/units.h"
#include "gateway/config/config_parse.h"

namespace edgegw::gateway::detail {
namespace {

using namespace std::chrono_literals;

// MQTT 5 carries the session expiry as a 32-bit count of seconds and the
// keepalive as a 16-bit one.
constexpr Duration kMaxSessionExpiry = std::chrono::seconds(0xFFFFFFFFll);
constexpr Duration kMaxKeepalive = std::chrono::seconds(0xFFFF);
// design.md: the gateway's own backoff timer takes any value from 100ms.
constexpr Duration kMinReconnect = 100ms;

struct SchemeAlias {
  std::string_view written, scheme;
  int default_port;
};
constexpr SchemeAlias kSchemes[] = {
    {"mqtt", "mqtt", 1883}, {"tcp", "mqtt", 1883}, {"mqtts", "mqtts", 8883}, {"ssl", "mqtts", 8883}};

bool parse_port(std::string_view text, int& port) {
  int n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || n < 1 || n > 65535) return false;
  port = n;
  return true;
}

// Paho and the broker need whole seconds; rounding 1500ms silently is the
// kind of clamping the config must not do.
bool whole_seconds(YamlDoc& doc, const Field& f, Duration d) {
  if (d % std::chrono::seconds(1) == Duration::zero()) return true;
  doc.error(f.pos, f.path, f.value.Scalar() + " is not a whole number of seconds");
  return false;
}

void parse_url_field(YamlDoc& doc, MapReader& r, Link side, LinkConfig& c) {
  auto f = r.take("url");
  if (!f) {
    if (side == Link::upstream && r.ok()) doc.error(r.pos(), r.path(), "missing required key 'url'");
    return;
  }
  std::string url, error;
  if (!read_string(doc, *f, url)) return;
  LinkConfig parsed;
  if (!parse_url(url, parsed, error)) {
    doc.error(f->pos, f->path, error);
    return;
  }
  c.url = url;
  c.scheme = parsed.scheme;
  c.host = parsed.host;
  c.port = parsed.port;
}

void parse_session(YamlDoc& doc, MapReader& r, LinkConfig& c) {
  if (auto f = r.take("session_expiry")) {
    Duration d{};
    if (read_duration(doc, *f, d, Duration::zero(), kMaxSessionExpiry) && whole_seconds(doc, *f, d)) {
      c.session_expiry = d;
    }
  }
  if (auto f = r.take("keepalive")) {
    Duration d{};
    if (read_duration(doc, *f, d, Duration::zero(), kMaxKeepalive) && whole_seconds(doc, *f, d)) c.keepalive = d;
  }
  if (auto f = r.take("reconnect")) {
    MapReader rr(doc, *f);
    ReconnectConfig rc = c.reconnect;
    auto min_f = rr.take("min");
    bool min_ok = min_f && read_duration(doc, *min_f, rc.min, kMinReconnect);
    auto max_f = rr.take("max");
    bool max_ok = max_f && read_duration(doc, *max_f, rc.max, kMinReconnect);
    rr.finish();
    if (rc.min > rc.max && (min_f || max_f) && (!min_f || min_ok) && (!max_f || max_ok)) {
      const Field& at = min_f ? *min_f : *max_f;
      doc.error(at.pos, f->path, "min " + format_duration(rc.min) + " is above max " + format_duration(rc.max));
    } else {
      c.reconnect = rc;
    }
  }
}

void parse_tls(YamlDoc& doc, MapReader& r, const std::string& base_dir, LinkConfig& c) {
  auto f = r.take("tls");
  if (!f) return;
  MapReader t(doc, *f);
  struct FileKey {
    std::string_view key;
    std::string* out;
  };
  const FileKey keys[] = {{"ca_file", &c.tls.ca_file}, {"cert_file", &c.tls.cert_file}, {"key_file", &c.tls.key_file}};
  bool any_file = false;
  for (const auto& k : keys) {
    auto kf = t.take(k.key);
    std::string value;
    if (!kf || !read_string(doc, *kf, value) || value.empty()) continue;
    *k.out = resolve_path(base_dir, value);
    check_file(doc, *kf, *k.out);
    any_file = true;
  }
  t.boolean("verify", c.tls.verify);
  t.finish();
  if (!c.tls.key_file.empty() && c.tls.cert_file.empty()) {
    doc.error(f->pos, f->path, "key_file is set but cert_file is not");
  }
  if (any_file && c.scheme == "mqtt") {
    doc.warning(f->pos, f->path, "ignored with an mqtt:// url (use mqtts:// for TLS)");
  }
}

void parse_credentials(YamlDoc& doc, MapReader& r, const std::string& base_dir, LinkConfig& c) {
  r.string("username", c.username);
  if (auto f = r.take("password_file")) {
    std::string value;
    if (read_string(doc, *f, value) && !value.empty()) {
      c.password_file = resolve_path(base_dir, value);
      read_password_file(doc, *f, c.password_file, c.password);
    }
  }
}

void parse_subscriptions(YamlDoc& doc, MapReader& r, LinkConfig& c) {
  if (auto f = r.take("subscribe")) {
    std::vector<std::string> filters;
    std::vector<SourcePos> where;
    if (read_string_list(doc, *f, filters, &where)) {
      bool ok = true;
      for (size_t i = 0; i < filters.size(); ++i) {
        if (valid_topic_filter(filters[i])) continue;
        doc.error(where[i], item_path(f->path, i), "'" + filters[i] + "' is not a valid MQTT topic filter");
        ok = false;
      }
      if (ok) c.subscribe = std::move(filters);
    }
  }
  if (auto f = r.take("qos")) read_int_choice(doc, *f, c.qos, {0, 1, 2});
}

}  // namespace

bool parse_host_port(std::string_view text, std::string& host, int& port, std::string& error) {
  std::string_view h = text;
  std::optional<std::string_view> p;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      error = "missing ']' after the IPv6 address";
      return false;
    }
    h = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      error = "unexpected '" + std::string(rest) + "' after the address";
      return false;
    }
    if (!rest.empty()) p = rest.substr(1);
  } else if (size_t colon = text.find(':'); colon != std::string_view::npos) {
    if (text.find(':', colon + 1) != std::string_view::npos) {
      error = "an IPv6 address needs brackets, as in [::1]:1883";
      return false;
    }
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  if (h.empty()) {
    error = "no host";
    return false;
  }
  if (p && !parse_port(*p, port)) {
    error = "port '" + std::string(*p) + "' is not a number from 1 to 65535";
    return false;
  }
  host = std::string(h);
  return true;
}

bool parse_url(std::string_view url, LinkConfig& out, std::string& error) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    error = "expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT], got '" + std::string(url) + "'";
    return false;
  }
  std::string_view written = url.substr(0, sep);
  const SchemeAlias* scheme = nullptr;
  for (const auto& s : kSchemes) {
    if (s.written == written) scheme = &s;
  }
  if (!scheme) {
    error = "unknown scheme '" + std::string(written) + "' in '" + std::string(url) +
            "' (expected mqtt, mqtts, tcp or ssl)";
    return false;
  }
  std::string_view rest = url.substr(sep + 3);
  if (rest.find('@') != std::string_view::npos) {
    error = "credentials in the url are not accepted; use username and password_file";
    return false;
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    error = "unexpected path '" + std::string(rest.substr(slash)) + "' in '" + std::string(url) + "'";
    return false;
  }
  int port = scheme->default_port;
  std::string host;
  if (!parse_host_port(rest, host, port, error)) {
    error += " in '" + std::string(url) + "'";
    return false;
  }
  out.scheme = std::string(scheme->scheme);
  out.host = std::move(host);
  out.port = port;
  return true;
}

LinkConfig parse_link(YamlDoc& doc, const Field& f, Link side, const std::string& gateway_id,
                      const std::string& base_dir) {
  LinkConfig c;
  std::string client_id = side == Link::local ? "edgegw-{id}-local" : "edgegw-{id}";
  if (side == Link::local) {
    c.url = "mqtt://127.0.0.1:1883";
    std::string unused;
    parse_url(c.url, c, unused);
  } else {
    c.reconnect.max = std::chrono::minutes(2);
  }
  MapReader r(doc, f);
  parse_url_field(doc, r, side, c);
  if (auto cf = r.take("client_id")) {
    if (read_string(doc, *cf, client_id) && client_id.empty()) {
      doc.error(cf->pos, cf->path, "must not be empty (a persistent session needs a client id)");
    }
  }
  for (size_t at = client_id.find("{id}"); at != std::string::npos; at = client_id.find("{id}", at)) {
    client_id.replace(at, 4, gateway_id);
    at += gateway_id.size();
  }
  c.client_id = client_id;
  parse_credentials(doc, r, base_dir, c);
  if (side == Link::local) parse_subscriptions(doc, r, c);
  if (auto vf = r.take("mqtt_version")) read_int_choice(doc, *vf, c.mqtt_version, {5, 3});
  parse_session(doc, r, c);
  if (side == Link::upstream) r.integer("max_inflight", c.max_inflight, 1, 65535);
  parse_tls(doc, r, base_dir, c);
  r.finish();
  return c;
}

}  // namespace edgegw::gateway::detail
