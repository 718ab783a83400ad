// TLS on the upstream link (reliability matrix S4 and D16): the chain, the
// dates and the host name are verified, every refusal is logged with its
// reason (from the link's own OpenSSL probe, gateway/mqtt/tls_probe.h) while the
// events wait in the outbox (the connect/drop cycles: test_tls_cycles.cpp).
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string_view>

#include "gateway/mqtt/tls_probe.h"
#include "tls_certs.h"
#include "support/gateway_fixture.h"
#include "support/log_text.h"
#include "support/http_get.h"
#include "support/mosquitto_broker.h"
#include "support/temp_dir.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace Catch {
template <>
struct StringMaker<edgegw::gateway::TlsProbeResult> {
  static std::string convert(const edgegw::gateway::TlsProbeResult& r) {
    return "{outcome " + std::to_string(static_cast<int>(r.outcome)) + ", \"" + r.reason + "\"}";
  }
};
}  // namespace Catch

namespace {

// What the gateway logs for each refusal: Paho's line says only "return code
// -1 (Failure)"; the line after it comes from the link's own OpenSSL probe.
std::string refusal_line(int port) {
  return "upstream link: TLS connect to ssl://127.0.0.1:" + std::to_string(port) + " failed: ";
}
const std::string kWrongHostReason =
    "certificate verify failed: IP address mismatch (expected 127.0.0.1, the certificate names "
    "DNS:broker.example.com)";
const std::string kSelfSignedReason = "certificate verify failed: self-signed certificate (subject CN=bad)";
const std::string kExpiredReason = "certificate verify failed: certificate has expired (notAfter 20";

size_t count_lines(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(needle, at)) != std::string::npos; at += needle.size()) ++n;
  return n;
}

// The upstream link's tls_error in /api/status ("" when null, "?" when no answer).
std::string api_tls_error(int http_port) {
  auto j = nlohmann::json::parse(http_get(http_port, "/api/status").body, nullptr, false);
  if (j.is_discarded() || !j.contains("links")) return "?";
  const auto& e = j["links"]["upstream"]["tls_error"];
  return e.is_string() ? e.get<std::string>() : "";
}

// The upstream presents a `bad` certificate: the gateway must refuse it, log
// `reason`, and keep the events in its outbox; once the same broker presents
// the valid certificate, every queued event arrives (0 lost).
void check_refused_then_delivered(Cert bad, const std::string& reason) {
  TempDir certs("edgegw-certs");
  REQUIRE(make_cert(certs, "good", Cert::valid));
  REQUIRE(make_cert(certs, "bad", bad));
  REQUIRE(copy_cert(certs, "bad", "served"));
  auto plain_port = pick_free_port();
  REQUIRE(plain_port.ok());
  MosquittoBroker local;
  MosquittoBroker upstream(
      BrokerOptions{.persistence = true, .extra_config = tls_listener(certs, "served", *plain_port)});
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  Cloud cloud("tcp://127.0.0.1:" + std::to_string(*plain_port), "dev/#");
  REQUIRE(cloud.subscribe_and_leave().ok());

  auto http_port = pick_free_port();
  REQUIRE(http_port.ok());
  std::string yaml = tls_yaml(local.port(), upstream.port(), certs, true);
  yaml.replace(yaml.find("listen: \"\""), 10, "listen: \"127.0.0.1:" + std::to_string(*http_port) + "\"");
  Gateway gw(yaml);
  const auto started = gw.start(/*wait_upstream=*/false);
  INFO(started.message());
  REQUIRE(started.ok());
  TestClient device(local.uri(), "device");
  REQUIRE(device.connect().ok());
  const int kEvents = 5;
  for (int i = 0; i < kEvents; ++i)
    REQUIRE(device.publish("dev/" + std::to_string(i), "e" + std::to_string(i), 1, false).ok());
  const std::string refused = refusal_line(upstream.port());
  const bool logged = wait_until([&] { return gw.log().find(refused + reason) != std::string::npos; }, 10s);
  INFO(gw.log());
  REQUIRE(logged);
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == kEvents; }, 10s));
  // Each failed attempt (Paho takes about 2 s to fail one) runs a probe: three more, and the
  // unchanged reason is still logged once (again only after a minute).
  const std::string again = "upstream link: connect failed again";
  const size_t attempts = count_lines(gw.log(), again);
  REQUIRE(wait_until([&] { return count_lines(gw.log(), again) >= attempts + 3; }, 20s));
  std::string api_reason;
  CHECK(wait_until([&] { return (api_reason = api_tls_error(*http_port)).find(reason) == 0; }, 5s));
  INFO("api tls_error: " << api_reason);
  const std::string refused_log = gw.log();
  INFO(refused_log);
  CHECK(refused_log.find("upstream link: cannot connect to ssl://127.0.0.1:") != std::string::npos);
  CHECK(count_lines(refused_log, refused) == 1);
  CHECK(count_lines(refused_log, "error upstream link: TLS connect to") == 1);  // an operator must act
  CHECK(refused_log.find("upstream link: connected") == std::string::npos);

  // The same broker, on the same port, now presents the valid certificate.
  REQUIRE(copy_cert(certs, "good", "served"));
  REQUIRE(upstream.restart().ok());
  const bool reconnected =
      wait_until([&] { return gw.log().find("upstream link: connected") != std::string::npos; }, 10s);
  INFO(gw.log());
  REQUIRE(reconnected);
  auto joined = cloud.join();
  REQUIRE(joined.ok());
  std::set<std::string> arrived;
  REQUIRE(wait_until(
      [&] {
        arrived.clear();
        for (const auto& m : (*joined)->received()) arrived.insert(m.payload);
        return arrived.size() == kEvents;
      },
      10s));
  CHECK(gw.upstream_backlog() == 0);
  CHECK(wait_until([&] { return api_tls_error(*http_port).empty(); }, 5s));  // cleared by the connect
  REQUIRE(gw.stop().ok());
}

}  // namespace

