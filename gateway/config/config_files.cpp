// The files a config names: resolving, existence and permission checks, the
// password file, rule paths, and the local mosquitto.conf hints.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <iterator>

#include "gateway/config/config_parse.h"

namespace edgegw::gateway {
namespace fs = std::filesystem;

namespace detail {
namespace {

const char* const kSystemDirs[] = {"/etc/edgegw", "/var/lib/edgegw"};

void report_missing(YamlDoc& doc, const Field& f, const std::string& file) {
  std::string message = "'" + file + "' does not exist";
  if (under_system_dirs(file)) {
    doc.warning(f.pos, f.path, message);
  } else {
    doc.error(f.pos, f.path, message);
  }
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

std::string resolve_path(const std::string& base_dir, const std::string& p) {
  if (p.empty()) return p;
  fs::path path(p);
  if (path.is_absolute() || base_dir.empty()) return path.lexically_normal().string();
  return (fs::path(base_dir) / path).lexically_normal().string();
}

bool under_system_dirs(const std::string& path) {
  fs::path p = fs::path(path).lexically_normal();
  for (const char* dir : kSystemDirs) {
    fs::path d(dir);
    auto [d_end, p_end] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
    if (d_end == d.end()) return true;
  }
  return false;
}

bool check_file(YamlDoc& doc, const Field& f, const std::string& file) {
  std::error_code ec;
  fs::file_status st = fs::status(file, ec);
  if (st.type() == fs::file_type::not_found) {
    report_missing(doc, f, file);
    return false;
  }
  if (ec) {
    doc.error(f.pos, f.path, "cannot access '" + file + "': " + ec.message());
    return false;
  }
  if (!fs::is_regular_file(st)) {
    doc.error(f.pos, f.path, "'" + file + "' is not a regular file");
    return false;
  }
  return true;
}

bool read_password_file(YamlDoc& doc, const Field& f, const std::string& file, std::string& out) {
  if (!check_file(doc, f, file)) return false;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    doc.error(f.pos, f.path, "cannot access '" + file + "': " + std::strerror(errno));
    return false;
  }
  // Group access is fine (root:edgegw 0640); others must have none.
  if ((st.st_mode & 0007) != 0) {
    doc.error(f.pos, f.path,
              "password file '" + file + "' is readable or writable by others (mode " + octal_mode(st.st_mode) +
                  "); chmod o-rwx it");
    return false;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in.is_open()) {
    doc.error(f.pos, f.path, "cannot read password file '" + file + "': " + std::strerror(errno));
    return false;
  }
  std::string password{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  out = std::move(password);
  return true;
}

}  // namespace detail

namespace {

bool is_rule_file(const fs::directory_entry& e) {
  std::error_code ec;
  return is_rule_file_name(e.path().filename().string()) && e.is_regular_file(ec);
}

// A folder's *.yaml and *.yml files in name order; false (and a diagnostic) if it cannot be listed.
bool list_folder(const std::string& dir, const SourcePos& pos, std::vector<std::string>& out, Diagnostics& diags) {
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_rule_file(*it)) names.push_back(it->path().string());
  }
  if (ec) {
    diags.error(pos, "rules.paths: cannot list '" + dir + "': " + ec.message());
    return false;
  }
  std::sort(names.begin(), names.end());
  out.insert(out.end(), names.begin(), names.end());
  return true;
}

}  // namespace

std::vector<std::string> expand_rule_files(const Config& cfg, Diagnostics& diags, bool strict) {
  std::vector<std::string> files;
  for (size_t i = 0; i < cfg.rule_paths.size(); ++i) {
    const std::string& p = cfg.rule_paths[i];
    SourcePos pos = i < cfg.rule_path_positions.size() ? cfg.rule_path_positions[i] : SourcePos{cfg.path, 0, 0};
    std::error_code ec;
    fs::file_status st = fs::status(p, ec);
    if (st.type() == fs::file_type::not_found) {
      std::string message = "rules.paths: '" + p + "' does not exist";
      if (!strict && detail::under_system_dirs(p)) {
        diags.warning(pos, message);
      } else {
        diags.error(pos, message);
      }
    } else if (ec) {
      diags.error(pos, "rules.paths: cannot access '" + p + "': " + ec.message());
    } else if (fs::is_directory(st)) {
      list_folder(p, pos, files, diags);
    } else {
      files.push_back(p);
    }
  }
  std::vector<std::string> unique;
  std::set<std::string> seen;
  for (auto& f : files) {
    if (seen.insert(fs::path(f).lexically_normal().string()).second) unique.push_back(std::move(f));
  }
  return unique;
}

// A missing folder matters only when `run` could not create it: the nearest
// folder that exists must be writable by this user. `test` never calls this.
void check_state_dir(const Config& cfg, Diagnostics& diags) {
  const std::string& dir = cfg.gateway.state_dir;
  const SourcePos& pos = cfg.gateway.state_dir_pos;
  std::error_code ec;
  fs::file_status st = fs::status(dir, ec);
  if (st.type() != fs::file_type::not_found) {
    if (ec) {
      diags.error(pos, "gateway.state_dir: cannot access '" + dir + "': " + ec.message());
    } else if (!fs::is_directory(st)) {
      diags.error(pos, "gateway.state_dir: '" + dir + "' is not a directory");
    }
    return;
  }
  fs::path parent = fs::path(dir).parent_path();
  while (!parent.empty() && parent != parent.parent_path() && !fs::exists(parent, ec)) parent = parent.parent_path();
  if (parent.empty()) parent = ".";
  if (fs::is_directory(parent, ec) && ::access(parent.c_str(), W_OK | X_OK) == 0) return;
  diags.warning(pos, "gateway.state_dir: '" + dir + "' does not exist, and this user cannot create it in '" +
                         parent.string() + "'; edgegw run must (as root, or the unit's StateDirectory= does)");
}

namespace {

struct ConfSetting {
  std::string value;
  SourcePos pos;
};

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Mosquitto reads include_dir files in place, in name order, and the last
// value of an option wins; includes do not nest.
// `listener PORT [ADDRESS]` and the older `port PORT` name the ports it
// listens on; with neither, Mosquitto 2 listens on 1883 (on loopback).
void scan_mosquitto_conf(const std::string& path, bool top, std::map<std::string, ConfSetting>& settings,
                         std::vector<int>& ports) {
  std::ifstream in(path);
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') continue;
    size_t sp = l.find_first_of(" \t");
    std::string key(l.substr(0, sp));
    std::string value(sp == std::string_view::npos ? std::string_view() : trim(l.substr(sp)));
    int col = static_cast<int>(line.find(key)) + 1;
    if (key == "max_queued_messages" || key == "queue_qos0_messages") {
      settings[key] = {value, {path, lineno, col}};
    } else if (key == "listener" || key == "port") {
      int port = 0;
      std::from_chars(value.data(), value.data() + value.size(), port);  // stops at the address
      ports.push_back(port);
    } else if (key == "include_dir" && top) {
      std::vector<std::string> confs;
      std::error_code ec;
      for (fs::directory_iterator it(value, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".conf") confs.push_back(it->path().string());
      }
      std::sort(confs.begin(), confs.end());
      for (const auto& c : confs) scan_mosquitto_conf(c, false, settings, ports);
    }
  }
}

bool is_loopback(const std::string& host) { return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0; }

}  // namespace

