// Tests of the integration-test support itself: if these fail, no other
// integration test can be trusted.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "support/mosquitto_broker.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

SpawnOptions shell(const std::string& script) { return {.binary = "/bin/sh", .args = {"-c", script}}; }

}  // namespace

TEST_CASE("Does ChildProcess capture stdout, stderr and the exit code of a child?", "[support][process]") {
  auto child = ChildProcess::spawn(shell("echo hi; echo oops >&2; exit 3"));
  REQUIRE(child.ok());
  CHECK(child->pid() > 0);
  auto status = child->wait_exit(5s);
  REQUIRE(status.has_value());
  CHECK(*status == ExitStatus{3, 0});
  CHECK(child->stdout_text() == "hi\n");
  CHECK(child->stderr_text() == "oops\n");
  CHECK_FALSE(child->running());
  CHECK_FALSE(child->signal(SIGTERM).ok());  // reaped: its pid may belong to someone else now
}

TEST_CASE("Does ChildProcess report a binary that cannot be executed?", "[support][process]") {
  auto child = ChildProcess::spawn({.binary = "/nonexistent/edgegw-no-such-binary"});
  REQUIRE_FALSE(child.ok());
  CHECK(child.status().message().find("No such file or directory") != std::string::npos);
}

TEST_CASE("Does ChildProcess pass args and env, and unset a variable on request?", "[support][process]") {
  ::setenv("EDGEGW_TEST_INHERITED", "from-parent", 1);
  auto child = ChildProcess::spawn({.binary = "/bin/sh",
                                    .args = {"-c", "echo \"$0 $FOO ${EDGEGW_TEST_INHERITED:-unset}\"", "arg0"},
                                    .env = {"FOO=bar", "EDGEGW_TEST_INHERITED"}});
  REQUIRE(child.ok());
  REQUIRE(child->wait_exit(5s));
  CHECK(child->stdout_text() == "arg0 bar unset\n");
}

TEST_CASE("Does wait_for_output see a line printed by a running child?", "[support][process]") {
  // The child prints, then runs until we signal it.
  auto child = ChildProcess::spawn(shell("echo ready; exec sleep 60"));
  REQUIRE(child.ok());
  CHECK(child->wait_for_output("ready", 5s));
  CHECK(child->running());
  REQUIRE(child->signal(SIGTERM).ok());
  auto status = child->wait_exit(5s);
  REQUIRE(status.has_value());
  CHECK(status->signal == SIGTERM);
}

