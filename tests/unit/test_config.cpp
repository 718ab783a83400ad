#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "unit/fixture_text.h"
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "gateway/config/config.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(EDGEGW_FIXTURES) / "config";

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "edgegw-config-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text, fs::perms mode = fs::perms(0600)) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    fs::permissions(p, mode);
    return p.string();
  }

 private:
  fs::path path_;
};

using edgegw::testing::diagnostics_text;
using edgegw::testing::read_text;

std::string errors_and_warnings(const std::string& config_text, const TempDir& dir) {
  std::string path = dir.write("gateway.yaml", config_text);
  Diagnostics diags;
  (void)load_config(path, diags);
  return diagnostics_text(diags, dir.path().string() + "/");
}

}  // namespace

TEST_CASE("Does each diagnostics fixture report exactly its expected lines, all in one pass?", "[config]") {
  const fs::path dir = kFixtures / "diagnostics";
  size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    const fs::path expected_path = fs::path(entry.path()).replace_extension(".expected");
    DYNAMIC_SECTION(entry.path().filename().string()) {
      REQUIRE(fs::exists(expected_path));
      Diagnostics diags;
      (void)load_config(entry.path().string(), diags);
      CHECK(diagnostics_text(diags, dir.string() + "/") == read_text(expected_path));
    }
    ++checked;
  }
  CHECK(checked >= 12);
}

TEST_CASE("Is a YAML syntax error reported at its line and column, with no Config?", "[config]") {
  TempDir dir;
  std::string path = dir.write("gateway.yaml", "local:\n  subscribe: [\"a/#\"\n  qos: 1\n");
  Diagnostics diags;
  auto cfg = load_config(path, diags);
  CHECK_FALSE(cfg);
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].format() == path + ":3:3: error: invalid YAML: end of sequence flow not found");
}

TEST_CASE("Is a missing config file an error naming the file?", "[config]") {
  Diagnostics diags;
  CHECK_FALSE(load_config("/nonexistent/gateway.yaml", diags));
  CHECK(diags.format_all() ==
        "/nonexistent/gateway.yaml: error: cannot open config file '/nonexistent/gateway.yaml': No such file or "
        "directory\n");
}

TEST_CASE("Does an empty config take every default of the design?", "[config]") {
  Diagnostics diags;
  auto cfg = load_config((kFixtures / "good" / "minimal.yaml").string(), diags);
  REQUIRE(cfg);
  CHECK_FALSE(diags.has_errors());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  CHECK(cfg->gateway.id == host);
  CHECK(cfg->gateway.state_dir == "/var/lib/edgegw");
  CHECK(cfg->gateway.log_level == "info");
  CHECK(cfg->gateway.max_payload == 256u * 1024);
  const LinkConfig& l = cfg->local;
  CHECK(l.url == "mqtt://127.0.0.1:1883");
  CHECK((l.scheme == "mqtt" && l.host == "127.0.0.1" && l.port == 1883));
  CHECK(l.client_id == "edgegw-" + std::string(host) + "-local");
  CHECK((l.username.empty() && l.password_file.empty() && l.password.empty()));
  CHECK(l.subscribe == std::vector<std::string>{"#"});
  CHECK((l.qos == 1 && l.mqtt_version == 5));
  CHECK((l.session_expiry == 168h && l.keepalive == 30s));
  CHECK((l.reconnect.min == 1s && l.reconnect.max == 30s));
  CHECK((l.tls.ca_file.empty() && l.tls.verify));
  CHECK_FALSE(cfg->upstream);
  CHECK(cfg->forward.empty());
  const BufferConfig& b = cfg->buffer;
  CHECK((b.max_messages == 1'000'000 && b.max_bytes == 512ull << 20 && b.max_age == 168h));
  CHECK((b.when_full == WhenFull::drop_oldest && !b.sync_full && b.journal_max == 64ull << 20));
  CHECK(cfg->rule_paths == std::vector<std::string>{"/etc/edgegw/rules.d"});
  CHECK(cfg->devices.profiles == std::vector<std::string>{"zigbee2mqtt", "tasmota", "shelly", "esphome", "homeassistant"});
  CHECK(
      (cfg->devices.zigbee2mqtt_base_topic == "zigbee2mqtt" && cfg->devices.tasmota_full_topic == "%prefix%/%topic%/"));
  CHECK((cfg->devices.offline_after == 10min && cfg->devices.static_devices.empty()));
  CHECK((cfg->homeassistant.prefix == "homeassistant" && cfg->homeassistant.discovery == Discovery::automatic));
  CHECK((cfg->http.listen == "127.0.0.1:8088" && cfg->http.host == "127.0.0.1" && cfg->http.port == 8088));
}

