// gateway/config/config_parse.h — the section parsers behind load_config()
// (internal to the config loader). Each one reports into the YamlDoc and
// fills its output with what was valid; defaults stay where it was not.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/config.h"
#include "gateway/config/config_yaml.h"

namespace edgegw::gateway::detail {

// config_link.cpp

// `local:` or `upstream:`. `gateway_id` expands {id} in client_id; relative
// paths are resolved against `base_dir`.
LinkConfig parse_link(YamlDoc& doc, const Field& f, Link side, const std::string& gateway_id,
                      const std::string& base_dir);

// "mqtt://host[:port]" into out.scheme/host/port (tcp:// and ssl://
// normalised, default ports filled). False with `error` set when malformed.
bool parse_url(std::string_view url, LinkConfig& out, std::string& error);
// "host[:port]" or "[v6][:port]"; `port` is left alone when none is written.
// False with `error` set (without the text itself) when malformed.
bool parse_host_port(std::string_view text, std::string& host, int& port, std::string& error);

// config_sections.cpp

struct RouteContext {
  bool has_upstream = false;
  int local_version = 5;
  int upstream_version = 5;
};
void parse_forward(YamlDoc& doc, const Field& f, const RouteContext& ctx, std::vector<rules::RouteSpec>& out);
void parse_devices(YamlDoc& doc, const Field& f, DevicesConfig& out);
void parse_homeassistant(YamlDoc& doc, const Field& f, HomeAssistantConfig& out);
void parse_http(YamlDoc& doc, const Field& f, HttpConfig& out);
// True if some topic matches both filters.
bool filters_overlap(std::string_view a, std::string_view b);

// config_files.cpp

// `p` relative to the config file's folder; absolute and empty paths as is.
std::string resolve_path(const std::string& base_dir, const std::string& p);
// Under /etc/edgegw or /var/lib/edgegw: missing there is only a warning.
bool under_system_dirs(const std::string& path);
// A file the config names. Missing: a warning under the system dirs, else an
// error. Returns true if it is there as a regular file.
bool check_file(YamlDoc& doc, const Field& f, const std::string& file);
// Reads the password, refusing a file others may read or write.
bool read_password_file(YamlDoc& doc, const Field& f, const std::string& file, std::string& out);

}  // namespace edgegw::gateway::detail
