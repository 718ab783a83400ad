// Observability through the real binary: /healthz, /metrics, /api/status,
// Home Assistant discovery, and the status page in a real (headless) browser.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>

#include "support/http_get.h"
#include "support/log_text.h"
#include "support/process.h"
#include "support/site.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

// What `edgegw devices --json -c CONFIG` prints for a running gateway.
std::string devices_cli(const Gateway& gw) {
  SpawnOptions opts;
  opts.binary = EDGEGW_BINARY;
  opts.args = {"devices", "--json", "-c", gw.config_path().string()};
  auto child = ChildProcess::spawn(opts);
  if (!child.ok()) return "spawn failed";
  auto st = child->wait_exit(10s);
  return st && st->exited() && st->code == 0 ? child->stdout_text() : "failed: " + child->stderr_text();
}

const std::string kRoutes =
    "  - from: \"sensors/#\"\n"
    "    to: \"sites/{{ gateway.id }}/{{ topic }}\"\n"
    "  - from: \"bad/#\"\n"
    "    to: \"sites/{{ payload.missing }}/x\"\n";  // renders an empty level: counted as bad_template

const char* kRule =
    "rules:\n"
    "  - id: too-hot\n"
    "    description: Kitchen alarm\n"
    "    when:\n"
    "      topic: sensors/+/temp\n"
    "      if: payload.t > 25\n"
    "    then:\n"
    "      - publish: {to: local, topic: alarms/hot, payload: \"{{ topic[1] }}\"}\n";

std::string health(int port) {
  HttpReply r = http_get(port, "/healthz");
  if (r.status < 0) return "no answer";
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return "bad json";
  std::string s = std::to_string(r.status) + " " + j.value("status", "");
  if (j.contains("reason")) s += ": " + j["reason"].get<std::string>();
  return s;
}

// Both brokers and the gateway with http.listen on a free loopback port,
// max_payload 1 KiB, the routes and the rule above, and `extra`.
SiteOptions observed(const std::string& extra, std::optional<SiteClient> cloud = {}, BrokerOptions local = {}) {
  return {.local = std::move(local),
          .routes = kRoutes,
          .extra = extra,
          .rule_files = {{"hot.yaml", kRule}},
          .http = true,
          .edit =
              [](std::string& y) {
                y.replace(y.find("log_level: debug\n"), 17, "log_level: debug\n  max_payload: 1KiB\n");
              },
          .cloud = std::move(cloud)};
}

edgegw::Status publish_n(TestClient& c, const std::string& topic, size_t n, const std::string& payload) {
  BulkPublish spec;
  spec.count = n;
  spec.topic = topic;
  spec.payload_of = [&payload](size_t) { return payload; };
  auto r = c.publish_many(spec);
  return r.ok() ? edgegw::Status() : r.status();
}

}  // namespace