void mosquitto_conf_hints(const Config& cfg, Diagnostics& diags, const std::string& conf_path) {
  if (!is_loopback(cfg.local.host)) return;
  if (!std::ifstream(conf_path)) return;
  std::map<std::string, ConfSetting> settings;
  std::vector<int> ports;
  scan_mosquitto_conf(conf_path, true, settings, ports);
  if (ports.empty()) ports.push_back(1883);
  // Another broker on this machine (the demo's, a test's): this file is not its config.
  if (std::find(ports.begin(), ports.end(), cfg.local.port) == ports.end()) return;

  const std::string why = " so the broker queues the gateway's events while it restarts";
  auto mqm = settings.find("max_queued_messages");
  if (mqm == settings.end()) {
    diags.warning({conf_path, 0, 0}, "max_queued_messages is not set (default 1000); set it above 1000" + why);
  } else {
    char* end = nullptr;
    unsigned long long n = std::strtoull(mqm->second.value.c_str(), &end, 10);
    bool numeric = !mqm->second.value.empty() && end && *end == '\0';
    if (!numeric || (n != 0 && n <= 1000)) {  // 0 is unlimited
      diags.warning(mqm->second.pos, "max_queued_messages " + mqm->second.value + " is not above 1000; raise it" + why);
    }
  }
  auto q0 = settings.find("queue_qos0_messages");
  const std::string qos0 =
      "QoS 0 messages (what zigbee2mqtt, Tasmota and ESPHome publish by default) are not queued while the "
      "gateway is away; set queue_qos0_messages true";
  if (q0 == settings.end()) {
    diags.warning({conf_path, 0, 0}, "queue_qos0_messages is not set: " + qos0);
  } else if (q0->second.value != "true") {
    diags.warning(q0->second.pos, "queue_qos0_messages is " + q0->second.value + ": " + qos0);
  }
}

}  // namespace edgegw::gateway