TEST_CASE("Does wait_for_output give up early when the child ends without the text?", "[support][process]") {
  auto child = ChildProcess::spawn(shell("echo something-else"));
  REQUIRE(child.ok());
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(child->wait_for_output("never-printed", 20s));
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("Does terminate() fall back to SIGKILL for a child that ignores SIGTERM?", "[support][process]") {
  auto child = ChildProcess::spawn(shell("trap '' TERM; echo trapped; while :; do :; done"));
  REQUIRE(child.ok());
  REQUIRE(child->wait_for_output("trapped", 5s));
  CHECK_FALSE(child->terminate(200ms).ok());
  REQUIRE(child->exit_status().has_value());
  CHECK(child->exit_status()->signal == SIGKILL);
}

TEST_CASE("Does kill9() end a child by its pid?", "[support][process]") {
  auto child = ChildProcess::spawn(shell("exec sleep 60"));
  REQUIRE(child.ok());
  REQUIRE(child->kill9().ok());
  REQUIRE(child->exit_status().has_value());
  CHECK(child->exit_status()->signal == SIGKILL);
  CHECK(child->kill9().ok());  // idempotent, and signals nobody
}

TEST_CASE("Does a TempDir disappear with its contents when it goes away?", "[support][temp_dir]") {
  std::filesystem::path kept;
  {
    TempDir dir;
    REQUIRE(dir.ok());
    kept = dir.path();
    std::ofstream(dir / "file.txt") << "x";
    std::filesystem::create_directory(dir / "sub");
    CHECK(std::filesystem::exists(dir / "file.txt"));
  }
  CHECK_FALSE(std::filesystem::exists(kept));
}

TEST_CASE("Does wait_until return as soon as the condition holds, and false at the deadline?", "[support][wait]") {
  int polls = 0;
  CHECK(wait_until([&] { return ++polls == 3; }, 5s, 1ms));
  CHECK(polls == 3);
  CHECK_FALSE(wait_until([] { return false; }, 20ms, 1ms));
}

TEST_CASE("Does a MosquittoBroker listen on its own port and stop by pid?", "[support][mosquitto]") {
  MosquittoBroker broker;
  REQUIRE(broker.start().ok());
  CHECK(broker.port() > 0);
  CHECK(broker.running());
  CHECK(broker.uri() == "tcp://127.0.0.1:" + std::to_string(broker.port()));
  const auto first_pid = broker.pid();

  TestClient client(broker.uri(), "support-probe");
  REQUIRE(client.connect().ok());
  REQUIRE(client.disconnect().ok());

  SECTION("restart keeps the port") {
    const int port = broker.port();
    REQUIRE(broker.restart().ok());
    CHECK(broker.port() == port);
    CHECK(broker.pid() != first_pid);
    TestClient again(broker.uri(), "support-probe-2");
    CHECK(again.connect().ok());
  }
  SECTION("kill9 ends it at once and start brings it back") {
    REQUIRE(broker.kill9().ok());
    CHECK_FALSE(broker.running());
    TestClient refused(broker.uri(), "support-probe-3", MqttVersion::v5, 2s);
    CHECK_FALSE(refused.connect().ok());
    REQUIRE(broker.start().ok());
    TestClient again(broker.uri(), "support-probe-4");
    CHECK(again.connect().ok());
  }
  SECTION("stop is clean and idempotent") {
    CHECK(broker.stop().ok());
    CHECK_FALSE(broker.running());
    CHECK(broker.stop().ok());
  }
}

TEST_CASE("Does a broker start fail with the log when its config is broken?", "[support][mosquitto]") {
  MosquittoBroker broker({.extra_config = {"no_such_option 1"}});
  auto s = broker.start();
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("no_such_option") != std::string::npos);
  CHECK_FALSE(broker.running());
}

TEST_CASE("Do two brokers started together get different ports?", "[support][mosquitto]") {
  MosquittoBroker a, b;
  REQUIRE(a.start().ok());
  REQUIRE(b.start().ok());
  CHECK(a.port() != b.port());
}

TEST_CASE("Does an MQTT 3.1.1 TestClient publish and receive?", "[support][client]") {
  MosquittoBroker broker;
  REQUIRE(broker.start().ok());
  TestClient sub(broker.uri(), "v311-sub", MqttVersion::v311);
  TestClient pub(broker.uri(), "v311-pub", MqttVersion::v311);
  REQUIRE(connect_all({&sub, &pub}).ok());
  REQUIRE(sub.subscribe("v311/#", 1).ok());
  REQUIRE(pub.publish("v311/a", "hello", 1).ok());
  REQUIRE(sub.wait_for_count(1, 5s));
  const auto got = sub.received();
  CHECK(got[0].topic == "v311/a");
  CHECK(got[0].payload == "hello");
  CHECK(got[0].qos == 1);
}

TEST_CASE("Do user properties reach an MQTT 5 subscriber?", "[support][client]") {
  MosquittoBroker broker;
  REQUIRE(broker.start().ok());
  TestClient sub(broker.uri(), "props-sub");
  TestClient pub(broker.uri(), "props-pub");
  REQUIRE(connect_all({&sub, &pub}).ok());
  REQUIRE(sub.subscribe("props/#", 1).ok());
  REQUIRE(pub.publish("props/a", "{}", 1, false, {{"event_id", "42"}, {"src", "test"}}).ok());
  REQUIRE(sub.wait_for_count(1, 5s));
  CHECK(sub.received()[0].user_properties == UserProperties{{"event_id", "42"}, {"src", "test"}});
}

TEST_CASE("Does a subscribe to an invalid filter fail as a Status?", "[support][client]") {
  MosquittoBroker broker;
  REQUIRE(broker.start().ok());
  TestClient client(broker.uri(), "bad-filter");
  REQUIRE(client.connect().ok());
  CHECK_FALSE(client.subscribe("a/#/b", 1).ok());
}
