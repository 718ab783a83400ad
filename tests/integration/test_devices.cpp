// Devices in the daemon: a simulated device's last will and its silence
// reach `device` triggers; `edgegw devices` lists what the gateway saw; an
// ESPHome node and its discovery configs make one device.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/site.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

// One rule per device event: publishes alerts/<device>/<event> with the
// reason as payload on the local broker, where the test watches.
std::string alert_rule(const std::string& device, const std::string& event) {
  return "  - id: " + device + "-" + event +
         "\n"
         "    when: {device: " +
         device + ", event: " + event +
         "}\n"
         "    then:\n"
         "      - publish: {to: local, topic: \"alerts/{{ device.id }}/" +
         event + "\", payload: \"{{ device.reason }}\", qos: 1}\n";
}

// A local broker with a watcher on alerts/#, and the gateway (no upstream)
// with `rules` in rules.d/devices.yaml and `extra` in its config.
SiteOptions watched(const std::string& rules, const std::string& extra = "") {
  return {.upstream_broker = false,
          .extra = extra,
          .rule_files = {{"devices.yaml", "rules:\n" + rules}},
          .cloud = {},
          .watcher = SiteClient{"watcher", {"alerts/#"}}};
}

// The alerts received so far, as "topic=payload".
std::vector<std::string> alerts(const TestClient& c) {
  std::vector<std::string> out;
  for (const auto& m : c.received()) out.push_back(m.topic + "=" + m.payload);
  return out;
}

// A device's connection: a mosquitto_sub client subscribed to `commands`
// with a retained QoS 1 last will; kill9() drops it, and the broker
// publishes the will.
edgegw::Result<ChildProcess> spawn_with_will(const MosquittoBroker& broker, const std::string& id,
                                             const std::string& commands, const std::string& will_topic,
                                             const std::string& will_payload) {
  SpawnOptions opts;
  opts.binary = "/usr/bin/mosquitto_sub";
  opts.args = {"-h",
               "127.0.0.1",
               "-p",
               std::to_string(broker.port()),
               "-i",
               id,
               "-t",
               commands,
               "--will-topic",
               will_topic,
               "--will-payload",
               will_payload,
               "--will-retain",
               "--will-qos",
               "1"};
  opts.name = id;
  return ChildProcess::spawn(opts);
}

// The gateway's device list once `ready` holds for it (the last message
// may commit a moment after the alert that the test waited for).
nlohmann::json devices_when(Gateway& gw, const std::function<bool(const nlohmann::json&)>& ready) {
  nlohmann::json doc;
  bool ok = wait_until(
      [&] {
        auto r = gw.command({"devices", "--json"});
        doc = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
        return r.exit_code == 0 && !doc.is_discarded() && ready(doc);
      },
      10s, 50ms);
  REQUIRE(ok);
  return doc;
}

}  // namespace

