// Hostile input end to end (issue 9, "Topic injection"): device names with
// `/ + # $ NUL`, control bytes, invalid UTF-8, noncharacters and 70 KB names
// flow into templated topics of a route and of a rule through the real
// binary and real brokers. Every topic that reaches the upstream stays under
// the template's prefix, nothing makes a broker drop the gateway, and every
// message that was not forwarded is counted.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/http_get.h"
#include "support/log_text.h"
#include "support/site.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

// A name from a payload field, and a name as a topic level, each into a
// topic template with a fixed prefix. The second route writes the level
// twice, so a 35 KB device name renders a 70 KB topic.
const std::string kRoutes =
    "  - from: \"names/+\"\n"
    "    to: \"cloud/{{ payload.name }}/x\"\n"
    "  - from: \"dev/+/hello\"\n"
    "    to: \"cloud/t/{{ topic[1] }}/{{ topic[1] }}\"\n";

const char* kRule =
    "rules:\n"
    "  - id: inject\n"
    "    when: {topic: \"names/+\"}\n"
    "    then:\n"
    "      - publish: {to: upstream, topic: \"cloud/r/{{ payload.name }}\", payload: \"r{{ payload.id }}\"}\n";

enum class Expect { forwarded, rejected, either };

// `json` is the raw JSON text of the name (escapes, or raw bytes that make
// the payload invalid JSON); `name` is what it decodes to when forwarded.
struct NameCase {
  std::string what;
  std::string json;
  std::string name;
  Expect expect;
};

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::vector<NameCase> payload_cases() {
  using E = Expect;
  const std::string at_limit(65535 - std::string("cloud/").size() - std::string("/x").size(), 'n');
  return {
      {"plain", quoted("plain"), "plain", E::forwarded},
      {"a slash adds levels under the prefix", quoted("a/b"), "a/b", E::forwarded},
      {"dot-dot is just text", quoted("../../etc"), "../../etc", E::forwarded},
      {"'$' inside a topic", quoted("$SYS"), "$SYS", E::forwarded},
      {"a space", quoted(" "), " ", E::forwarded},
      {"UTF-8",
       quoted("k\xC3\xBC"
              "che/\xE2\x82\xAC/\xF0\x9F\x8C\xA1"),
       "k\xC3\xBC"
       "che/\xE2\x82\xAC/\xF0\x9F\x8C\xA1",
       E::forwarded},
      {"an escaped u-umlaut", quoted("\\u00fc"), "\xC3\xBC", E::forwarded},
      {"a number", "42", "42", E::forwarded},
      {"a topic of exactly 65535 bytes", quoted(at_limit), at_limit, E::forwarded},
      {"+", quoted("+"), "", E::rejected},
      {"#", quoted("#"), "", E::rejected},
      {"a/#", quoted("a/#"), "", E::rejected},
      {"a/+/b", quoted("a/+/b"), "", E::rejected},
      {"NUL", quoted("\\u0000"), "", E::rejected},
      {"NUL inside", quoted("a\\u0000b"), "", E::rejected},
      {"a tab", quoted("tab\\there"), "", E::rejected},
      {"a newline", quoted("line\\nbreak"), "", E::rejected},
      {"an ANSI escape", quoted("\\u001b[31mred"), "", E::rejected},
      {"DEL", quoted("\\u007f"), "", E::rejected},
      {"C1 control NEL, escaped", quoted("\\u0085"), "", E::rejected},
      {"C1 control NEL, raw", quoted("\xC2\x85"), "", E::rejected},
      {"noncharacter U+FFFE", quoted("\\ufffe"), "", E::rejected},
      {"noncharacter U+FFFF", quoted("\\uffff"), "", E::rejected},
      {"noncharacter U+FDD0", quoted("\\ufdd0"), "", E::rejected},
      {"noncharacter U+10FFFF", quoted("\\udbff\\udfff"), "", E::rejected},
      {"noncharacter U+FFFF, raw", quoted("\xEF\xBF\xBF"), "", E::rejected},
      {"invalid UTF-8", quoted("\xFF\xFE"), "", E::rejected},
      {"overlong '/'", quoted("\xC0\xAF"), "", E::rejected},
      {"an encoded surrogate", quoted("\xED\xA0\x80"), "", E::rejected},
      {"a lone surrogate escape", quoted("\\ud800"), "", E::either},
      {"empty", quoted(""), "", E::rejected},
      {"null", "null", "", E::rejected},
      {"an object with '#'", "{\"a\":\"#\"}", "", E::rejected},
      {"a list with '+'", "[\"+\"]", "", E::rejected},
      {"one byte over 65535", quoted(at_limit + "n"), "", E::rejected},
      {"70 KB", quoted(std::string(70'000, 'n')), "", E::rejected},
  };
}

// Device names as a topic level (MQTT itself keeps `/ + #`, NUL and
// invalid UTF-8 out of a topic name; the local broker would drop the device).
std::vector<NameCase> level_cases() {
  return {
      {"'$' first in a level", "", "$x", Expect::forwarded},
      {"UTF-8 level", "",
       "k\xC3\xBC"
       "che",
       Expect::forwarded},
      {"quotes and braces", "", "a\"{{ b }}\"", Expect::forwarded},
      {"32 KB level, 64 KB topic", "", std::string(32'000, 'l'), Expect::forwarded},
      {"35 KB level, 70 KB topic", "", std::string(35'000, 'l'), Expect::rejected},
  };
}

// The id in a forwarded payload `{"id":N,...}` or a rule's `rN`; -1 otherwise.
long id_of(const std::string& payload) {
  const std::string key = "{\"id\":";
  if (payload.rfind(key, 0) == 0) return std::stol(payload.substr(key.size()));
  if (payload.size() > 1 && payload[0] == 'r') return std::stol(payload.substr(1));
  return -1;
}

}  // namespace

TEST_CASE(
    "Do hostile device names in templated topics stay under the prefix, never cost a broker connection, and get "
    "counted?",
    "[integration][hostile][injection]") {
  // The cloud sees every topic but `$...` ones, which a value may not write.
  Site site({.routes = kRoutes,
             .rule_files = {{"inject.yaml", kRule}},
             .http = true,
             .cloud = SiteClient{"cloud", {"#"}},
             .devices = SiteClient{"device"}});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  MosquittoBroker& local = site.local;
  MosquittoBroker& upstream = site.upstream;
  TestClient& cloud = site.cloud();
  TestClient& device = site.devices();
  const int port = site.http_port();
  const auto names = payload_cases();
  for (size_t i = 0; i < names.size(); ++i) {
    INFO(names[i].what);
    REQUIRE(
        device
            .publish("names/n" + std::to_string(i), "{\"id\":" + std::to_string(i) + ",\"name\":" + names[i].json + "}")
            .ok());
  }
  const auto levels = level_cases();
  for (size_t i = 0; i < levels.size(); ++i) {
    INFO(levels[i].what);
    REQUIRE(device.publish("dev/" + levels[i].name + "/hello", "t" + std::to_string(i)).ok());
  }
  // Rows go upstream in order: once the last message's rows arrived, every
  // earlier one that was going to arrive has.
  REQUIRE(device.publish("names/end", "{\"id\":999,\"name\":\"end\"}").ok());
  REQUIRE(wait_until(
      [&] {
        std::set<std::string> topics;
        for (const auto& m : cloud.received()) topics.insert(m.topic);
        return topics.count("cloud/end/x") && topics.count("cloud/r/end");
      },
      20s));

  std::map<long, std::string> by_route, by_rule;  // id -> topic
  std::map<std::string, std::string> by_level;    // payload -> topic
  size_t outside = 0;
  for (const auto& m : cloud.received()) {
    if (m.topic == "edgegw/it-gw/status") continue;  // the gateway's own status
    if (m.topic.rfind("cloud/", 0) != 0) {
      ++outside;
      UNSCOPED_INFO("outside the prefix: '" << m.topic.substr(0, 80) << "'");
      continue;
    }
    if (m.topic.rfind("cloud/t/", 0) == 0 && m.payload.size() > 1 && m.payload[0] == 't')
      by_level[m.payload] = m.topic;
    else if (m.topic.rfind("cloud/r/", 0) == 0 && !m.payload.empty() && m.payload[0] == 'r')
      by_rule[id_of(m.payload)] = m.topic;
    else
      by_route[id_of(m.payload)] = m.topic;
  }
  CHECK(outside == 0);

  size_t route_rejected = 0, rule_rejected = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const auto& c = names[i];
    INFO("payload name: " << c.what);
    const long id = static_cast<long>(i);
    const bool routed = by_route.count(id) > 0, ruled = by_rule.count(id) > 0;
    route_rejected += !routed;
    rule_rejected += !ruled;
    CHECK(routed == ruled);  // the same name renders the same way in both templates
    if (c.expect == Expect::either) continue;
    CHECK(routed == (c.expect == Expect::forwarded));
    if (routed && c.expect == Expect::forwarded) {
      CHECK(by_route[id] == "cloud/" + c.name + "/x");
      CHECK(by_rule[id] == "cloud/r/" + c.name);
    }
  }
  for (size_t i = 0; i < levels.size(); ++i) {
    const auto& c = levels[i];
    INFO("topic level: " << c.what);
    const std::string payload = "t" + std::to_string(i);
    const bool routed = by_level.count(payload) > 0;
    route_rejected += !routed;
    CHECK(routed == (c.expect == Expect::forwarded));
    if (routed) CHECK(by_level[payload] == "cloud/t/" + c.name + "/" + c.name);
  }
  WARN(names.size() + levels.size() << " hostile names: " << route_rejected << " rejected by the routes, "
                                    << rule_rejected << " by the rule, " << outside << " topics outside the prefix");

  // Every message that was not forwarded is counted, and nothing else: the
  // routes' counter is updated with the batch, the rule's from the engine's
  // snapshot (at most a second old).
  const std::string bad = "edgegw_dropped_total{reason=\"bad_template\"}";
  const std::string failed = "edgegw_rule_action_failures_total{rule=\"inject\"}";
  CHECK(wait_until([&] { return scrape(port, bad) == double(route_rejected); }, 5s, 100ms));
  CHECK(scrape(port, bad) == double(route_rejected));
  CHECK(wait_until([&] { return scrape(port, failed) == double(rule_rejected); }, 5s, 100ms));
  CHECK(scrape(port, failed) == double(rule_rejected));

  // No broker dropped the gateway: one connection each, no reconnect.
  CHECK(scrape(port, "edgegw_reconnects_total{link=\"upstream\"}") == 0);
  CHECK(scrape(port, "edgegw_reconnects_total{link=\"local\"}") == 0);
  CHECK(count_of(gw.log(), "link: disconnected") == 0);
  CHECK(count_of(upstream.log_text(), " as edgegw-it-gw (") == 1);
  CHECK(count_of(local.log_text(), " as edgegw-it-gw-local (") == 1);
  CHECK(count_of(upstream.log_text(), "Client edgegw-it-gw ") == 0);     // "... disconnected due to ..."
  CHECK(count_of(upstream.log_text(), "on client edgegw-it-gw,") == 0);  // "Socket error on client ..."
  REQUIRE(gw.stop().ok());
}
