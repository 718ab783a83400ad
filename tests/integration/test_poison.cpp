// Poison rows (reliability matrix D8): rows the upstream will never take go
// to the dead letters after one attempt and never block the queue behind.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <set>

#include "support/log_text.h"
#include "support/site.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const std::string kRoutes = "  - from: \"dev/#\"\n    to: \"sites/{{ topic }}\"\n";

// The upstream refuses three kinds of row for good, each differently:
// - sites/dev/secret: its ACL denies it (MQTT 5 PUBACK 0x87 Not authorized);
// - a 150 KB payload: above message_size_limit (PUBACK 0x95 Packet too large);
// - a 220 KB payload: above max_packet_size, which the broker announces in
//   CONNACK; sending it would get the connection dropped, so it is never sent.
BrokerOptions picky_upstream(const std::filesystem::path& acl) {
  std::ofstream(acl) << "topic readwrite #\ntopic deny sites/dev/secret\n";
  return BrokerOptions{
      .extra_config = {"acl_file " + acl.string(), "message_size_limit 100000", "max_packet_size 200000"}};
}

}  // namespace

TEST_CASE("Do poison rows go to the dead letters after one attempt, never blocking the queue?",
          "[integration][faults][poison]") {
  TempDir scratch{"edgegw-poison"};
  Site site({.upstream = picky_upstream(scratch.path() / "acl"), .routes = kRoutes, .devices = SiteClient{"devices"}});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  MosquittoBroker& upstream = site.upstream;
  TestClient& cloud = site.cloud();
  TestClient& devices = site.devices();

  // The poison goes first, at the head of the queue; the normal events follow.
  REQUIRE(devices.publish("dev/secret", "no", 1, false).ok());
  REQUIRE(devices.publish("dev/big", std::string(150'000, 'b'), 1, false).ok());
  REQUIRE(devices.publish("dev/huge", std::string(220'000, 'h'), 1, false).ok());
  constexpr int kNormal = 2000;
  for (int i = 0; i < kNormal; ++i) REQUIRE(devices.publish("dev/ok", std::to_string(i), 1, false).ok());

  auto distinct_ok = [&] {
    std::set<std::string> seen;
    for (const auto& m : cloud.received()) {
      if (m.topic == "sites/dev/ok") seen.insert(m.payload);
    }
    return seen.size();
  };
  REQUIRE(wait_until([&] { return distinct_ok() == size_t{kNormal}; }, 60s));
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 20s));
  for (const auto& m : cloud.received()) CHECK(m.topic == "sites/dev/ok");  // none of the poison arrived

  auto listed = gw.command({"deadletters", "list", "--json"});
  REQUIRE(listed.exit_code == 0);
  auto dead = nlohmann::json::parse(listed.out)["deadletters"];
  REQUIRE(dead.size() == 3);
  std::map<std::string, std::string> reason_of;
  std::map<std::string, int64_t> size_of;
  for (const auto& d : dead) {
    CHECK(d["kind"] == "mqtt");
    CHECK(d["link"] == "upstream");
    CHECK(d["attempts"] == 1);
    reason_of[d["topic"].get<std::string>()] = d["reason"].get<std::string>();
    size_of[d["topic"].get<std::string>()] = d["payload_bytes"].get<int64_t>();
  }
  CHECK_THAT(reason_of["sites/dev/secret"], Catch::Contains("reason code 135"));  // 0x87 Not authorized
  CHECK_THAT(reason_of["sites/dev/big"], Catch::Contains("reason code 149"));     // 0x95 Packet too large
  CHECK_THAT(reason_of["sites/dev/huge"], Catch::Contains("Maximum Packet Size of 200000"));
  CHECK(size_of["sites/dev/big"] == 150'000);
  CHECK(size_of["sites/dev/huge"] == 220'000);

  std::string log = gw.log();
  CHECK(count_of(log, "moved to the dead letters") == 3);
  CHECK(count_of(log, "upstream link: disconnected") == 0);  // the poison never cost the connection

  // Once the upstream is fixed, `deadletters retry` queues a row again and
  // the running gateway sends it.
  REQUIRE(upstream.stop().ok());
  std::ofstream(scratch.path() / "acl") << "topic readwrite #\n";
  REQUIRE(upstream.start().ok());
  TestClient fixed(upstream.uri(), "cloud-after-fix");
  REQUIRE(fixed.connect().ok());
  REQUIRE(fixed.subscribe("sites/#", 1).ok());
  int64_t secret_id = 0;
  for (const auto& d : dead) {
    if (d["topic"] == "sites/dev/secret") secret_id = d["id"].get<int64_t>();
  }
  auto retried = gw.command({"deadletters", "retry", std::to_string(secret_id)});
  INFO(retried.out << retried.err);
  REQUIRE(retried.exit_code == 0);
  REQUIRE(wait_until(
      [&] {
        for (const auto& m : fixed.received()) {
          if (m.topic == "sites/dev/secret" && m.payload == "no") return true;
        }
        return false;
      },
      30s));
  REQUIRE(gw.stop().ok());
}