TEST_CASE("Do /healthz and /metrics follow traffic, an upstream outage and a local broker outage?",
          "[integration][observability]") {
  Site site(observed("buffer:\n  max_messages: 25\n"));
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  const int port = site.http_port();
  INFO(gw.log());
  REQUIRE(wait_until([&] { return health(port) == "200 ok"; }, 10s));

  // The broker replays the gateway's own retained status to it: count from here.
  const double received_before = scrape(port, "edgegw_received_total{link=\"local\"}");
  TestClient device(site.local.uri(), "device");
  REQUIRE(device.connect().ok());
  REQUIRE(publish_n(device, "sensors/kitchen/temp", 20, "{\"t\":30}").ok());
  REQUIRE(wait_until([&] { return scrape(port, "edgegw_forwarded_total{link=\"upstream\"}") == 20; }, 10s));
  std::string m = http_get(port, "/metrics").body;
  CHECK(metric_sample(m, "edgegw_received_total{link=\"local\"}") == received_before + 20);
  CHECK(metric_sample(m, "edgegw_enqueued_total{link=\"upstream\"}") == 20);
  CHECK(metric_sample(m, "edgegw_delivery_latency_seconds_count") == 20);
  CHECK(metric_sample(m, "edgegw_delivery_latency_seconds_bucket{le=\"+Inf\"}") == 20);
  CHECK(metric_sample(m, "edgegw_link_connected{link=\"upstream\"}") == 1);
  REQUIRE(device.publish("sensors/big", std::string(2000, 'x')).ok());  // above max_payload
  REQUIRE(device.publish("bad/1", "{}").ok());
  REQUIRE(wait_until([&] { return scrape(port, "edgegw_dropped_total{reason=\"bad_template\"}") == 1; }, 5s));
  CHECK(scrape(port, "edgegw_dropped_total{reason=\"oversize\"}") == 1);
  // The rule's counters come from the engine's snapshot, at most a second old.
  REQUIRE(wait_until([&] { return scrape(port, "edgegw_rule_fires_total{rule=\"too-hot\"}") == 20; }, 5s));
  CHECK(scrape(port, "edgegw_rule_matches_total{rule=\"too-hot\"}") == 20);

  // Upstream outage: degraded with the reason; the backlog grows, then drains.
  REQUIRE(site.upstream.stop().ok());
  REQUIRE(wait_until([&] { return health(port) == "200 degraded: upstream disconnected"; }, 10s));
  REQUIRE(publish_n(device, "sensors/hall/temp", 30, "{\"t\":10}").ok());
  // buffer.max_messages is 25: the 5 oldest rows are dropped for the newest.
  REQUIRE(wait_until([&] { return scrape(port, "edgegw_dropped_total{reason=\"buffer_full\"}") == 5; }, 10s));
  REQUIRE(wait_until([&] { return scrape(port, "edgegw_outbox_messages{link=\"upstream\"}") == 25; }, 5s));
  CHECK(scrape(port, "edgegw_outbox_bytes{link=\"upstream\"}") > 25 * 8);
  REQUIRE(wait_until([&] { return scrape(port, "edgegw_outbox_oldest_age_seconds{link=\"upstream\"}") > 0; }, 5s));
  CHECK(scrape(port, "edgegw_link_connected{link=\"upstream\"}") == 0);
  CHECK(scrape(port, "edgegw_reconnects_total{link=\"upstream\"}") >= 1);
  CHECK(scrape(port, "edgegw_rule_matches_total{rule=\"too-hot\"}") == 50);
  CHECK(scrape(port, "edgegw_rule_fires_total{rule=\"too-hot\"}") == 20);  // t=10: the `if` was false
  auto status = nlohmann::json::parse(http_get(port, "/api/status").body);
  CHECK(status["links"]["upstream"]["state"] == "disconnected");
  CHECK(status["backlog"]["messages"] == 25);

  REQUIRE(site.upstream.start().ok());
  REQUIRE(wait_until([&] { return health(port) == "200 ok"; }, 15s));
  REQUIRE(wait_until([&] { return scrape(port, "edgegw_outbox_messages{link=\"upstream\"}") == 0; }, 15s));
  m = http_get(port, "/metrics").body;
  CHECK(metric_sample(m, "edgegw_forwarded_total{link=\"upstream\"}") == 45);
  CHECK(metric_sample(m, "edgegw_delivery_latency_seconds_count") == 45);
  // The 25 rows waited through the outage: they land above the loopback buckets.
  CHECK(metric_sample(m, "edgegw_delivery_latency_seconds_bucket{le=\"0.1\"}") <= 20);

  // Local broker outage: 503.
  REQUIRE(site.local.stop().ok());
  REQUIRE(wait_until([&] { return health(port) == "503 unavailable: local link down"; }, 10s));
  CHECK(scrape(port, "edgegw_health{state=\"unavailable\"}") == 1);
  CHECK(scrape(port, "edgegw_reconnects_total{link=\"local\"}") >= 1);
  REQUIRE(site.local.start().ok());
  REQUIRE(wait_until([&] { return health(port) == "200 ok"; }, 15s));
  REQUIRE(gw.stop().ok());
  CHECK(http_get(port, "/healthz").status == -1);  // the server went with the process
}

