// Backtesting (docs/rules.md): the daemon keeps a window of what it received
// (gateway.journal_keep); `edgegw journal export` writes it as events lines,
// byte-exact, and `edgegw test --from-journal` replays it through the rules,
// both while the daemon runs and takes traffic, losing nothing.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/site.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const std::string kRoutes =
    "  - from: \"dev/+/state\"\n"
    "    to: \"sites/{{ gateway.id }}/{{ topic[1] }}\"\n";

const char* kRule = R"(rules:
  - id: hot
    when: {topic: "dev/+/state", if: payload.t > 25}
    then:
      - publish: {to: local, topic: "alerts/{{ topic[1] }}", payload: "hot {{ payload.t }}"}
    throttle: 1m
)";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The payload an export line carries, as bytes (base64 lines are compared as text).
std::string payload_of(const nlohmann::json& line) {
  if (line.contains("payload_base64")) return "base64:" + line["payload_base64"].get<std::string>();
  const auto& p = line["payload"];
  return p.is_string() ? p.get<std::string>() : p.dump();
}

// Message i: JSON (compact and not), plain text, and bytes that are not UTF-8.
std::string payload(int i) {
  switch (i % 4) {
    case 0: return "{\"t\":" + std::to_string(20 + i % 10) + "}";
    case 1: return "{\"t\": " + std::to_string(20 + i % 10) + "}";
    case 2: return "ON " + std::to_string(i);
    default: return std::string("\xff\xfe") + static_cast<char>('0' + i % 10);
  }
}

std::string expected_payload(int i) {
  if (i % 4 != 3) return payload(i);
  static const char* kB64[] = {"//4w", "//4x", "//4y", "//4z", "//40", "//41", "//42", "//43", "//44", "//45"};
  return std::string("base64:") + kB64[i % 10];
}

}  // namespace

TEST_CASE("Does the kept window export byte-exact and replay as --events does, while the daemon takes traffic?",
          "[integration][journal][backtest]") {
  Site site({.routes = kRoutes,
             .rule_files = {{"hot.yaml", kRule}},
             .cloud = SiteClient{"cloud", {"sites/#"}},
             .devices = SiteClient{"devices"}});
  REQUIRE(site.start().ok());
  auto& gw = site.gw();
  constexpr int kN = 200;
  for (int i = 0; i < kN; ++i)
    REQUIRE(site.devices().publish("dev/d" + std::to_string(i % 7) + "/state", payload(i)).ok());
  REQUIRE(site.cloud().wait_for_count(kN, 20s));

  // Export, and replay, while more traffic comes in.
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::thread more([&] {
    for (int i = 0; !stop && i < 5000; ++i) {
      if (!site.devices().publish("dev/busy/state", "{\"t\":1}").ok()) break;
      ++sent;
    }
  });
  auto exported = gw.command({"journal", "export", "--topic", "dev/+/state"});
  auto replayed = gw.command({"test", "--from-journal"});
  stop = true;
  more.join();
  INFO(exported.err << replayed.err);
  REQUIRE(exported.exit_code == 0);
  REQUIRE(replayed.exit_code == 0);

  // The first kN lines are ours, in order, byte-exact; the rest is the busy stream.
  const auto lines = lines_of(exported.out);
  REQUIRE(lines.size() >= static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i) {
    CAPTURE(i, lines[i]);
    const auto j = nlohmann::json::parse(lines[i]);
    CHECK(j["topic"] == "dev/d" + std::to_string(i % 7) + "/state");
    CHECK(payload_of(j) == expected_payload(i));
  }

  // Nothing was lost on the way: every message reached the cloud.
  REQUIRE(site.cloud().wait_for_count(static_cast<size_t>(kN + sent), 30s));

  // With the traffic settled, --from-journal gives exactly what --events
  // gives over the exported file.
  const auto events = gw.dir() / "exported.jsonl";
  {
    auto again = gw.command({"journal", "export"});
    REQUIRE(again.exit_code == 0);
    std::ofstream(events) << again.out;
  }
  auto from_file = gw.command({"test", "--events", events.string()});
  auto from_journal = gw.command({"test", "--from-journal"});
  REQUIRE(from_file.exit_code == 0);
  REQUIRE(from_journal.exit_code == 0);
  CHECK(lines_of(from_journal.out) == lines_of(from_file.out));
  CHECK_FALSE(lines_of(from_file.out).empty());
  CHECK(from_journal.err.find("replayed ") != std::string::npos);
  CHECK(from_journal.err.find("  hot: ") != std::string::npos);
  REQUIRE(gw.stop().ok());
}