TEST_CASE("Does the upstream link connect over TLS to a broker whose certificate matches its host?",
          "[integration][tls]") {
  // The TLS listener for the gateway, and a plain one for the test's subscriber.
  GoodTls tls;
  tls.start();
  TestClient cloud(tls.plain_uri(), "cloud");
  REQUIRE(cloud.connect().ok());
  REQUIRE(cloud.subscribe("dev/#", 1).ok());
  Gateway gw(tls_yaml(tls.local.port(), tls.upstream.port(), tls.certs, true));
  REQUIRE(gw.start().ok());
  CHECK(gw.log().find("upstream link: connected to ssl://127.0.0.1") != std::string::npos);
  CHECK(gw.log().find("upstream link: cannot connect") == std::string::npos);
  CHECK(gw.log().find("upstream link: TLS connect to") == std::string::npos);
  TestClient device(tls.local.uri(), "device");
  REQUIRE(device.connect().ok());
  REQUIRE(device.publish("dev/1", "over tls", 1, false).ok());
  REQUIRE(cloud.wait_for_count(1, 10s));
  CHECK(cloud.received()[0].payload == "over tls");
  REQUIRE(gw.stop().ok());
}

TEST_CASE("Does the upstream link refuse a certificate issued for another host, keeping messages queued?",
          "[integration][tls]") {
  TempDir certs("edgegw-certs");
  REQUIRE(make_cert(certs, "other", Cert::wrong_host));
  MosquittoBroker local;
  MosquittoBroker upstream(BrokerOptions{.extra_config = tls_listener(certs, "other")});
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());
  Gateway gw(tls_yaml(local.port(), upstream.port(), certs, true));
  REQUIRE(gw.start(/*wait_upstream=*/false).ok());
  TestClient device(local.uri(), "device");
  REQUIRE(device.connect().ok());
  REQUIRE(device.publish("dev/1", "must wait", 1, false).ok());
  REQUIRE(wait_until([&] { return gw.log().find("upstream link: cannot connect") != std::string::npos; }, 10s));
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 1; }, 10s));
  CHECK(gw.log().find("upstream link: connected") == std::string::npos);
  REQUIRE(gw.stop().ok());

  // The same broker with verify: false (an explicit opt-out) connects.
  Gateway insecure(tls_yaml(local.port(), upstream.port(), certs, false));
  REQUIRE(insecure.start().ok());
  REQUIRE(insecure.stop().ok());
}

TEST_CASE(
    "Does the upstream link refuse a wrong-host certificate, logging the host mismatch, and deliver the queue once "
    "the broker presents a valid one?",
    "[integration][tls][tls-refusals]") {
  check_refused_then_delivered(Cert::wrong_host, kWrongHostReason);
}

TEST_CASE(
    "Does the upstream link refuse a self-signed certificate, logging that it is self-signed, and deliver the queue "
    "once "
    "the broker presents a valid one?",
    "[integration][tls][tls-refusals]") {
  check_refused_then_delivered(Cert::self_signed, kSelfSignedReason);
}

