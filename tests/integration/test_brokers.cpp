// Facts about Mosquitto 2.0 and Paho that the gateway's delivery design
// (design.md, Delivery) relies on, checked against real brokers. Each test
// starts its own brokers on free loopback ports.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "support/mosquitto_broker.h"
#include "support/test_client.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto kArrival = 10s;  // generous: only a failing test waits this long

// The gateway's local session: clean start off, session expiry of a day.
const ConnectOptions kDurable{.clean_start = false, .session_expiry = 24h};

// Subscribes a durable session to `filter`, then goes away.
void park_durable_subscriber(const std::string& uri, const std::string& id, const std::string& filter) {
  TestClient sub(uri, id);
  auto c = sub.connect(kDurable);
  REQUIRE(c.ok());
  REQUIRE(sub.subscribe(filter, 1).ok());
  REQUIRE(sub.disconnect().ok());
}

void publish_numbered(const std::string& uri, const std::string& topic, int n) {
  TestClient pub(uri, "numbered-pub");
  REQUIRE(pub.connect().ok());
  for (int i = 0; i < n; ++i) REQUIRE(pub.publish(topic, std::to_string(i), 1).ok());
}

}  // namespace

TEST_CASE(
    "Does a persistent MQTT 5 session (clean start off, session expiry 1 day) on a broker with "
    "persistence keep QoS 1 messages published while the subscriber is away, across a broker restart?",
    "[integration][mosquitto][session]") {
  MosquittoBroker broker({.persistence = true});
  REQUIRE(broker.start().ok());
  park_durable_subscriber(broker.uri(), "durable-sub", "durable/#");
  publish_numbered(broker.uri(), "durable/t", 100);

  const auto old_pid = broker.pid();
  REQUIRE(broker.restart().ok());
  CHECK(broker.pid() != old_pid);
  CHECK(std::filesystem::exists(broker.dir() / "mosquitto.db"));

  TestClient sub(broker.uri(), "durable-sub");
  auto c = sub.connect(kDurable);
  REQUIRE(c.ok());
  CHECK(c->session_present);
  REQUIRE(sub.wait_for_count(100, kArrival));
  const auto got = sub.received();
  REQUIRE(got.size() == 100);
  for (int i = 0; i < 100; ++i) {
    INFO("message " << i);
    CHECK(got[i].payload == std::to_string(i));  // in order, none lost
    CHECK(got[i].qos == 1);
  }
}

TEST_CASE("Does a broker without persistence forget a persistent session and its queue on restart?",
          "[integration][mosquitto][session]") {
  // The counterpart of the test above: why the local broker needs persistence.
  MosquittoBroker broker({.persistence = false});
  REQUIRE(broker.start().ok());
  park_durable_subscriber(broker.uri(), "volatile-sub", "volatile/#");
  publish_numbered(broker.uri(), "volatile/t", 10);
  REQUIRE(broker.restart().ok());

  TestClient sub(broker.uri(), "volatile-sub");
  auto c = sub.connect(kDurable);
  REQUIRE(c.ok());
  CHECK_FALSE(c->session_present);  // the gateway must subscribe again
  // Proof of absence: a marker published after resubscribing arrives alone.
  REQUIRE(sub.subscribe("volatile/#", 1).ok());
  REQUIRE(sub.publish("volatile/marker", "end", 1).ok());
  REQUIRE(sub.wait_for_count(1, kArrival));
  CHECK(sub.received()[0].topic == "volatile/marker");
  CHECK(sub.count() == 1);
}

TEST_CASE("Does a subscription with No Local not receive the client's own publishes?",
          "[integration][mosquitto][no_local]") {
  MosquittoBroker broker;
  REQUIRE(broker.start().ok());
  TestClient no_local(broker.uri(), "nl-on");
  TestClient local(broker.uri(), "nl-off");  // control: same filter, No Local off
  REQUIRE(connect_all({&no_local, &local}).ok());
  REQUIRE(no_local.subscribe("nl/#", 1, {.no_local = true}).ok());
  REQUIRE(local.subscribe("nl/#", 1, {.no_local = false}).ok());

  REQUIRE(no_local.publish("nl/own", "from nl-on", 1).ok());
  REQUIRE(local.publish("nl/own", "from nl-off", 1).ok());
  // Sent after the own publish was acknowledged, so it is delivered after it.
  REQUIRE(local.publish("nl/end", "marker", 1).ok());

  REQUIRE(local.wait_for_count(3, kArrival));
  REQUIRE(no_local.wait_for_count(2, kArrival));
  const auto got = no_local.received();
  REQUIRE(got.size() == 2);
  CHECK(got[0].payload == "from nl-off");
  CHECK(got[1].payload == "marker");
  CHECK(local.count() == 3);  // without No Local its own publishes come back
}

