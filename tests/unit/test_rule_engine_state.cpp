// Rule state across a restart: what Engine::save_state keeps and
// restore_state brings back (design.md, Delivery: rule timers survive).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "test_rule_engine_support.h"

using namespace std::chrono_literals;

namespace edgegw::rules::testing {
namespace {

// What a restart leaves: every dirty rule's bytes, as the gateway stores them.
std::map<std::string, std::string> stored(Engine& engine, std::map<std::string, std::string> rows = {}) {
  for (const auto& id : engine.dirty()) {
    std::string bytes = engine.save_state(id);
    if (bytes.empty())
      rows.erase(id);
    else
      rows[id] = std::move(bytes);
  }
  engine.clear_dirty();
  return rows;
}

// A new engine (the restarted gateway) with `rows` restored, ticked at `at`.
std::unique_ptr<Harness> restarted(const std::vector<RuleSpec>& specs, const std::map<std::string, std::string>& rows) {
  auto h = std::make_unique<Harness>(specs);
  for (const auto& [id, bytes] : rows) REQUIRE(h->engine.restore_state(id, bytes));
  return h;
}

}  // namespace

TEST_CASE("Does a pending delay resume after a restart, at its own due time, with its event?",
          "[rules][engine][state]") {
  auto spec = topic_rule("light", "motion",
                         {publish_action("light/set", "ON {{ payload }}"), delay_action(2min),
                          publish_action("light/set", "OFF {{ payload }}")});
  Harness before({spec});
  before.event(0s, "motion", "m1");
  CHECK(before.take() == Lines{"0 light publish local light/set ON m1"});
  auto rows = stored(before.engine);
  REQUIRE(rows.count("light") == 1);

  auto after = restarted({spec}, rows);
  CHECK(after->engine.next_due() == kT0 + 2min);
  after->tick(5min);  // down past the due time: it fires late, stamped with its due time
  CHECK(after->take() == Lines{"120 light publish local light/set OFF m1"});
  CHECK(stored(after->engine, rows).empty());  // finished: the stored row goes
}

TEST_CASE("Does a throttle window survive a restart?", "[rules][engine][state]") {
  auto spec = topic_rule("t", "door/+", {log_action("{{ topic }}")});
  spec.throttle = 10min;
  Harness before({spec});
  before.event(0s, "door/a", "1");
  CHECK(before.take() == Lines{"0 t log door/a"});

  auto after = restarted({spec}, stored(before.engine));
  after->event(1min, "door/a", "2");  // still inside the window
  after->event(1min, "door/b", "3");
  after->event(10min, "door/a", "4");
  CHECK(after->take() == Lines{"60 t log door/b", "600 t log door/a"});
}

TEST_CASE("Does a `for` spell keep counting across a restart, and not re-fire once fired?", "[rules][engine][state]") {
  auto spec = topic_rule("f", "freezer/+", {log_action("{{ topic }} {{ payload.t }}")});
  spec.when.condition = loc("payload.t > -10");
  spec.when.for_duration = 10min;
  Harness before({spec});
  before.event(0s, "freezer/a", R"({"t": -5})");
  before.event(1min, "freezer/b", R"({"t": -4})");
  before.tick(10min + 30s);  // a's spell has fired; b's has not yet
  CHECK(before.take() == Lines{"600 f log freezer/a -5"});

  auto after = restarted({spec}, stored(before.engine));
  after->event(12min, "freezer/a", R"({"t": -3})");  // same spell: no re-fire
  after->tick(20min);
  CHECK(after->take() == Lines{"660 f log freezer/b -4"});
}

TEST_CASE("Do queued triggers and a debounce wait survive a restart?", "[rules][engine][state]") {
  auto queued =
      topic_rule("q", "go", {log_action("start {{ payload }}"), delay_action(1min), log_action("end {{ payload }}")});
  queued.mode = Mode::queued;
  auto deb = topic_rule("d", "btn", {log_action("pressed {{ payload }}")});
  deb.debounce = 5s;
  Harness before({queued, deb});
  before.event(0s, "go", "1");
  before.event(10s, "go", "2");
  before.event(20s, "btn", "x");
  CHECK(before.take() == Lines{"0 q log start 1"});

  auto after = restarted({queued, deb}, stored(before.engine));
  after->tick(3min);
  CHECK(after->take() == Lines{"25 d log pressed x", "60 q log end 1", "60 q log start 2", "120 q log end 2"});
}

TEST_CASE("Is saved state refused when the rule changed, was removed, or the bytes are damaged?",
          "[rules][engine][state]") {
  auto spec = topic_rule("w", "a", {delay_action(1min), log_action("resumed")});
  Harness before({spec});
  before.event(0s, "a", "");
  auto rows = stored(before.engine);
  const std::string bytes = rows.at("w");

  auto edited = spec;
  edited.then[0].delay = 2min;
  Harness changed({edited});
  CHECK_FALSE(changed.engine.restore_state("w", bytes));
  CHECK_FALSE(changed.engine.restore_state("gone", bytes));
  Harness same({spec});
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    CHECK_FALSE(same.engine.restore_state("w", bytes.substr(0, cut)));
  }
  std::string flipped = bytes;
  flipped[flipped.size() - 20] = '\x7f';    // inside the event's trailing fields: still decodes or is refused
  same.engine.restore_state("w", flipped);  // must not crash; the outcome depends on the byte
  CHECK(changed.engine.pending_timers() == 0);
}

