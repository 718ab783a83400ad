// Devices in the daemon: a simulated device's last will and its silence
// reach `device` triggers; `edgegw devices` lists what the gateway saw.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
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

}  // namespace

TEST_CASE("Does an offline rule fire when a Tasmota device's broker connection drops (its last will)?",
          "[integration][devices]") {
  Site site(watched(alert_rule("tasmota_plug", "online") + alert_rule("tasmota_plug", "offline")));
  REQUIRE(site.start().ok());  // waits for the local link only: no upstream
  Gateway& gw = site.gw();
  MosquittoBroker& local = site.local;
  TestClient& watcher = site.watcher();

  // The device: a client whose last will is Tasmota's LWT "Offline".
  SpawnOptions opts;
  opts.binary = "/usr/bin/mosquitto_sub";
  opts.args = {"-h",
               "127.0.0.1",
               "-p",
               std::to_string(local.port()),
               "-i",
               "tasmota_plug",
               "-t",
               "cmnd/tasmota_plug/#",
               "--will-topic",
               "tele/tasmota_plug/LWT",
               "--will-payload",
               "Offline",
               "--will-retain",
               "--will-qos",
               "1"};
  opts.name = "tasmota_plug";
  auto device = ChildProcess::spawn(opts);
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

  // The second message may commit a moment after the alert.
  nlohmann::json doc;
  bool merged = wait_until(
      [&] {
        auto r = gw.command({"devices", "--json"});
        doc = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
        return r.exit_code == 0 && !doc.is_discarded() && doc["devices"].size() == 1 &&
               doc["devices"][0]["messages"] == 3;
      },
      10s, 50ms);
  REQUIRE(merged);
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