// Every field, one per line, so two configs compare in one CHECK.
std::string summary(const Config& c) {
  std::ostringstream o;
  auto link = [&](const LinkConfig& l) {
    o << l.url << ' ' << l.scheme << ' ' << l.host << ' ' << l.port << ' ' << l.client_id << ' ' << l.username << ' '
      << l.password_file << ' ' << l.qos << ' ' << l.mqtt_version << ' ' << l.session_expiry.count() << ' '
      << l.keepalive.count() << ' ' << l.reconnect.min.count() << ' ' << l.reconnect.max.count() << ' '
      << l.max_inflight << ' ' << l.tls.ca_file << l.tls.cert_file << l.tls.key_file << l.tls.verify << '\n';
    for (const auto& s : l.subscribe) o << s << '\n';
  };
  o << c.gateway.id << ' ' << c.gateway.state_dir << ' ' << c.gateway.log_level << ' ' << c.gateway.max_payload << '\n';
  link(c.local);
  o << c.upstream.has_value() << ' ' << c.forward.size() << '\n';
  const BufferConfig& b = c.buffer;
  o << b.max_messages << ' ' << b.max_bytes << ' ' << b.max_age.count() << ' ' << static_cast<int>(b.when_full) << ' '
    << b.sync_full << ' ' << b.journal_max << '\n';
  for (const auto& p : c.rule_paths) o << p << '\n';
  for (const auto& p : c.devices.profiles) o << p << ' ';
  o << c.devices.zigbee2mqtt_base_topic << ' ' << c.devices.tasmota_full_topic << ' ' << c.devices.offline_after.count()
    << ' ' << c.devices.static_devices.size() << '\n';
  o << c.homeassistant.prefix << ' ' << static_cast<int>(c.homeassistant.discovery) << '\n';
  o << c.http.listen << ' ' << c.http.host << ' ' << c.http.port << '\n';
  return o.str();
}

TEST_CASE("Does the shipped config/gateway.yaml load without errors and hold exactly the defaults?", "[config]") {
  Diagnostics shipped_diags, empty_diags;
  auto shipped =
      load_config((fs::path(EDGEGW_FIXTURES) / ".." / ".." / "config" / "gateway.yaml").string(), shipped_diags);
  auto empty = load_config((kFixtures / "good" / "minimal.yaml").string(), empty_diags);
  REQUIRE(shipped);
  REQUIRE(empty);
  INFO(shipped_diags.format_all());
  CHECK_FALSE(shipped_diags.has_errors());
  CHECK_FALSE(shipped->upstream);
  CHECK(shipped->forward.empty());
  CHECK(summary(*shipped) == summary(*empty));
}

TEST_CASE("Is a document that is not a map an error, with the defaults still returned?", "[config]") {
  TempDir dir;
  std::string path = dir.write("gateway.yaml", "- gateway\n- local\n");
  Diagnostics diags;
  auto cfg = load_config(path, diags);
  REQUIRE(cfg);
  REQUIRE(diags.error_count() == 1);
  CHECK(diags.format_all().find(path + ":1:1: error: expected a map, got a list\n") != std::string::npos);
  CHECK(cfg->local.port == 1883);
}

