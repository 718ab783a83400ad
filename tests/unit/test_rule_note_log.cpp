// The daemon's log of rule notes (gateway/engine/rule_note_log.h): drops are
// warnings, one a minute per rule and reason, saying how many were held back;
// the other notes are debug lines.
#include <catch2/catch.hpp>

#include <sstream>

#include "gateway/engine/rule_note_log.h"
#include "gateway/engine/rule_note_text.h"
#include "support/captured_log.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace std::chrono_literals;

namespace {

using edgegw::testing::CapturedLog;

rules::RuleNote drop(std::string rule, rules::NoteKind kind) {
  return {std::move(rule), kind, 1, "lights/hall", "topic template 'x': empty level", std::nullopt};
}

}  // namespace

TEST_CASE("Is a drop warned once a minute per rule and reason, with the count held back?", "[rules][notes]") {
  CapturedLog cap("%l %v");
  RuleNoteLog log(cap.log);
  const MonoTime t0{};
  log.log(drop("a", rules::NoteKind::bad_topic), t0);
  log.log(drop("a", rules::NoteKind::bad_topic), t0 + 1s);   // held
  log.log(drop("a", rules::NoteKind::bad_topic), t0 + 2s);   // held
  log.log(drop("b", rules::NoteKind::bad_topic), t0 + 3s);   // another rule: its own minute
  log.log(drop("a", rules::NoteKind::queue_full), t0 + 4s);  // another reason: its own minute
  log.log(drop("a", rules::NoteKind::bad_topic), t0 + 61s);
  const auto lines = cap.lines();
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "warning rule a dropped action 1: bad_topic: topic template 'x': empty level [lights/hall]");
  CHECK(lines[1].rfind("warning rule b dropped action 1: bad_topic", 0) == 0);
  CHECK(lines[2].rfind("warning rule a dropped action 1: queue_full", 0) == 0);
  CHECK(lines[3] ==
        "warning rule a dropped action 1: bad_topic: topic template 'x': empty level [lights/hall] "
        "(2 more like it since the last line; counted in edgegw_rule_drops_total)");
}

TEST_CASE("Is every other note a debug line of its own?", "[rules][notes]") {
  CapturedLog cap("%l %v");
  RuleNoteLog log(cap.log);
  rules::RuleNote fired{"door", rules::NoteKind::fired, -1, "doors/front", "", std::nullopt};
  rules::RuleNote held{"door",        rules::NoteKind::throttled,     -1, "doors/front",
                       "throttle 1m", from_unix_ms(1'763'794'860'000)};
  log.log(fired, MonoTime{});
  log.log(held, MonoTime{});
  log.log(held, MonoTime{});
  CHECK(cap.lines() == std::vector<std::string>{
                           "debug rule door fired [doors/front]",
                           "debug rule door stopped: throttled until 2025-11-22T07:01:00Z: throttle 1m [doors/front]",
                           "debug rule door stopped: throttled until 2025-11-22T07:01:00Z: throttle 1m [doors/front]"});
}