TEST_CASE(
    "Does the upstream link refuse an expired certificate, logging that it expired, and deliver the queue once "
    "the broker presents a valid one?",
    "[integration][tls][tls-refusals]") {
  check_refused_then_delivered(Cert::expired, kExpiredReason);
}

namespace {

// A loopback TCP listener that never accepts: the kernel completes the TCP
// handshake, and nothing ever answers the ClientHello.
struct SilentListener {
  SilentListener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, 4) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port = ntohs(a.sin_port);
  }
  ~SilentListener() {
    if (fd >= 0) ::close(fd);
  }
  int fd = -1;
  int port = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE(
    "Does the TLS probe name why a handshake fails: the host, the issuer, the dates, a closed port, a silent "
    "server?",
    "[integration][tls][tls-probe]") {
  using edgegw::gateway::probe_tls;
  using edgegw::gateway::TlsProbeOutcome;
  using edgegw::gateway::TlsProbeResult;
  using edgegw::gateway::TlsTarget;
  TempDir certs("edgegw-certs");
  REQUIRE(make_cert(certs, "good", Cert::valid));
  REQUIRE(make_cert(certs, "other", Cert::wrong_host));
  REQUIRE(make_cert(certs, "self", Cert::self_signed));
  REQUIRE(make_cert(certs, "old", Cert::expired));
  REQUIRE(copy_cert(certs, "good", "served"));
  MosquittoBroker broker(BrokerOptions{.extra_config = tls_listener(certs, "served")});
  REQUIRE(broker.start().ok());
  const TlsTarget target{"127.0.0.1", broker.port(), (certs / "ca.crt").string(), "", "", true};
  auto probe = [&](const std::string& serving, TlsTarget t) {
    REQUIRE(copy_cert(certs, serving, "served"));
    REQUIRE(broker.restart().ok());
    return probe_tls(t, 3s);
  };

  CHECK(probe("good", target) == TlsProbeResult{});
  TlsTarget by_name = target;
  by_name.host = "localhost";  // the certificate names IP:127.0.0.1 only
  CHECK(probe_tls(by_name, 3s) ==
        TlsProbeResult{TlsProbeOutcome::verify,
                       "certificate verify failed: hostname mismatch (expected localhost, the certificate names "
                       "IP:127.0.0.1)"});
  CHECK(probe("other", target) == TlsProbeResult{TlsProbeOutcome::verify, kWrongHostReason});
  TlsTarget unverified = target;
  unverified.verify = false;
  CHECK(probe_tls(unverified, 3s) == TlsProbeResult{});  // verify: false takes any certificate, as the link does
  CHECK(
      probe("self", target) ==
      TlsProbeResult{TlsProbeOutcome::verify, "certificate verify failed: self-signed certificate (subject CN=self)"});
  const TlsProbeResult expired = probe("old", target);
  CHECK(expired.outcome == TlsProbeOutcome::verify);
  CHECK(expired.reason.find(kExpiredReason) == 0);

  // Not TLS at all: a plain MQTT listener.
  MosquittoBroker plain;
  REQUIRE(plain.start().ok());
  TlsTarget to_plain = target;
  to_plain.port = plain.port();
  const TlsProbeResult not_tls = probe_tls(to_plain, 3s);
  INFO(not_tls.reason);
  CHECK(not_tls.outcome == TlsProbeOutcome::handshake);
  CHECK(not_tls.reason.find("TLS handshake failed: ") == 0);

  // Nobody listening.
  REQUIRE(plain.stop().ok());
  CHECK(probe_tls(to_plain, 3s) == TlsProbeResult{TlsProbeOutcome::network, "connection refused"});

  // Listening, never answering: the timeout holds, and a cancel ends it sooner.
  SilentListener silent;
  REQUIRE(silent.port > 0);
  TlsTarget to_silent = target;
  to_silent.port = silent.port;
  auto t0 = std::chrono::steady_clock::now();
  CHECK(probe_tls(to_silent, 300ms) == TlsProbeResult{TlsProbeOutcome::network, "TLS handshake timed out after 300ms"});
  CHECK(seconds_since(t0) < 2.0);
  std::atomic<bool> done_called{false};
  t0 = std::chrono::steady_clock::now();
  {
    edgegw::gateway::TlsProber prober(to_silent, 10s, [&](TlsProbeResult) { done_called = true; });
    REQUIRE(prober.start());
    CHECK_FALSE(prober.start());  // one at a time
  }                               // the destructor cancels and joins
  CHECK(seconds_since(t0) < 1.0);
  CHECK_FALSE(done_called);
}