TEST_CASE("Does Retain As Published keep the retain flag of live messages?", "[integration][mosquitto][retain]") {
  MosquittoBroker broker;
  REQUIRE(broker.start().ok());
  TestClient as_published(broker.uri(), "rap-on");
  TestClient plain(broker.uri(), "rap-off");  // control: MQTT 5 clears the flag on live messages
  TestClient pub(broker.uri(), "rap-pub");
  REQUIRE(connect_all({&as_published, &plain, &pub}).ok());
  REQUIRE(as_published.subscribe("rap/#", 1, {.retain_as_published = true}).ok());
  REQUIRE(plain.subscribe("rap/#", 1, {.retain_as_published = false}).ok());

  REQUIRE(pub.publish("rap/state", "on", 1, /*retain=*/true).ok());
  REQUIRE(pub.publish("rap/event", "click", 1, /*retain=*/false).ok());

  REQUIRE(as_published.wait_for_count(2, kArrival));
  REQUIRE(plain.wait_for_count(2, kArrival));
  const auto kept = as_published.received();
  CHECK(kept[0].topic == "rap/state");
  CHECK(kept[0].retained);
  CHECK(kept[1].topic == "rap/event");
  CHECK_FALSE(kept[1].retained);
  const auto cleared = plain.received();
  CHECK(cleared[0].topic == "rap/state");
  CHECK_FALSE(cleared[0].retained);
}

TEST_CASE("Does Retain Handling 1 skip retained messages when re-subscribing to an existing subscription?",
          "[integration][mosquitto][retain]") {
  MosquittoBroker broker;
  REQUIRE(broker.start().ok());
  TestClient pub(broker.uri(), "rh-pub");
  TestClient sub(broker.uri(), "rh-sub");
  REQUIRE(connect_all({&pub, &sub}, kDurable).ok());
  REQUIRE(pub.publish("rh/light", "on", 1, /*retain=*/true).ok());

  const SubscribeOptions rh1{.retain_handling = 1};
  REQUIRE(sub.subscribe("rh/#", 1, rh1).ok());  // new subscription: the retained state comes
  REQUIRE(sub.wait_for_count(1, kArrival));

  REQUIRE(sub.subscribe("rh/#", 1, rh1).ok());  // existing subscription: nothing replayed
  REQUIRE(pub.publish("rh/marker", "1", 1).ok());
  REQUIRE(sub.wait_for_count(2, kArrival));

  REQUIRE(sub.subscribe("rh/#", 1, {.retain_handling = 0}).ok());  // control: 0 replays it
  REQUIRE(pub.publish("rh/marker", "2", 1).ok());
  REQUIRE(sub.wait_for_count(4, kArrival));

  const auto got = sub.received();
  REQUIRE(got.size() == 4);
  CHECK((got[0].topic == "rh/light" && got[0].retained));
  CHECK(got[1].payload == "1");
  CHECK((got[2].topic == "rh/light" && got[2].retained));
  CHECK(got[3].payload == "2");
}

TEST_CASE("Does a 20,000-message QoS 1 bulk publish complete?", "[integration][mosquitto][bulk]") {
  MosquittoBroker broker;
  REQUIRE(broker.start().ok());
  TestClient sub(broker.uri(), "bulk-sub");
  TestClient pub(broker.uri(), "bulk-pub");
  REQUIRE(connect_all({&sub, &pub}).ok());
  REQUIRE(sub.subscribe("bulk/#", 1).ok());

  constexpr std::size_t kCount = 20'000;
  auto r = pub.publish_many({.topic = "bulk/t", .count = kCount, .qos = 1});
  REQUIRE(r.ok());
  CHECK(r->acked == kCount);
  CHECK(r->failed == 0);
  WARN("publish_many: " << r->acked << " QoS 1 PUBACKs in "
                        << std::chrono::duration_cast<std::chrono::milliseconds>(r->elapsed).count() << " ms ("
                        << static_cast<long>(r->per_second()) << " msgs/s)");

  REQUIRE(sub.wait_for_count(kCount, 20s));
  const auto got = sub.received();
  CHECK(got.front().payload == "0");
  CHECK(got.back().payload == std::to_string(kCount - 1));
}
