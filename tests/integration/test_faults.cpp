// Faults on the wire (reliability matrix): a silent dead uplink.
#include <catch2/catch.hpp>

#include <set>

#include "support/gateway_fixture.h"
#include "support/mosquitto_broker.h"
#include "support/tcp_proxy.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const std::string kRoutes = "  - from: \"dev/+\"\n    to: \"sites/{{ topic }}\"\n";

void publish(TestClient& c, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    REQUIRE(c.publish("dev/" + std::to_string(i % 5), std::to_string(i), 1, false).ok());
  }
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("Is a silent dead uplink (no RST) noticed within 1.5 x keepalive, losing nothing?",
          "[integration][faults][deadlink]") {
  MosquittoBroker local, upstream(BrokerOptions{.persistence = true});
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  TcpProxy wire(upstream.port());
  REQUIRE(wire.start().ok());
  Cloud cloud(upstream.uri(), "sites/#");
  REQUIRE(cloud.subscribe_and_leave().ok());
  Gateway gw(gateway_yaml(local.port(), wire.port(), kRoutes));  // keepalive: 5s
  REQUIRE(gw.start().ok());
  TestClient devices(local.uri(), "devices");
  REQUIRE(devices.connect().ok());
  publish(devices, 0, 100);
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 20s));

  wire.silence(true);  // from here the uplink swallows everything, in both directions
  const auto silent_at = std::chrono::steady_clock::now();
  publish(devices, 100, 100);  // sent into the void: none may be deleted without its PUBACK
  REQUIRE(wait_until([&] { return count_of(gw.log(), "upstream link: disconnected") >= 1; }, 20s));
  const auto noticed = std::chrono::steady_clock::now() - silent_at;
  INFO("noticed after " << std::chrono::duration_cast<std::chrono::milliseconds>(noticed).count() << " ms");
  CHECK(noticed <= 7500ms);  // 1.5 x keepalive
  CHECK(gw.upstream_backlog() == 100);

  publish(devices, 200, 100);
  wire.silence(false);  // the path heals: a new connection drains the backlog
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 30s));
  auto joined = cloud.join();
  REQUIRE(joined.ok());
  REQUIRE(wait_until([&] {
    std::set<std::string> seen;
    for (const auto& m : (*joined)->received()) seen.insert(m.payload);
    return seen.size() == 300;
  }, 20s));
  REQUIRE(gw.stop().ok());
}
