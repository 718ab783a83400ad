// TLS on the upstream link: the chain and the host name are verified.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "support/gateway_fixture.h"
#include "support/mosquitto_broker.h"
#include "support/temp_dir.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

// A private CA and a server certificate for `san` (e.g. "IP:127.0.0.1").
bool make_certs(const TempDir& dir, const std::string& name, const std::string& san) {
  std::string d = dir.path().string();
  std::ofstream(dir / (name + ".ext")) << "subjectAltName=" << san << "\n";
  std::string cmd =
      "cd '" + d + "' && "
      "( [ -f ca.key ] || openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=edgegw-test-ca "
      "-keyout ca.key -out ca.crt ) && "
      "openssl req -newkey rsa:2048 -nodes -subj /CN=" + name + " -keyout " + name + ".key -out " + name + ".csr && "
      "openssl x509 -req -in " + name + ".csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
      "-extfile " + name + ".ext -out " + name + ".crt";
  return std::system(("(" + cmd + ") >/dev/null 2>&1").c_str()) == 0;
}

std::string tls_yaml(int local_port, int tls_port, const TempDir& certs, bool verify) {
  std::string y = gateway_yaml(local_port, 0, "");
  y += "upstream:\n  url: mqtts://127.0.0.1:" + std::to_string(tls_port) +
       "\n  reconnect: {min: 100ms, max: 500ms}\n  tls:\n    ca_file: " + (certs / "ca.crt").string() +
       "\n    verify: " + (verify ? "true" : "false") + "\n";
  y += "forward:\n  - from: \"dev/#\"\n";
  return y;
}

}  // namespace

TEST_CASE("Does the upstream link connect over TLS to a broker whose certificate matches its host?",
          "[integration][tls]") {
  TempDir certs("edgegw-certs");
  REQUIRE(make_certs(certs, "good", "IP:127.0.0.1"));
  auto plain_port = pick_free_port();
  REQUIRE(plain_port.ok());
  MosquittoBroker local;
  // The TLS listener for the gateway, and a plain one for the test's subscriber.
  MosquittoBroker upstream(BrokerOptions{.extra_config = {"cafile " + (certs / "ca.crt").string(),
                                                          "certfile " + (certs / "good.crt").string(),
                                                          "keyfile " + (certs / "good.key").string(),
                                                          "listener " + std::to_string(*plain_port) + " 127.0.0.1"}});
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  TestClient cloud("tcp://127.0.0.1:" + std::to_string(*plain_port), "cloud");
  REQUIRE(cloud.connect().ok());
  REQUIRE(cloud.subscribe("dev/#", 1).ok());
  Gateway gw(tls_yaml(local.port(), upstream.port(), certs, true));
  REQUIRE(gw.start().ok());
  CHECK(gw.log().find("upstream link: connected to ssl://127.0.0.1") != std::string::npos);
  TestClient device(local.uri(), "device");
  REQUIRE(device.connect().ok());
  REQUIRE(device.publish("dev/1", "over tls", 1, false).ok());
  REQUIRE(cloud.wait_for_count(1, 10s));
  CHECK(cloud.received()[0].payload == "over tls");
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does the upstream link refuse a certificate issued for another host, keeping messages queued?",
          "[integration][tls]") {
  TempDir certs("edgegw-certs");
  REQUIRE(make_certs(certs, "other", "DNS:broker.example.com"));
  MosquittoBroker local;
  MosquittoBroker upstream(BrokerOptions{.extra_config = {"cafile " + (certs / "ca.crt").string(),
                                                          "certfile " + (certs / "other.crt").string(),
                                                          "keyfile " + (certs / "other.key").string()}});
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  Gateway gw(tls_yaml(local.port(), upstream.port(), certs, true));
  REQUIRE(gw.start(/*wait_upstream=*/false).ok());
  TestClient device(local.uri(), "device");
  REQUIRE(device.connect().ok());
  REQUIRE(device.publish("dev/1", "must wait", 1, false).ok());
  REQUIRE(wait_until([&] { return gw.log().find("upstream link: cannot connect") != std::string::npos; }, 10s));
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 1; }, 10s));
  CHECK(gw.log().find("upstream link: connected") == std::string::npos);
  REQUIRE(gw.stop().ok());

  // The same broker with verify: false (an explicit opt-out) connects.
  Gateway insecure(tls_yaml(local.port(), upstream.port(), certs, false));
  REQUIRE(insecure.start().ok());
  REQUIRE(insecure.stop().ok());
}
