// gateway/config/config.h — /etc/edgegw/gateway.yaml, loaded and validated.
//
// Contract (design.md, "Configuration" and "Precise semantics"):
// - Every key has a default; a missing section means its defaults. Unknown
//   keys, wrong types and out-of-range values are errors, never clamped.
// - Every problem goes into the Diagnostics in one pass, as
//   `FILE:LINE:COL: error: KEY.PATH: message` (FILE as opened, LINE/COL from 1).
// - Paths (state_dir, password_file, tls files, rules.paths) are relative to
//   the config file's folder and are stored resolved.
// - A missing file under /etc/edgegw or /var/lib/edgegw is a warning (the
//   shipped config checks cleanly on a build machine); a missing password or
//   TLS file elsewhere is an error. The state_dir is not looked at here: see
//   check_state_dir().
// - The password is read from password_file at load; a file that others may
//   read or write (mode & 0007) is an error.
// - Nothing here throws; no global state. Call from any one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/diag.h"
#include "gateway/store/outbox.h"
#include "rules/route_spec.h"

namespace edgegw::gateway {

inline constexpr const char* kDefaultConfigPath = "/etc/edgegw/gateway.yaml";
inline constexpr const char* kMosquittoConfPath = "/etc/mosquitto/mosquitto.conf";

struct TlsConfig {
  std::string ca_file, cert_file, key_file;  // resolved paths ("" = none)
  bool verify = true;
};

struct ReconnectConfig {
  Duration min = std::chrono::seconds(1);
  Duration max = std::chrono::seconds(30);  // upstream default: 2m
};

// local and upstream share it; fields unused by one side keep their defaults.
struct LinkConfig {
  std::string url;        // as written
  std::string scheme;     // "mqtt" or "mqtts" (tcp:// -> mqtt, ssl:// -> mqtts)
  std::string host;       // without IPv6 brackets
  int port = 0;           // default 1883 (mqtt) / 8883 (mqtts)
  std::string client_id;  // with {id} expanded
  std::string username;
  std::string password_file;                // resolved path ("" = none)
  std::string password;                     // read from password_file at load, trailing newline stripped
  std::vector<std::string> subscribe{"#"};  // local only
  int qos = 1;                              // local only
  int mqtt_version = 5;                     // 5 or 3 (3.1.1)
  Duration session_expiry = std::chrono::hours(24 * 7);
  Duration keepalive = std::chrono::seconds(30);
  ReconnectConfig reconnect;
  int max_inflight = 64;  // upstream only
  TlsConfig tls;
};

struct GatewaySection {
  std::string id;                  // default: the host name
  std::string state_dir;           // resolved; default /var/lib/edgegw
  SourcePos state_dir_pos;         // its value, else the file
  std::string log_level = "info";  // trace|debug|info|warn|error
  uint64_t max_payload = 256 << 10;
  // journal_keep: {age, max_bytes}: the window of received messages kept for
  // `edgegw journal export` and `edgegw test --from-journal`; age 0: none.
  Duration journal_keep_age = std::chrono::hours(24);
  uint64_t journal_keep_bytes = 128ull << 20;
};

struct BufferConfig {
  uint64_t max_messages = 1'000'000;
  uint64_t max_bytes = 512ull << 20;
  Duration max_age = std::chrono::hours(24 * 7);
  WhenFull when_full = WhenFull::drop_oldest;
  bool sync_full = false;  // sync: full
  uint64_t journal_max = 64ull << 20;
  SourcePos pos;  // buffer.max_bytes, else the buffer section (check's disk warning)

  OutboxLimits limits() const { return {max_messages, max_bytes, max_age, when_full}; }
};

// A device declared by hand; only id and topic are required.
struct StaticDevice {
  std::string id;
  std::string topic;               // MQTT filter
  std::string availability_topic;  // "" = none
  std::string payload_online = "online";
  std::string payload_offline = "offline";
  std::optional<Duration> offline_after;  // nullopt: devices.offline_after
  SourcePos pos;                          // its list item
};

struct DevicesConfig {
  // Names as in devices::Device::profile, in the order written.
  std::vector<std::string> profiles{"zigbee2mqtt", "tasmota", "shelly", "esphome", "homeassistant"};
  std::string zigbee2mqtt_base_topic = "zigbee2mqtt";
  std::string tasmota_full_topic = "%prefix%/%topic%/";
  Duration offline_after = std::chrono::minutes(10);        // mains or unknown power; 0: never
  Duration offline_after_battery = std::chrono::hours(25);  // battery (zigbee2mqtt power_source); 0: never
  std::map<std::string, Duration> overrides;                // device id -> offline_after; 0: never
  std::vector<StaticDevice> static_devices;
};

enum class Discovery { automatic, on, off };  // auto | on | off

struct HomeAssistantConfig {
  std::string prefix = "homeassistant";
  Discovery discovery = Discovery::automatic;
};

struct HttpConfig {
  std::string listen = "127.0.0.1:8088";  // as written; "" disables
  std::string host = "127.0.0.1";         // parsed, without IPv6 brackets
  int port = 8088;                        // 0 when disabled
};

struct Config {
  std::string path;  // the file loaded, as given
  GatewaySection gateway;
  LinkConfig local;
  std::optional<LinkConfig> upstream;
  std::vector<rules::RouteSpec> forward;
  BufferConfig buffer;
  std::vector<std::string> rule_paths;         // resolved, in the order written
  std::vector<SourcePos> rule_path_positions;  // parallel to rule_paths
  DevicesConfig devices;
  HomeAssistantConfig homeassistant;
  HttpConfig http;
};

// Loads and validates `path`. Every problem goes into `diags`. Returns a
// Config whenever the YAML could be parsed at all (so `check` can go on to the
// rule files); nullopt if the file cannot be read or is not valid YAML.
// Callers test diags.has_errors(). Rule paths are not checked here; see
// expand_rule_files().
std::optional<Config> load_config(const std::string& path, Diagnostics& diags);

// Whether a folder's file is a rule file by its name: *.yaml or *.yml.
inline bool is_rule_file_name(std::string_view name) { return name.ends_with(".yaml") || name.ends_with(".yml"); }

// The rule files named by cfg.rule_paths: a file as is, a folder as its
// *.yaml and *.yml files in name order; duplicates once. A missing path is a warning under
// /etc/edgegw or /var/lib/edgegw and an error elsewhere; with `strict`
// (edgegw run) it is always an error.
std::vector<std::string> expand_rule_files(const Config& cfg, Diagnostics& diags, bool strict = false);

// `edgegw check` and `run`, not `test`: a state_dir that exists and is not a
// folder (or cannot be looked at) is an error; a missing one is a warning
// only when this user could not create it (the nearest existing folder above
// it is not writable), since `run` creates it.
void check_state_dir(const Config& cfg, Diagnostics& diags);

// `edgegw check` advice about the local broker (design.md: it must queue the
// gateway's events while it restarts). When the local url is loopback,
// `conf_path` is readable and it is the config of the broker on the local
// url's port (a `listener` or `port` line names that port; with none, 1883),
// adds a warning (with the mosquitto.conf position)
// if max_queued_messages is not above 1000 (0 = unlimited is fine) or
// queue_qos0_messages is not true. Follows include_dir (*.conf, name order).
// Never adds errors; an unreadable file adds nothing.
void mosquitto_conf_hints(const Config& cfg, Diagnostics& diags, const std::string& conf_path = kMosquittoConfPath);

}  // namespace edgegw::gateway
