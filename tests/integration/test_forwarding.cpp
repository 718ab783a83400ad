// Forwarding through the real binary and two real brokers.
#include <catch2/catch.hpp>

#include <map>

#include "support/site.h"
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
  Site site({.routes = kRoutes, .cloud = SiteClient{"cloud", {"#"}}, .devices = SiteClient{"device"}});
  REQUIRE(site.start().ok());
  TestClient& cloud = site.cloud();
  TestClient& device = site.devices();
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
  REQUIRE(site.gw().stop().ok());
}

TEST_CASE("Does a command from the upstream reach the local broker through an in route, and not come back?",
          "[integration][forward]") {
  Site site({.routes = kRoutes + "  - from: \"cmnd/#\"\n", .cloud = {}, .devices = SiteClient{"device", {"cmnd/#"}}});
  REQUIRE(site.start().ok());
  TestClient& device = site.devices();
  auto connected = connect_client(site.upstream.uri(), {"cloud", {"cmnd/#"}});
  REQUIRE(connected.ok());
  TestClient& cloud = **connected;

  REQUIRE(cloud.publish("sites/it-gw/cmnd/plug_1/POWER", "ON", 1, false).ok());
  REQUIRE(device.wait_for_count(1, 10s));
  auto got = device.received();
  CHECK(got[0].topic == "cmnd/plug_1/POWER");
  CHECK(got[0].payload == "ON");
  // An out route for cmnd/# exists too; No Local keeps the gateway's own
  // local publish from being forwarded back upstream (no echo loop).
  REQUIRE(device.publish("cmnd/plug_2/POWER", "OFF", 1, false).ok());
  REQUIRE(cloud.wait_for_count(1, 10s));
  REQUIRE(site.gw().stop().ok());
  for (const auto& m : cloud.received()) CHECK(m.topic != "cmnd/plug_1/POWER");
}

TEST_CASE("Does a gateway started before its upstream exists connect once the upstream appears?",
          "[integration][forward]") {
  // The upstream stops once the session is made: the port is known, nothing listens there.
  Site site(cloud_session({.upstream = {.persistence = true}, .routes = kRoutes, .devices = SiteClient{"device"}},
                          /*upstream_down=*/true));
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  REQUIRE(site.devices().publish("zigbee2mqtt/early", "1", 1, false).ok());
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 1; }, 10s));

  REQUIRE(site.upstream.start().ok());
  // A failed first connect is retried by the gateway's own timer.
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 15s));
  auto joined = site.session().join();
  REQUIRE(joined.ok());
  REQUIRE((*joined)->wait_for_count(1, 10s));
  CHECK((*joined)->received()[0].topic == "sites/it-gw/zigbee2mqtt/early");
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does forwarding work with both links on MQTT 3.1.1, keeping the local session across a restart?",
          "[integration][forward][mqtt311]") {
  Site site({.local = {.persistence = true},
             .routes = kRoutes,
             .local_mqtt_version = 3,
             .upstream_mqtt_version = 3,
             .devices = SiteClient{"device", {}, MqttVersion::v311}});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& cloud = site.cloud();
  TestClient& device = site.devices();
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
