// tests/support/site.h — the set-up most integration tests share: a local
// broker (the devices' side), an upstream broker (the cloud's side), the
// cloud's subscriber, and the real gateway between them.
//
// Site::start() does, in this order, what each test used to write out:
// start the local broker, then the upstream broker; start the relay the
// gateway reaches the upstream through (`relay`); set up the cloud side (a
// live subscriber, or a persistent session it then leaves); stop the
// upstream again (`upstream_down`); connect the local watcher; write the
// gateway's config and rule files; start the gateway and wait for its local
// subscriptions and, unless the upstream is down, its upstream link; connect
// the devices' client. prepare() stops before the gateway starts, for tests
// that set something up in between (a fake clock, a small disk).
//
// Threads: one test thread. Failures are Status values naming the step;
// nothing throws. Destruction runs backwards: the devices' client, the
// gateway (killed if still running), the clients, the relay, the brokers.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "support/gateway_fixture.h"
#include "support/mosquitto_broker.h"
#include "support/tcp_proxy.h"
#include "support/test_client.h"

namespace edgegw::testing {

// An MQTT client of the test: its client id, the filters it subscribes to
// (QoS 1) once connected, and its protocol.
struct SiteClient {
  std::string id;
  std::vector<std::string> filters{};
  MqttVersion version = MqttVersion::v5;
};

struct SiteOptions {
  BrokerOptions local{};
  BrokerOptions upstream{};
  bool upstream_broker = true;  // false: a local broker only, no upstream section
  std::string routes{};         // the forward: list, as gateway_yaml() takes it
  std::string extra{};          // sections appended to the config, as gateway_yaml() takes them
  // Files written to rules.d/ beside the config (name -> text); a non-empty
  // map puts `rules: {paths: [rules.d]}` before `extra`.
  std::map<std::string, std::string> rule_files{};
  bool http = false;  // http.listen on a free loopback port: http_port()
  int local_mqtt_version = 5;
  int upstream_mqtt_version = 5;
  std::function<void(std::string&)> edit{};  // last changes to the config text
  bool relay = false;  // the gateway reaches the upstream through wire(), a TcpProxy the test can cut
  // A live subscriber on the upstream, connected before the gateway starts: cloud().
  std::optional<SiteClient> cloud = SiteClient{"cloud", {"sites/#"}};
  // Non-empty: a persistent cloud session on this filter, made and left
  // before the gateway starts (session().join() connects to it later).
  std::string session{};
  bool upstream_down = false;  // the upstream stops once the cloud side is set up
  // A subscriber on the local broker, connected before the gateway starts: watcher().
  std::optional<SiteClient> watcher{};
  // A client on the local broker, connected once the gateway is up: devices().
  std::optional<SiteClient> devices{};
};

class Site {
 public:
  explicit Site(SiteOptions opts = {});
  ~Site();
  Site(const Site&) = delete;
  Site& operator=(const Site&) = delete;

  // Brokers, relay, cloud side, watcher, the gateway's config and rule files.
  Status prepare();
  // The gateway started (once prepared): waits for its local subscriptions
  // and, unless `upstream_down`, its upstream link; then the devices' client.
  Status start_gateway();
  Status start();  // prepare(), then start_gateway()

  MosquittoBroker local;
  MosquittoBroker upstream;

  Gateway& gw() { return *gw_; }
  TestClient& cloud() { return *cloud_; }
  Cloud& session() { return *session_; }
  TestClient& watcher() { return *watcher_; }
  TestClient& devices() { return *devices_; }
  TcpProxy& wire() { return *wire_; }
  int http_port() const { return http_port_; }
  // The config text written for the gateway, with `{state_dir}` still in it.
  std::string config() const;

 private:
  Status start_brokers();
  Status set_up_cloud();
  void write_gateway();

  SiteOptions opts_;
  std::unique_ptr<TcpProxy> wire_;
  std::unique_ptr<Cloud> session_;
  std::unique_ptr<TestClient> cloud_;
  std::unique_ptr<TestClient> watcher_;
  std::unique_ptr<Gateway> gw_;
  std::unique_ptr<TestClient> devices_;
  int http_port_ = 0;
};

// `o` with the cloud as a persistent session on `filter` (made, then left,
// before the gateway starts: Site::session()) instead of a live subscriber;
// with `upstream_down`, the upstream then stops and the gateway starts
// without it.
SiteOptions cloud_session(SiteOptions o, bool upstream_down = false, const std::string& filter = "sites/#");

// A client of the test connected to `uri` and subscribed to its filters.
Result<std::unique_ptr<TestClient>> connect_client(const std::string& uri, const SiteClient& c);

}  // namespace edgegw::testing