TEST_CASE("Does the gateway announce itself to Home Assistant, retained on the local broker?",
          "[integration][observability][homeassistant]") {
  Site site(observed("homeassistant:\n  discovery: auto\n"));
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  INFO(gw.log());

  TestClient ha(site.local.uri(), "home-assistant");
  REQUIRE(ha.connect().ok());
  REQUIRE(ha.subscribe("homeassistant/+/+/+/config", 1).ok());
  REQUIRE(ha.subscribe("edgegw/it-gw/state", 1).ok());
  REQUIRE(ha.publish("homeassistant/status", "online", 1, false).ok());  // HA's birth message: auto turns on
  REQUIRE(wait_until([&] { return ha.count() >= 5; }, 10s));
  TestClient late(site.local.uri(), "late-subscriber");  // sees only what is retained
  REQUIRE(late.connect().ok());
  REQUIRE(late.subscribe("homeassistant/+/+/+/config", 1).ok());
  REQUIRE(late.subscribe("edgegw/it-gw/#", 1).ok());
  REQUIRE(wait_until([&] { return late.count() >= 6; }, 5s));
  std::map<std::string, ReceivedMessage> by_topic;
  for (const auto& m : late.received()) by_topic[m.topic] = m;
  for (const char* t :
       {"homeassistant/binary_sensor/edgegw_it-gw/uplink/config",
        "homeassistant/sensor/edgegw_it-gw/outbox_depth/config",
        "homeassistant/sensor/edgegw_it-gw/events_per_second/config",
        "homeassistant/sensor/edgegw_it-gw/devices_offline/config", "edgegw/it-gw/state", "edgegw/it-gw/status"}) {
    INFO(t);
    REQUIRE(by_topic.count(t) == 1);
    CHECK(by_topic[t].retained);
  }
  auto config = nlohmann::json::parse(by_topic["homeassistant/binary_sensor/edgegw_it-gw/uplink/config"].payload);
  CHECK(config["availability_topic"] == "edgegw/it-gw/status");
  auto status = nlohmann::json::parse(by_topic["edgegw/it-gw/status"].payload);
  CHECK(status["state"] == "online");
  CHECK(status.contains("version"));
  auto state = nlohmann::json::parse(by_topic["edgegw/it-gw/state"].payload);
  CHECK(state["upstream_connected"] == true);

  // Remembered in the state db: after a restart it announces without a new HA topic.
  REQUIRE(gw.stop().ok());
  TestClient watcher(site.local.uri(), "watcher");
  REQUIRE(watcher.connect().ok());
  REQUIRE(watcher.subscribe("edgegw/it-gw/status", 1).ok());
  REQUIRE(wait_until([&] { return watcher.count() >= 1; }, 5s));
  CHECK(nlohmann::json::parse(watcher.received().back().payload)["state"] == "offline");
  watcher.clear_received();
  REQUIRE(watcher.subscribe("homeassistant/#", 1, {.retain_handling = 2}).ok());  // live messages only
  REQUIRE(gw.start().ok());
  REQUIRE(wait_until([&] { return watcher.count() >= 5; }, 10s));  // online status + 4 configs
}

