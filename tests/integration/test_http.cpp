// Webhooks in the daemon: real brokers, the real binary, and a real HTTP
// server (cpp-httplib) in the test process receiving the `http` actions.
#include <httplib.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/gateway_fixture.h"
#include "support/mosquitto_broker.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

struct Received {
  std::string method, path, body, content_type, site;
};

// A webhook receiver on 127.0.0.1. `status` is what it answers; after
// hold(), requests wait unanswered until release() (the slow-webhook test).
class WebhookServer {
 public:
  explicit WebhookServer(int port = 0) {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::unique_lock lock(mu_);
        released_.wait_for(lock, 30s, [this] { return !held_; });
      }
      {
        std::lock_guard lock(mu_);
        received_.push_back(
            {req.method, req.path, req.body, req.get_header_value("Content-Type"), req.get_header_value("X-Site")});
      }
      res.status = status.load();
      res.set_content("{}", "application/json");
    };
    server_.Post(".*", handler);
    server_.Put(".*", handler);
    server_.Get(".*", handler);
    if (port == 0) {
      port_ = server_.bind_to_any_port("127.0.0.1");
    } else if (server_.bind_to_port("127.0.0.1", port)) {
      port_ = port;
    }
    if (port_ > 0) {
      thread_ = std::thread([this] { server_.listen_after_bind(); });
      // stop() before the loop runs would be lost (httplib checks is_running).
      if (!wait_until([this] { return server_.is_running(); }, 5s)) port_ = -1;
    }
  }
  ~WebhookServer() { stop(); }
  void hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    released_.notify_all();
  }
  void stop() {
    release();
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  size_t count() {
    std::lock_guard lock(mu_);
    return received_.size();
  }
  Received at(size_t i) {
    std::lock_guard lock(mu_);
    return received_.at(i);
  }
  std::atomic<int> status{200};

 private:
  httplib::Server server_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable released_;
  bool held_ = false;  // under mu_
  std::vector<Received> received_;
  int port_ = -1;
};

std::string leak_rule(const std::string& url, int retries) {
  return "rules:\n"
         "  - id: water-leak\n"
         "    when:\n"
         "      topic: sensors/+/leak\n"
         "      if: payload.water\n"
         "    then:\n"
         "      - http:\n"
         "          url: \"" +
         url +
         "/{{ topic[1] }}\"\n"
         "          headers: {X-Site: \"{{ gateway.id }}\"}\n"
         "          body: {room: \"{{ topic[1] }}\", water: \"{{ payload.water }}\"}\n"
         "          timeout: 2s\n"
         "          retries: " +
         std::to_string(retries) + "\n";
}

// A gateway (no upstream) with the leak rule, backoff shortened for tests.
std::unique_ptr<Gateway> leak_gateway(const MosquittoBroker& local, const std::string& url, int retries,
                                      int upstream_port = 0, const std::string& routes = "") {
  ::setenv("EDGEGW_HTTP_RETRY_BASE", "100ms", 1);  // inherited by the child
  auto gw =
      std::make_unique<Gateway>(gateway_yaml(local.port(), upstream_port, routes, "rules:\n  paths: [rules.d]\n"));
  std::filesystem::create_directories(gw->dir() / "rules.d");
  std::ofstream(gw->dir() / "rules.d" / "leak.yaml") << leak_rule(url, retries);
  return gw;
}

// Whether the running gateway has mapped a shared object whose file name
// contains `name` (libcurl is loaded with the webhook module, on first use).
bool maps_library(const Gateway& gw, const std::string& name) {
  std::ifstream maps("/proc/" + std::to_string(gw.pid()) + "/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.find(name) != std::string::npos) return true;
  }
  return false;
}

nlohmann::json deadletters(const Gateway& gw) {
  auto r = gw.command({"deadletters", "list", "--json"});
  if (r.exit_code != 0) return nullptr;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j["deadletters"];
}

