#include "support/site.h"

#include <filesystem>
#include <fstream>
#include <utility>

namespace edgegw::testing {
namespace {

Status failed(const std::string& step, const Status& s) { return Status::error("site: " + step, s.message()); }

// Inserts `key_line` as the first key of the YAML section `section` ("local:\n").
void add_key(std::string& yaml, const std::string& section, const std::string& key_line) {
  const auto at = yaml.find(section);
  if (at != std::string::npos) yaml.insert(at + section.size(), key_line);
}

}  // namespace

Result<std::unique_ptr<TestClient>> connect_client(const std::string& uri, const SiteClient& c) {
  auto client = std::make_unique<TestClient>(uri, c.id, c.version);
  if (auto r = client->connect(); !r.ok()) return r.status();
  for (const auto& filter : c.filters) {
    if (auto s = client->subscribe(filter, 1); !s.ok()) return s;
  }
  return client;
}

SiteOptions cloud_session(SiteOptions o, bool upstream_down, const std::string& filter) {
  o.cloud.reset();
  o.session = filter;
  o.upstream_down = upstream_down;
  return o;
}

Site::Site(SiteOptions opts) : local(opts.local), upstream(opts.upstream), opts_(std::move(opts)) {}

Site::~Site() = default;

Status Site::start_brokers() {
  if (auto s = local.start(); !s.ok()) return failed("local broker", s);
  if (!opts_.upstream_broker) return Status();
  if (auto s = upstream.start(); !s.ok()) return failed("upstream broker", s);
  if (!opts_.relay) return Status();
  wire_ = std::make_unique<TcpProxy>(upstream.port());
  if (auto s = wire_->start(); !s.ok()) return failed("relay", s);
  return Status();
}

Status Site::set_up_cloud() {
  if (opts_.cloud) {
    auto c = connect_client(upstream.uri(), *opts_.cloud);
    if (!c.ok()) return failed("cloud subscriber", c.status());
    cloud_ = std::move(c.value());
  }
  if (!opts_.session.empty()) {
    session_ = std::make_unique<Cloud>(upstream.uri(), opts_.session);
    if (auto s = session_->subscribe_and_leave(); !s.ok()) return failed("cloud session", s);
  }
  if (opts_.upstream_down) {
    if (auto s = upstream.stop(); !s.ok()) return failed("upstream stop", s);
  }
  return Status();
}

std::string Site::config() const {
  int upstream_port = 0;
  if (opts_.upstream_broker) upstream_port = opts_.relay ? wire_->port() : upstream.port();
  std::string extra = opts_.extra;
  if (!opts_.rule_files.empty()) extra = "rules:\n  paths: [rules.d]\n" + extra;
  std::string yaml = gateway_yaml(local.port(), upstream_port, opts_.routes, extra);
  if (opts_.local_mqtt_version == 3) add_key(yaml, "\nlocal:\n", "  mqtt_version: 3\n");
  if (opts_.upstream_mqtt_version == 3) add_key(yaml, "\nupstream:\n", "  mqtt_version: 3\n");
  if (opts_.http) {
    yaml.replace(yaml.find("listen: \"\""), 10, "listen: \"127.0.0.1:" + std::to_string(http_port_) + "\"");
  }
  if (opts_.edit) opts_.edit(yaml);
  return yaml;
}

void Site::write_gateway() {
  gw_ = std::make_unique<Gateway>(config());
  if (opts_.rule_files.empty()) return;
  std::filesystem::create_directories(gw_->dir() / "rules.d");
  for (const auto& [name, text] : opts_.rule_files) std::ofstream(gw_->dir() / "rules.d" / name) << text;
}

Status Site::prepare() {
  if (auto s = start_brokers(); !s.ok()) return s;
  if (auto s = set_up_cloud(); !s.ok()) return s;
  if (opts_.watcher) {
    auto c = connect_client(local.uri(), *opts_.watcher);
    if (!c.ok()) return failed("local watcher", c.status());
    watcher_ = std::move(c.value());
  }
  if (opts_.http) {
    auto port = pick_free_port();
    if (!port.ok()) return failed("http port", port.status());
    http_port_ = *port;
  }
  write_gateway();
  return Status();
}

Status Site::start_gateway() {
  const bool wait_upstream = opts_.upstream_broker && !opts_.upstream_down;
  if (auto s = gw_->start(wait_upstream); !s.ok()) return failed("gateway", s);
  if (opts_.devices) {
    auto c = connect_client(local.uri(), *opts_.devices);
    if (!c.ok()) return failed("devices", c.status());
    devices_ = std::move(c.value());
  }
  return Status();
}

Status Site::start() {
  if (auto s = prepare(); !s.ok()) return s;
  return start_gateway();
}

}  // namespace edgegw::testing