TEST_CASE("Do the device gauges, /api/devices and the expired count follow devices and an outage?",
          "[integration][observability][devices]") {
  Site site(observed("buffer:\n  max_age: 1s\n"));
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  const int port = site.http_port();
  TestClient z2m(site.local.uri(), "z2m");
  REQUIRE(z2m.connect().ok());

  // A zigbee2mqtt device is known from its first message, online.
  REQUIRE(z2m.publish("zigbee2mqtt/kitchen_sensor", "{\"temperature\":21.5}", 1, false).ok());
  const std::string online = "edgegw_devices{state=\"online\"}", offline = "edgegw_devices{state=\"offline\"}";
  REQUIRE(wait_until([&] { return scrape(port, online) == 1; }, 10s));  // the snapshot is refreshed once a second
  CHECK(scrape(port, offline) == 0);
  auto doc = nlohmann::json::parse(http_get(port, "/api/devices").body, nullptr, false);
  REQUIRE(doc.is_object());
  const auto& devices = doc["devices"];
  REQUIRE(devices.size() == 1);
  CHECK(devices[0]["id"] == "kitchen_sensor");
  CHECK(devices[0]["online"] == true);
  CHECK(devices[0]["state"] == nlohmann::json{{"temperature", 21.5}});

  // `edgegw devices --json` prints the same document, once the registry's
  // last change is committed and the snapshot refreshed (once a second).
  REQUIRE(wait_until([&] { return devices_cli(gw) == http_get(port, "/api/devices").body + "\n"; }, 10s));

  // Its availability topic says offline.
  REQUIRE(z2m.publish("zigbee2mqtt/kitchen_sensor/availability", "{\"state\":\"offline\"}", 1, false).ok());
  REQUIRE(wait_until([&] { return scrape(port, offline) == 1; }, 10s));
  CHECK(scrape(port, online) == 0);

  // Rows older than max_age (1s) while the upstream is down are expired and counted.
  const std::string expired = "edgegw_dropped_total{reason=\"expired\"}";
  const double before = scrape(port, expired);
  REQUIRE(site.upstream.stop().ok());
  REQUIRE(wait_until([&] { return health(port).rfind("200 degraded", 0) == 0; }, 15s));
  REQUIRE(publish_n(z2m, "sensors/attic/temp", 5, "{\"t\":20}").ok());
  REQUIRE(wait_until([&] { return scrape(port, expired) >= before + 5; }, 25s));  // expiry runs every 10 s
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Is a gateway that restarts into a backlog ready as soon as its local session is back, not after the SUBACK?",
          "[integration][observability][ready]") {
  // The broker sends what it queued for the session before the SUBACK of
  // the gateway's resubscribe; with sync: full each of those costs an
  // fdatasync first. READY=1 and /healthz used to wait for that SUBACK,
  // past systemd's start timeout on a slow disk (docs/reliability.md).
  Site site(observed("buffer:\n  sync: full\n", SiteClient{"cloud", {"sites/#"}},
                     {.extra_config = {"max_queued_messages 0", "max_inflight_messages 0"}}));
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& cloud = site.cloud();
  REQUIRE(gw.stop().ok());
  constexpr size_t kBacklog = 5000;
  TestClient devices(site.local.uri(), "devices");
  REQUIRE(devices.connect().ok());
  REQUIRE(publish_n(devices, "sensors/kitchen/humidity", kBacklog, "{\"h\":40}").ok());

  const std::string subscribed = "local link: subscribed";
  REQUIRE(count_of(gw.log(), subscribed) == 1);  // the first run's
  REQUIRE(gw.start_until("local link: connected").ok());
  const auto started = std::chrono::steady_clock::now();
  size_t subacks_when_ready = 0;
  REQUIRE(wait_until(
      [&] {
        if (health(site.http_port()).rfind("200", 0) != 0) return false;
        subacks_when_ready = count_of(gw.log(), subscribed);
        return true;
      },
      20s, 5ms));
  const auto ready = std::chrono::steady_clock::now() - started;
  REQUIRE(wait_until([&] { return count_of(gw.log(), subscribed) == 2; }, 60s));
  const auto suback = std::chrono::steady_clock::now() - started;
  WARN("ready " << std::chrono::duration_cast<std::chrono::milliseconds>(ready).count() << " ms, SUBACK "
                << std::chrono::duration_cast<std::chrono::milliseconds>(suback).count()
                << " ms after the connect was logged");
  CHECK(subacks_when_ready == 1);  // ready before the second run's SUBACK
  CHECK(cloud.wait_for_count(kBacklog, 60s));
  REQUIRE(gw.stop().ok());
}