TEST_CASE("Is every key of a full config read into the right value?", "[config]") {
  TempDir dir;
  fs::copy(kFixtures / "good" / "full", dir.path(), fs::copy_options::recursive);
  fs::permissions(dir.path() / "secrets" / "upstream.password", fs::perms(0600));
  fs::create_directory(dir.path() / "state");
  const std::string base = dir.path().string();
  Diagnostics diags;
  auto cfg = load_config(base + "/gateway.yaml", diags);
  REQUIRE(cfg);
  CHECK(diags.format_all() == "");
  CHECK((cfg->gateway.id == "pi-kitchen" && cfg->gateway.state_dir == base + "/state"));
  CHECK((cfg->gateway.log_level == "debug" && cfg->gateway.max_payload == 65536));

  const LinkConfig& l = cfg->local;
  CHECK((l.url == "tcp://localhost" && l.scheme == "mqtt" && l.host == "localhost" && l.port == 1883));
  CHECK((l.client_id == "pi-kitchen-devices" && l.username == "gateway" && l.password_file.empty()));
  CHECK(l.subscribe == std::vector<std::string>{"zigbee2mqtt/#", "tasmota/+/tele/#"});
  CHECK((l.qos == 2 && l.mqtt_version == 3 && l.session_expiry == 24h && l.keepalive == 45s));
  CHECK((l.reconnect.min == 200ms && l.reconnect.max == 10s));

  REQUIRE(cfg->upstream);
  const LinkConfig& u = *cfg->upstream;
  CHECK((u.scheme == "mqtts" && u.host == "2001:db8::1" && u.port == 9883));
  CHECK((u.client_id == "cloud-pi-kitchen" && u.username == "site-7"));
  CHECK((u.password_file == base + "/secrets/upstream.password" && u.password == "not-a-real-secret"));
  CHECK((u.mqtt_version == 5 && u.session_expiry == 48h && u.keepalive == 60s));
  CHECK((u.reconnect.min == 500ms && u.reconnect.max == 5min && u.max_inflight == 128));
  CHECK((u.tls.ca_file == base + "/certs/ca.pem" && u.tls.cert_file == base + "/certs/client.pem"));
  CHECK((u.tls.key_file == base + "/certs/client.key" && !u.tls.verify));

  REQUIRE(cfg->forward.size() == 2);
  const rules::RouteSpec& r0 = cfg->forward[0];
  CHECK((r0.from == "zigbee2mqtt/+" && r0.to == "sites/{{ gateway.id }}/{{ topic }}"));
  CHECK((r0.direction == rules::Direction::out && r0.if_expr == "payload.battery != null" && r0.qos == 0));
  CHECK((r0.retain == rules::RetainMode::always && r0.while_offline == rules::WhileOffline::latest_only));
  CHECK(r0.priority == rules::Priority::high);
  const rules::RouteSpec& r1 = cfg->forward[1];
  CHECK((r1.from == "commands/#" && !r1.to && !r1.if_expr && r1.direction == rules::Direction::in));
  CHECK((r1.qos == 1 && r1.retain == rules::RetainMode::never && r1.priority == rules::Priority::normal));

  const BufferConfig& b = cfg->buffer;
  CHECK((b.max_messages == 5000 && b.max_bytes == 10'000'000 && b.max_age == 2h));
  CHECK((b.when_full == WhenFull::reject_new && b.sync_full && b.journal_max == 8u << 20));
  CHECK(cfg->rule_paths == std::vector<std::string>{base + "/rules.d", "/etc/edgegw/extra.yaml"});

  const DevicesConfig& d = cfg->devices;
  CHECK(d.profiles == std::vector<std::string>{"tasmota", "zigbee2mqtt"});
  CHECK((d.zigbee2mqtt_base_topic == "z2m" && d.tasmota_full_topic == "tele/%prefix%/%topic%/"));
  CHECK(d.offline_after == 15min);
  REQUIRE(d.static_devices.size() == 2);
  CHECK((d.static_devices[0].id == "boiler" && d.static_devices[0].topic == "plant/boiler/#"));
  CHECK((d.static_devices[0].availability_topic == "plant/boiler/lwt" && d.static_devices[0].payload_online == "up"));
  CHECK((d.static_devices[0].payload_offline == "down" && d.static_devices[0].offline_after == 1h));
  CHECK((d.static_devices[1].id == "meter" && d.static_devices[1].payload_online == "online"));
  CHECK_FALSE(d.static_devices[1].offline_after);
  CHECK((cfg->homeassistant.prefix == "ha" && cfg->homeassistant.discovery == Discovery::on));
  CHECK((cfg->http.listen == "[::1]:9090" && cfg->http.host == "::1" && cfg->http.port == 9090));
}