TEST_CASE("Does a reload mark the dropped rules dirty, so their stored state goes?", "[rules][engine][state]") {
  auto keep = topic_rule("keep", "a", {log_action("keep")});
  keep.throttle = 1h;
  auto drop = topic_rule("drop", "a", {log_action("drop")});
  drop.throttle = 1h;
  Harness h({keep, drop});
  h.event(0s, "a", "");
  auto rows = stored(h.engine);
  CHECK(rows.size() == 2);
  h.engine.replace_rules(compile_rules({keep}));
  rows = stored(h.engine, rows);
  CHECK(rows.size() == 1);
  CHECK(rows.count("keep") == 1);
}

TEST_CASE("Are keys whose windows are over forgotten, so quiet topics cost nothing?", "[rules][engine][state]") {
  auto spec = topic_rule("t", "s/+", {log_action("{{ topic }}")});
  spec.throttle = 30s;
  Harness h({spec});
  for (int i = 0; i < 100; ++i) h.event(0s, "s/" + std::to_string(i), "");
  auto rows = stored(h.engine);
  const auto before = rows.at("t").size();
  h.event(40s, "s/keep", "");
  h.tick(61s);  // the sweep runs at most once a minute; the 100 windows are over, s/keep's is not
  h.take();
  rows = stored(h.engine, rows);
  REQUIRE(rows.count("t") == 1);
  CHECK(rows.at("t").size() * 10 < before);
  h.event(62s, "s/1", "");     // a forgotten key passes again, as it would have anyway
  h.event(62s, "s/keep", "");  // a kept one is still throttled
  CHECK(h.take() == Lines{"62 t log s/1"});
}

}  // namespace edgegw::rules::testing

namespace edgegw::rules::testing {

TEST_CASE("Does a clock step keep the remaining time of delays and windows, and re-arm `every`?",
          "[rules][engine][state]") {
  auto light = topic_rule("light", "motion", {log_action("on"), delay_action(2min), log_action("off")});
  auto door = topic_rule("door", "door", {log_action("door")});
  door.throttle = 10min;
  RuleSpec tick = topic_rule("tick", "unused", {log_action("tick")});
  tick.when.topics.clear();
  tick.when.every = 1h;
  Harness h({light, door, tick});
  h.event(0s, "motion", "");
  h.event(0s, "door", "");
  CHECK(h.take() == Lines{"0 light log on", "0 door log door"});

  // One minute later the clock is stepped back a day (the Pi's clock was
  // wrong): the light still goes off one minute later, not a day later.
  const Duration back = -24h;
  h.engine.clock_jumped(back, kT0 + 1min + back);
  CHECK(h.engine.next_due() == kT0 + 2min + back);
  h.tick(2min + back);
  CHECK(h.take() == Lines{std::to_string((2min + back) / 1s) + " light log off"});
  h.event(5min + back, "door", "");  // still throttled: 5 of its 10 minutes have passed
  h.event(10min + back, "door", "");
  CHECK(h.take() == Lines{std::to_string((10min + back) / 1s) + " door log door"});
  h.tick(1h + back);  // `every: 1h` follows the wall clock: the next whole hour of the new time
  // (kT0 is 13 minutes past an hour)
  CHECK(h.take() == Lines{std::to_string((47min + back) / 1s) + " tick log tick"});
}

}  // namespace edgegw::rules::testing
