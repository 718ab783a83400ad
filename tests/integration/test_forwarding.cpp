// Forwarding through the real binary and two real brokers.
#include <catch2/catch.hpp>

#include <map>

#include "support/gateway_fixture.h"
#include "support/mosquitto_broker.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const std::string kRoutes =
    "  - from: \"zigbee2mqtt/+\"\n"
    "    to: \"sites/{{ gateway.id }}/{{ topic }}\"\n"
    "  - from: \"tele/+/SENSOR\"\n"
    "    to: \"meters/{{ topic[1] }}\"\n"
    "    retain: false\n"
    "  - from: \"sites/it-gw/cmnd/#\"\n"
    "    to: \"cmnd/{{ topic[3] }}/{{ topic[4] }}\"\n"
    "    direction: in\n";

std::string user_property(const ReceivedMessage& m, const std::string& name) {
  for (const auto& [k, v] : m.user_properties) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace

TEST_CASE("Does a local message reach the upstream on the mapped topic, byte-exact, with its retain flag?",
          "[integration][forward]") {
  MosquittoBroker local, upstream;
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  TestClient cloud(upstream.uri(), "cloud");
  REQUIRE(cloud.connect().ok());
  REQUIRE(cloud.subscribe("#", 1).ok());

  Gateway gw(gateway_yaml(local.port(), upstream.port(), kRoutes));
  REQUIRE(gw.start().ok());

  TestClient device(local.uri(), "device");
  REQUIRE(device.connect().ok());
  const std::string binary("{\"t\":21.5}\0\xff\xfe tail", 17);
  REQUIRE(device.publish("zigbee2mqtt/hallway", binary, 1, true).ok());
  REQUIRE(device.publish("tele/tasmota_1/SENSOR", "{\"Power\":5}", 1, true).ok());
  REQUIRE(device.publish("unrouted/topic", "x", 1, false).ok());

  // Both routed messages (the retained status message arrives too, so a
  // count alone would not say they are both in).
  auto both_in = [&] {
    size_t routed = 0;
    for (const auto& m : cloud.received()) routed += m.topic.rfind("edgegw/", 0) != 0;
    return routed >= 2;
  };
  REQUIRE(wait_until(both_in, 10s));
  std::map<std::string, ReceivedMessage> by_topic;
  for (const auto& m : cloud.received()) by_topic[m.topic] = m;
  REQUIRE(by_topic.count("sites/it-gw/zigbee2mqtt/hallway"));
  const auto& z = by_topic["sites/it-gw/zigbee2mqtt/hallway"];
  CHECK(z.payload == binary);
  CHECK(z.retained);  // retain: keep (the default)
  CHECK(z.qos == 1);
  CHECK(user_property(z, "edgegw-msg-id").rfind("it-gw:", 0) == 0);
  REQUIRE(by_topic.count("meters/tasmota_1"));
  CHECK_FALSE(by_topic["meters/tasmota_1"].retained);  // retain: false
  CHECK(by_topic.count("unrouted/topic") == 0);
  // The gateway's own status topic is retained on the upstream with "online".
  CHECK(by_topic.count("edgegw/it-gw/status") == 1);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does a command from the upstream reach the local broker through an in route, and not come back?",
          "[integration][forward]") {
  MosquittoBroker local, upstream;
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  Gateway gw(gateway_yaml(local.port(), upstream.port(), kRoutes + "  - from: \"cmnd/#\"\n"));
  REQUIRE(gw.start().ok());

  TestClient device(local.uri(), "device");
  REQUIRE(device.connect().ok());
  REQUIRE(device.subscribe("cmnd/#", 1).ok());
  TestClient cloud(upstream.uri(), "cloud");
  REQUIRE(cloud.connect().ok());
  REQUIRE(cloud.subscribe("cmnd/#", 1).ok());

  REQUIRE(cloud.publish("sites/it-gw/cmnd/plug_1/POWER", "ON", 1, false).ok());
  REQUIRE(device.wait_for_count(1, 10s));
  auto got = device.received();
  CHECK(got[0].topic == "cmnd/plug_1/POWER");
  CHECK(got[0].payload == "ON");
  // An out route for cmnd/# exists too; No Local keeps the gateway's own
  // local publish from being forwarded back upstream (no echo loop).
  REQUIRE(device.publish("cmnd/plug_2/POWER", "OFF", 1, false).ok());
  REQUIRE(cloud.wait_for_count(1, 10s));
  REQUIRE(gw.stop().ok());
  for (const auto& m : cloud.received()) CHECK(m.topic != "cmnd/plug_1/POWER");
}

TEST_CASE("Does a gateway started before its upstream exists connect once the upstream appears?",
          "[integration][forward]") {
  MosquittoBroker local, upstream(BrokerOptions{.persistence = true});
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  Cloud cloud(upstream.uri());
  REQUIRE(cloud.subscribe_and_leave().ok());
  REQUIRE(upstream.stop().ok());  // the port is known, nothing listens there

  Gateway gw(gateway_yaml(local.port(), upstream.port(), kRoutes));
  REQUIRE(gw.start(/*wait_upstream=*/false).ok());
  TestClient device(local.uri(), "device");
  REQUIRE(device.connect().ok());
  REQUIRE(device.publish("zigbee2mqtt/early", "1", 1, false).ok());
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 1; }, 10s));

  REQUIRE(upstream.start().ok());
  // A failed first connect is retried by the gateway's own timer.
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 15s));
  auto joined = cloud.join();
  REQUIRE(joined.ok());
  REQUIRE((*joined)->wait_for_count(1, 10s));
  CHECK((*joined)->received()[0].topic == "sites/it-gw/zigbee2mqtt/early");
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does forwarding work with both links on MQTT 3.1.1, keeping the local session across a restart?",
          "[integration][forward][mqtt311]") {
  MosquittoBroker local(BrokerOptions{.persistence = true}), upstream;
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  TestClient cloud(upstream.uri(), "cloud");
  REQUIRE(cloud.connect().ok());
  REQUIRE(cloud.subscribe("sites/#", 1).ok());
  std::string yaml = gateway_yaml(local.port(), upstream.port(), kRoutes);
  for (const char* key : {"local:\n", "upstream:\n"}) {
    yaml.replace(yaml.find(key), std::string(key).size(), std::string(key) + "  mqtt_version: 3\n");
  }
  Gateway gw(yaml);
  REQUIRE(gw.start().ok());
  TestClient device(local.uri(), "device", MqttVersion::v311);
  REQUIRE(device.connect().ok());
  REQUIRE(device.publish("zigbee2mqtt/a", "1", 1, false).ok());
  REQUIRE(cloud.wait_for_count(1, 10s));
  REQUIRE(gw.stop().ok());
  // Clean session off: the broker queues for the stopped gateway.
  REQUIRE(device.publish("zigbee2mqtt/a", "2", 1, false).ok());
  REQUIRE(gw.start().ok());
  REQUIRE(cloud.wait_for_count(2, 10s));
  auto got = cloud.received();
  CHECK(got[0].payload == "1");
  CHECK(got[1].payload == "2");
  CHECK(got[1].topic == "sites/it-gw/zigbee2mqtt/a");
  REQUIRE(gw.stop().ok());
}