TEST_CASE("Do route positions point at the first character of each value's text?", "[config]") {
  TempDir dir;
  std::string path = dir.write("gateway.yaml",
                               "gateway: {state_dir: .}\n"
                               "upstream: {url: mqtt://cloud}\n"
                               "forward:\n"
                               "  - from: \"a/+\"\n"
                               "    to: 'x/{{ topic }}'\n"
                               "    if: payload.v > 1\n"
                               "  -   from: b/#\n"
                               "      if: |\n"
                               "        payload.ok\n");
  Diagnostics diags;
  auto cfg = load_config(path, diags);
  REQUIRE(cfg);
  REQUIRE(cfg->forward.size() == 2);
  const auto& r = cfg->forward[0];
  CHECK((r.pos.file == path && r.pos.line == 4 && r.pos.column == 5));
  CHECK((r.from_pos.line == 4 && r.from_pos.column == 12));
  CHECK((r.to_pos.line == 5 && r.to_pos.column == 10));
  CHECK((r.if_pos.line == 6 && r.if_pos.column == 9));
  const auto& r2 = cfg->forward[1];
  CHECK((r2.pos.line == 7 && r2.pos.column == 7 && r2.from_pos.column == 13));
  CHECK((r2.if_pos.line == 9 && r2.if_pos.column == 9 && r2.if_expr == "payload.ok\n"));
}

TEST_CASE("Is a password file that others can read refused, and a group-readable one accepted?", "[config]") {
  TempDir dir;
  std::string text = "gateway: {state_dir: .}\nlocal:\n  password_file: pw\n";
  SECTION("mode 0644 is an error") {
    dir.write("pw", "secret\n", fs::perms(0644));
    CHECK(errors_and_warnings(text, dir) ==  // the temp folder is cut from the path in the message too
          "gateway.yaml:3:18: error: local.password_file: password file 'pw' is readable or writable by others "
          "(mode 0644); chmod o-rwx it\n");
  }
  SECTION("mode 0602 (others may write) is an error") {
    dir.write("pw", "secret\n", fs::perms(0602));
    CHECK(errors_and_warnings(text, dir).find("(mode 0602)") != std::string::npos);
  }
  SECTION("mode 0640 is read, its trailing newline stripped") {
    dir.write("pw", "s3cret\r\n", fs::perms(0640));
    Diagnostics diags;
    auto cfg = load_config(dir.write("gateway.yaml", text), diags);
    REQUIRE(cfg);
    CHECK(diags.format_all() == "");
    CHECK(cfg->local.password == "s3cret");
    CHECK(cfg->local.password_file == (dir.path() / "pw").string());
  }
}

TEST_CASE("Are paths resolved against the config file's folder, not the working directory?", "[config]") {
  TempDir dir;
  fs::create_directories(dir.path() / "etc" / "state");
  dir.write("etc/keys/pw", "x", fs::perms(0600));
  const std::string cfg_path =
      dir.write("etc/gateway.yaml",
                "gateway: {state_dir: state}\n"
                "local: {url: 'mqtts://localhost', password_file: keys/pw, tls: {ca_file: ../ca.pem}}\n"
                "rules: {paths: [rules.d, /abs/rules]}\n");
  dir.write("ca.pem", "x");
  Diagnostics diags;
  auto cfg = load_config(cfg_path, diags);
  REQUIRE(cfg);
  const std::string etc = (dir.path() / "etc").string();
  CHECK(diags.format_all() == "");
  CHECK(cfg->gateway.state_dir == etc + "/state");
  CHECK(cfg->local.password_file == etc + "/keys/pw");
  CHECK(cfg->local.tls.ca_file == (dir.path() / "ca.pem").string());
  CHECK(cfg->rule_paths == std::vector<std::string>{etc + "/rules.d", "/abs/rules"});
}

TEST_CASE("Are tcp:// and ssl:// normalised, default ports filled, and {id} expanded?", "[config]") {
  TempDir dir;
  Diagnostics diags;
  auto cfg = load_config(dir.write("gateway.yaml",
                                   "gateway: {id: gw7, state_dir: .}\n"
                                   "local: {url: 'tcp://10.0.0.2', client_id: 'a-{id}-b-{id}'}\n"
                                   "upstream: {url: 'ssl://cloud.example.com'}\n"),
                         diags);
  REQUIRE(cfg);
  CHECK(diags.format_all() == "");
  CHECK((cfg->local.scheme == "mqtt" && cfg->local.host == "10.0.0.2" && cfg->local.port == 1883));
  CHECK(cfg->local.url == "tcp://10.0.0.2");
  CHECK(cfg->local.client_id == "a-gw7-b-gw7");
  REQUIRE(cfg->upstream);
  CHECK((cfg->upstream->scheme == "mqtts" && cfg->upstream->port == 8883));
  CHECK(cfg->upstream->client_id == "edgegw-gw7");
  CHECK(cfg->upstream->reconnect.max == 2min);
}