TEST_CASE("Does an offline rule fire when a Tasmota device's broker connection drops (its last will)?",
          "[integration][devices]") {
  Site site(watched(alert_rule("tasmota_plug", "online") + alert_rule("tasmota_plug", "offline")));
  REQUIRE(site.start().ok());  // waits for the local link only: no upstream
  Gateway& gw = site.gw();
  MosquittoBroker& local = site.local;
  TestClient& watcher = site.watcher();

  // The device: a client whose last will is Tasmota's LWT "Offline".
  auto device = spawn_with_will(local, "tasmota_plug", "cmnd/tasmota_plug/#", "tele/tasmota_plug/LWT", "Offline");
  REQUIRE(device.ok());
  TestClient self(local.uri(), "tasmota_plug_self");  // what the device publishes once connected
  REQUIRE(self.connect().ok());
  REQUIRE(self.publish("tele/tasmota_plug/LWT", "Online", 1, true).ok());
  REQUIRE(self.publish("tele/tasmota_plug/SENSOR", R"({"ENERGY":{"Power":42}})", 1, false).ok());
  REQUIRE(watcher.wait_for_count(1, 10s));
  CHECK(alerts(watcher) == std::vector<std::string>{"alerts/tasmota_plug/online=last_will"});

  REQUIRE(device->kill9().ok());  // the connection drops: the broker publishes the will
  REQUIRE(watcher.wait_for_count(2, 10s));
  CHECK(alerts(watcher)[1] == "alerts/tasmota_plug/offline=last_will");

  auto r = gw.command({"devices", "--json"});
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  REQUIRE(doc["devices"].size() == 1);
  const auto& d = doc["devices"][0];
  CHECK(d["id"] == "tasmota_plug");
  CHECK(d["profile"] == "tasmota");
  CHECK(d["online"] == false);
  CHECK(d["reason"] == "last_will");
  CHECK(d["messages"] == 3);
  CHECK(d["state"]["ENERGY"]["Power"] == 42);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does an offline rule fire when a static device goes silent, and online once when it is back?",
          "[integration][devices]") {
  Site site(watched(alert_rule("boiler", "online") + alert_rule("boiler", "offline"),
                    "devices:\n  static:\n    - {id: boiler, topic: plant/boiler/#, offline_after: 2s}\n"));
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& watcher = site.watcher();

  TestClient boiler(site.local.uri(), "boiler");
  REQUIRE(boiler.connect().ok());
  auto sent = std::chrono::steady_clock::now();
  REQUIRE(boiler.publish("plant/boiler/flow", R"({"flow":61})", 1, false).ok());
  REQUIRE(watcher.wait_for_count(2, 10s));
  auto silent_for = std::chrono::steady_clock::now() - sent;
  CHECK(alerts(watcher) == std::vector<std::string>{"alerts/boiler/online=message", "alerts/boiler/offline=silence"});
  // The gateway stamps a message in whole milliseconds, rounded down, so the
  // alert may come up to 1 ms before 2 s after `sent` (1999.95 ms was seen).
  CHECK(silent_for >= 2s - 1ms);
  CHECK(silent_for < 5s);  // checked at least once a second

  REQUIRE(boiler.publish("plant/boiler/flow", R"({"flow":58})", 1, false).ok());
  REQUIRE(boiler.publish("plant/boiler/return", R"({"return":40})", 1, false).ok());
  REQUIRE(watcher.wait_for_count(3, 10s));
  CHECK(alerts(watcher)[2] == "alerts/boiler/online=message");

  auto doc = devices_when(
      gw, [](const nlohmann::json& d) { return d["devices"].size() == 1 && d["devices"][0]["messages"] == 3; });
  CHECK(doc["devices"][0]["profile"] == "static");
  CHECK(doc["devices"][0]["state"] == nlohmann::json::parse(R"({"flow":58,"return":40})"));
  CHECK(watcher.count() == 3);  // online once
  REQUIRE(gw.stop().ok());

  // A restart remembers the device.
  REQUIRE(gw.start(/*wait_upstream=*/false).ok());
  auto table = gw.command({"devices"});
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("boiler") != std::string::npos);
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Is an ESPHome node one device named after the node, whose will fires an offline rule?",
          "[integration][devices][esphome]") {
  Site site(watched(alert_rule("livingroom", "online") + alert_rule("livingroom", "offline")));
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& watcher = site.watcher();

  // The node's connection, with ESPHome's will; then what ESPHome 2023.x
  // publishes once connected, all retained: a discovery config per entity,
  // the birth message, the states.
  auto node = spawn_with_will(site.local, "livingroom", "livingroom/+/+/command", "livingroom/status", "offline");
  REQUIRE(node.ok());
  TestClient self(site.local.uri(), "livingroom_self");
  REQUIRE(self.connect().ok());
  const std::string dev = R"("avty_t":"livingroom/status","dev":{"ids":"a4cf12ab34cd","name":"Living Room",)"
                          R"("sw":"esphome v2023.12.5 Dec 18 2023, 10:12:01","mdl":"esp32dev","mf":"espressif"}})";
  REQUIRE(self.publish("homeassistant/sensor/livingroom/temperature/config",
                       R"({"dev_cla":"temperature","unit_of_meas":"°C","name":"Temperature",)"
                       R"("stat_t":"livingroom/sensor/temperature/state","uniq_id":"ESPsensortemperature",)" +
                           dev,
                       1, true)
              .ok());
  REQUIRE(self.publish("homeassistant/binary_sensor/livingroom/motion/config",
                       R"({"dev_cla":"motion","name":"Motion","stat_t":"livingroom/binary_sensor/motion/state",)"
                       R"("uniq_id":"ESPbinary_sensormotion",)" +
                           dev,
                       1, true)
              .ok());
  REQUIRE(self.publish("livingroom/status", "online", 1, true).ok());
  REQUIRE(self.publish("livingroom/sensor/temperature/state", "21.5", 1, true).ok());
  REQUIRE(self.publish("livingroom/binary_sensor/motion/state", "ON", 1, true).ok());
  REQUIRE(watcher.wait_for_count(1, 10s));
  CHECK(alerts(watcher) == std::vector<std::string>{"alerts/livingroom/online=last_will"});

  auto doc = devices_when(
      gw, [](const nlohmann::json& d) { return d["devices"].size() == 1 && d["devices"][0]["messages"] == 3; });
  const auto& d = doc["devices"][0];
  CHECK(d["id"] == "livingroom");
  CHECK(d["profile"] == "esphome");
  CHECK(d["name"] == "Living Room");
  CHECK(d["model"] == "espressif esp32dev");
  CHECK(d["state"] == nlohmann::json::parse(R"({"temperature":21.5,"motion":"ON"})"));

  REQUIRE(node->kill9().ok());  // the Wi-Fi drops: the broker publishes the will
  REQUIRE(watcher.wait_for_count(2, 10s));
  CHECK(alerts(watcher)[1] == "alerts/livingroom/offline=last_will");
  REQUIRE(gw.stop().ok());
}