long queued_calls(const Gateway& gw) {
  sqlite3* db = nullptr;
  long n = -1;
  if (sqlite3_open_v2((gw.state_dir() / "outbox.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM http_queue", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

}  // namespace

TEST_CASE("Does a rule's http action reach a real webhook server when the rule fires through a real broker?",
          "[integration][http]") {
  MosquittoBroker local;
  REQUIRE(local.start().ok());
  WebhookServer hooks;
  REQUIRE(hooks.port() > 0);
  auto gw = leak_gateway(local, hooks.url("/hook"), 3);
  REQUIRE(gw->start(false).ok());

  TestClient sensor(local.uri(), "sensor");
  REQUIRE(sensor.connect().ok());
  // Running, rules loaded, no call made yet: libcurl is not loaded
  // (http_module.h), and is once the first call goes out.
  CHECK_FALSE(maps_library(*gw, "libcurl"));
  CHECK_FALSE(maps_library(*gw, "edgegw-webhook.so"));
  CHECK_FALSE(maps_library(*gw, "libcpp-httplib"));  // http.listen is off
  REQUIRE(sensor.publish("sensors/kitchen/leak", "{\"water\":false}", 1, false).ok());
  REQUIRE(sensor.publish("sensors/bath/leak", "{\"water\":true}", 1, false).ok());
  REQUIRE(wait_until([&] { return hooks.count() >= 1; }, 10s));
  CHECK(maps_library(*gw, "edgegw-webhook.so"));
  CHECK(maps_library(*gw, "libcurl"));
  Received r = hooks.at(0);
  CHECK(r.method == "POST");
  CHECK(r.path == "/hook/bath");
  CHECK(r.body == "{\"room\":\"bath\",\"water\":true}");
  CHECK(r.content_type == "application/json");
  CHECK(r.site == "it-gw");
  REQUIRE(wait_until([&] { return queued_calls(*gw) == 0; }, 10s));  // the row left once answered
  REQUIRE(gw->stop().ok());
  CHECK(hooks.count() == 1);  // the dry event did not fire
  auto dead = deadletters(*gw);
  REQUIRE(dead.is_array());
  CHECK(dead.empty());
}

TEST_CASE(
    "Does a call the server keeps refusing land in the dead letters, and does deadletters retry deliver it "
    "once the server answers?",
    "[integration][http][deadletters]") {
  MosquittoBroker local;
  REQUIRE(local.start().ok());
  WebhookServer hooks;
  REQUIRE(hooks.port() > 0);
  hooks.status = 500;
  auto gw = leak_gateway(local, hooks.url("/hook"), /*retries=*/1);
  REQUIRE(gw->start(false).ok());
  TestClient sensor(local.uri(), "sensor");
  REQUIRE(sensor.connect().ok());
  REQUIRE(sensor.publish("sensors/cellar/leak", "{\"water\":true}", 1, false).ok());

  nlohmann::json dead;
  REQUIRE(wait_until(
      [&] {
        dead = deadletters(*gw);
        return dead.is_array() && dead.size() == 1;
      },
      15s));
  CHECK(hooks.count() == 2);  // the first attempt and its one retry
  CHECK(dead[0]["kind"] == "http");
  CHECK(dead[0]["reason"] == "HTTP 500");
  CHECK(dead[0]["attempts"] == 2);
  CHECK(dead[0]["detail"]["rule"] == "water-leak");
  CHECK(dead[0]["detail"]["url"] == hooks.url("/hook/cellar"));
  CHECK(dead[0]["detail"]["body"] == "{\"room\":\"cellar\",\"water\":true}");
  CHECK(queued_calls(*gw) == 0);
  CHECK(gw->log().find("moved to the dead letters") != std::string::npos);

  // The server is fixed; the operator retries while the daemon runs.
  hooks.status = 200;
  auto retry = gw->command({"deadletters", "retry", "--all"});
  REQUIRE(retry.exit_code == 0);
  CHECK(retry.out == "queued 1 dead letter\n");
  REQUIRE(wait_until([&] { return hooks.count() == 3; }, 10s));
  CHECK(hooks.at(2).path == "/hook/cellar");
  REQUIRE(wait_until([&] { return queued_calls(*gw) == 0; }, 10s));
  dead = deadletters(*gw);
  REQUIRE(dead.is_array());
  CHECK(dead.empty());
  REQUIRE(gw->stop().ok());
  CHECK(hooks.count() == 3);
}

TEST_CASE("Is a webhook queued while its server is down delivered after a kill -9 and a restart?",
          "[integration][http][crash]") {
  MosquittoBroker local;
  REQUIRE(local.start().ok());
  int port = 0;
  {
    WebhookServer probe;  // a free port, closed again: connections are refused
    port = probe.port();
  }
  REQUIRE(port > 0);
  auto gw = leak_gateway(local, "http://127.0.0.1:" + std::to_string(port) + "/hook", /*retries=*/100);
  REQUIRE(gw->start(false).ok());
  TestClient sensor(local.uri(), "sensor");
  REQUIRE(sensor.connect().ok());
  REQUIRE(sensor.publish("sensors/attic/leak", "{\"water\":true}", 1, false).ok());
  REQUIRE(wait_until([&] { return gw->log().find("failed (attempt 1 of 101)") != std::string::npos; }, 10s));
  CHECK(queued_calls(*gw) == 1);
  REQUIRE(gw->kill9().ok());

  WebhookServer hooks(port);
  REQUIRE(hooks.port() == port);
  REQUIRE(gw->start(false).ok());
  REQUIRE(wait_until([&] { return hooks.count() >= 1; }, 15s));
  CHECK(hooks.at(0).path == "/hook/attic");
  CHECK(hooks.at(0).body == "{\"room\":\"attic\",\"water\":true}");
  REQUIRE(wait_until([&] { return queued_calls(*gw) == 0; }, 10s));
  REQUIRE(gw->stop().ok());
  CHECK(hooks.count() == 1);
}

TEST_CASE("Does a slow webhook leave MQTT forwarding undelayed?", "[integration][http]") {
  MosquittoBroker local, upstream;
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  TestClient cloud(upstream.uri(), "cloud");
  REQUIRE(cloud.connect().ok());
  REQUIRE(cloud.subscribe("sensors/#", 1).ok());
  WebhookServer hooks;
  REQUIRE(hooks.port() > 0);
  hooks.hold();  // no answer until released below (the call's timeout is 2 s)
  auto gw = leak_gateway(local, hooks.url("/hook"), 0, upstream.port(), "  - from: \"sensors/#\"\n");
  REQUIRE(gw->start().ok());
  TestClient sensor(local.uri(), "sensor");
  REQUIRE(sensor.connect().ok());
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(sensor.publish("sensors/bath/leak", "{\"water\":true}", 1, false).ok());
  REQUIRE(sensor.publish("sensors/bath/temp", "21.5", 1, false).ok());
  REQUIRE(cloud.wait_for_count(2, 10s));
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < 1500ms);  // well before the webhook can answer or time out (2 s)
  CHECK(hooks.count() == 0);
  hooks.release();
  REQUIRE(wait_until([&] { return hooks.count() == 1; }, 10s));  // it did reach the server
  REQUIRE(gw->stop().ok());
}