TEST_CASE("Are rule folders expanded to their *.yaml and *.yml files in name order?", "[config]") {
  TempDir dir;
  dir.write("rules.d/b.yaml", "rules: []\n");
  dir.write("rules.d/a.yaml", "rules: []\n");
  dir.write("rules.d/ab.yml", "rules: []\n");
  dir.write("rules.d/c.txt", "");
  dir.write("rules.d/d.yaml.bak", "");
  dir.write("one.yaml", "rules: []\n");
  Diagnostics diags;
  auto cfg = load_config(dir.write("gateway.yaml",
                                   "gateway: {state_dir: .}\n"
                                   "rules:\n"
                                   "  paths: [rules.d, one.yaml, rules.d/a.yaml, missing.d, /etc/edgegw/none.d]\n"),
                         diags);
  REQUIRE(cfg);
  REQUIRE(diags.format_all() == "");
  const std::string base = dir.path().string();
  auto files = expand_rule_files(*cfg, diags);
  CHECK(files == std::vector<std::string>{base + "/rules.d/a.yaml", base + "/rules.d/ab.yml", base + "/rules.d/b.yaml",
                                          base + "/one.yaml"});
  CHECK(diags.format_all() == base + "/gateway.yaml:3:46: error: rules.paths: '" + base +
                                  "/missing.d' does not exist\n" + base +
                                  "/gateway.yaml:3:57: warning: rules.paths: '/etc/edgegw/none.d' does not exist\n");
  Diagnostics strict;
  (void)expand_rule_files(*cfg, strict, /*strict=*/true);
  CHECK(strict.error_count() == 2);
}

TEST_CASE("Does check warn when the local mosquitto.conf cannot queue the gateway's events?", "[config]") {
  TempDir dir;
  Config cfg;
  cfg.local.host = "127.0.0.1";
  cfg.local.port = 1883;  // a mosquitto.conf without a listener line listens there
  const std::string conf = dir.write("mosquitto.conf",
                                     "# comment\n"
                                     "max_queued_messages 1000\n"
                                     "include_dir " +
                                         (dir.path() / "conf.d").string() + "\n");
  SECTION("defaults and a too-low limit are reported") {
    Diagnostics diags;
    mosquitto_conf_hints(cfg, diags, conf);
    REQUIRE(diags.items().size() == 2);
    CHECK(diags.items()[0].format().rfind(conf + ":2:1: warning: max_queued_messages 1000 is not above 1000", 0) == 0);
    CHECK(diags.items()[1].format().rfind(conf + ": warning: queue_qos0_messages is not set", 0) == 0);
    CHECK_FALSE(diags.has_errors());
  }
  SECTION("settings from include_dir, read in name order, satisfy it") {
    dir.write("conf.d/10-queue.conf", "max_queued_messages 50\nqueue_qos0_messages false\n");
    dir.write("conf.d/20-queue.conf", "  max_queued_messages 100000\nqueue_qos0_messages true\n");
    Diagnostics diags;
    mosquitto_conf_hints(cfg, diags, conf);
    CHECK(diags.format_all() == "");
  }
  SECTION("a remote local broker or an unreadable file gives no advice") {
    Diagnostics diags;
    mosquitto_conf_hints(cfg, diags, (dir.path() / "absent.conf").string());
    cfg.local.host = "192.168.1.10";
    mosquitto_conf_hints(cfg, diags, conf);
    CHECK(diags.items().empty());
  }
  SECTION("the file of a broker on another port (the system's, for the demo's private broker) gives no advice") {
    cfg.local.port = 18831;
    Diagnostics diags;
    mosquitto_conf_hints(cfg, diags, conf);
    CHECK(diags.items().empty());
    const std::string own = dir.write("own.conf", "listener 18831 127.0.0.1\n");
    mosquitto_conf_hints(cfg, diags, own);
    CHECK(diags.items().size() == 2);  // its own file is read
  }
}
