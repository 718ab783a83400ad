// Per-key runs (issue: one rule for every room) and the notes a rule leaves
// when it matched but did not act: what `edgegw test --explain` and the
// daemon's debug log show, and the drops they always show.
#include <catch2/catch.hpp>

#include <map>

#include "test_rule_engine_support.h"

using namespace std::chrono_literals;

namespace edgegw::rules::testing {
namespace {

// The issue's rule: motion in a room turns its light on for two minutes.
RuleSpec room_light(Mode mode) {
  auto spec = topic_rule("light", "zigbee2mqtt/+",
                         {publish_action("lights/{{ topic[1] }}/set", "ON"), delay_action(2min),
                          publish_action("lights/{{ topic[1] }}/set", "OFF")});
  spec.mode = mode;
  return spec;
}

std::vector<std::string> notes_of(const std::vector<TimedDecision>& out) {
  std::vector<std::string> details;
  for (const auto& d : out) {
    if (const auto* n = std::get_if<RuleNote>(&d.decision))
      details.push_back(std::string(note_name(n->kind)) + ": " + n->detail);
  }
  return details;
}

}  // namespace

TEST_CASE("Mode single: does the kitchen's run start while the hall's waits, and only the hall's repeat wait?",
          "[rules][engine][keys]") {
  Harness h({room_light(Mode::single)});
  h.event(0s, "zigbee2mqtt/hall", "{}");
  h.event(60s, "zigbee2mqtt/kitchen", "{}");
  h.event(90s, "zigbee2mqtt/hall", "{}");  // the hall's run still waits: ignored
  h.tick(10min);
  CHECK(h.take() == Lines{"0 light publish local lights/hall/set ON", "60 light publish local lights/kitchen/set ON",
                          "90 light note single_busy [zigbee2mqtt/hall]", "120 light publish local lights/hall/set OFF",
                          "180 light publish local lights/kitchen/set OFF"});
}

TEST_CASE("Mode restart: does a new run cancel only its own key's run?", "[rules][engine][keys]") {
  Harness h({room_light(Mode::restart)});
  h.event(0s, "zigbee2mqtt/hall", "{}");
  h.event(60s, "zigbee2mqtt/kitchen", "{}");  // must not cancel the hall's OFF
  h.event(90s, "zigbee2mqtt/hall", "{}");     // restarts the hall: OFF at 210 s
  h.tick(10min);
  CHECK(h.take() == Lines{"0 light publish local lights/hall/set ON", "60 light publish local lights/kitchen/set ON",
                          "90 light publish local lights/hall/set ON", "180 light publish local lights/kitchen/set OFF",
                          "210 light publish local lights/hall/set OFF"});
}

TEST_CASE("Mode queued: does a run wait only behind runs of its own key?", "[rules][engine][keys]") {
  Harness h({room_light(Mode::queued)});
  h.event(0s, "zigbee2mqtt/hall", "{}");
  h.event(30s, "zigbee2mqtt/kitchen", "{}");  // starts at once
  h.event(60s, "zigbee2mqtt/hall", "{}");     // waits for the hall's first run
  h.tick(10min);
  CHECK(h.take() == Lines{"0 light publish local lights/hall/set ON", "30 light publish local lights/kitchen/set ON",
                          "120 light publish local lights/hall/set OFF", "120 light publish local lights/hall/set ON",
                          "150 light publish local lights/kitchen/set OFF",
                          "240 light publish local lights/hall/set OFF"});
}

TEST_CASE("Mode parallel: do runs of one key and of another all run side by side?", "[rules][engine][keys]") {
  Harness h({room_light(Mode::parallel)});
  h.event(0s, "zigbee2mqtt/hall", "{}");
  h.event(30s, "zigbee2mqtt/hall", "{}");
  h.event(60s, "zigbee2mqtt/kitchen", "{}");
  h.tick(10min);
  CHECK(h.take() == Lines{"0 light publish local lights/hall/set ON", "30 light publish local lights/hall/set ON",
                          "60 light publish local lights/kitchen/set ON", "120 light publish local lights/hall/set OFF",
                          "150 light publish local lights/hall/set OFF",
                          "180 light publish local lights/kitchen/set OFF"});
}

TEST_CASE("Does an explicit `key` group the runs of several topics?", "[rules][engine][keys]") {
  auto spec = room_light(Mode::single);
  spec.key = loc("payload.room");
  Harness h({spec});
  h.event(0s, "zigbee2mqtt/hall_pir", R"({"room": "hall"})");
  h.event(10s, "zigbee2mqtt/hall_door", R"({"room": "hall"})");  // the same room: busy
  h.event(20s, "zigbee2mqtt/bath_pir", R"({"room": "bath"})");
  h.tick(10min);
  CHECK(h.take() == Lines{"0 light publish local lights/hall_pir/set ON", "10 light note single_busy [hall]",
                          "20 light publish local lights/bath_pir/set ON",
                          "120 light publish local lights/hall_pir/set OFF",
                          "140 light publish local lights/bath_pir/set OFF"});
}

TEST_CASE("Do per-key runs and queues survive a restart with their keys?", "[rules][engine][keys][state]") {
  const auto spec = room_light(Mode::queued);
  Harness before({spec});
  before.event(0s, "zigbee2mqtt/hall", "{}");
  before.event(30s, "zigbee2mqtt/kitchen", "{}");
  before.event(40s, "zigbee2mqtt/hall", "{}");  // queued behind the hall's run
  before.take();
  std::map<std::string, std::string> rows;
  for (const auto& id : before.engine.dirty()) rows[id] = before.engine.save_state(id);

  Harness after({spec});
  for (const auto& [id, bytes] : rows) REQUIRE(after.engine.restore_state(id, bytes));
  after.event(50s, "zigbee2mqtt/kitchen", "{}");  // the restored kitchen run is busy: queued
  after.tick(10min);
  CHECK(after.take() ==
        Lines{"120 light publish local lights/hall/set OFF", "120 light publish local lights/hall/set ON",
              "150 light publish local lights/kitchen/set OFF", "150 light publish local lights/kitchen/set ON",
              "240 light publish local lights/hall/set OFF", "270 light publish local lights/kitchen/set OFF"});
}

TEST_CASE("Does a reload keep the per-key runs of an unchanged rule?", "[rules][engine][keys]") {
  const auto spec = room_light(Mode::single);
  Harness h({spec});
  h.event(0s, "zigbee2mqtt/hall", "{}");
  h.engine.replace_rules(compile_rules({topic_rule("other", "x", {log_action("x")}), spec}));
  h.event(30s, "zigbee2mqtt/hall", "{}");     // still busy after the reload
  h.event(40s, "zigbee2mqtt/kitchen", "{}");  // free
  h.tick(10min);
  CHECK(h.take() == Lines{"0 light publish local lights/hall/set ON", "30 light note single_busy [zigbee2mqtt/hall]",
                          "40 light publish local lights/kitchen/set ON", "120 light publish local lights/hall/set OFF",
                          "160 light publish local lights/kitchen/set OFF"});
}

TEST_CASE("Is a full queue a drop of that key only?", "[rules][engine][keys]") {
  Harness h({room_light(Mode::queued)});
  for (size_t i = 0; i <= Engine::kMaxQueued + 1; ++i) h.event(1s * i, "zigbee2mqtt/hall", "{}");
  h.event(100s, "zigbee2mqtt/kitchen", "{}");
  const Lines lines = h.take();
  CHECK(std::count(lines.begin(), lines.end(), "65 light note queue_full [zigbee2mqtt/hall]") == 1);
  CHECK(lines.back() == "100 light publish local lights/kitchen/set ON");
  CHECK(h.engine.rule_stats()[0].count(NoteKind::queue_full) == 1);
}

TEST_CASE("Without explain, are stops counted but not handed on; with it, does each say why?",
          "[rules][engine][notes]") {
  auto hot = topic_rule("hot", "sensor/+", {log_action("hot")});
  hot.when.condition = loc("payload.temp > 30 and topic[1] != 'x'");
  auto thr = topic_rule("thr", "sensor/+", {log_action("thr")});
  thr.throttle = 10min;
  auto deb = topic_rule("deb", "sensor/+", {log_action("deb")});
  deb.debounce = 5s;
  auto dd = topic_rule("dd", "sensor/+", {log_action("dd")});
  dd.dedupe = 1min;
  auto held = topic_rule("held", "sensor/+", {log_action("held")});
  held.when.for_duration = 1min;
  const std::vector<RuleSpec> specs{hot, thr, deb, dd, held};

  Harness quiet(specs);
  quiet.event(0s, "sensor/a", R"({"temp": 21.5})");
  quiet.event(1s, "sensor/a", R"({"temp": 21.5})");
  CHECK(quiet.take() == Lines{"0 thr log thr", "0 dd log dd"});
  CHECK(quiet.engine.rule_stats()[0].count(NoteKind::if_false) == 2);
  CHECK(quiet.engine.rule_stats()[1].count(NoteKind::throttled) == 1);
  CHECK(quiet.engine.rule_stats()[1].last_stop == NoteKind::throttled);
  CHECK(quiet.engine.rule_stats()[1].last_stop_at == kT0 + 1s);

  Harness told(specs);
  told.engine.set_explain(true);
  told.event(0s, "sensor/a", R"({"temp": 21.5})");
  CHECK(told.take() == Lines{"0 hot note if_false [sensor/a]", "0 thr note fired [sensor/a]", "0 thr log thr",
                             "0 deb note debounced [sensor/a]", "0 dd note fired [sensor/a]", "0 dd log dd",
                             "0 held note for_pending [sensor/a]"});
  told.event(1s, "sensor/a", R"({"temp": 20})");
  CHECK(notes_of(told.out) ==
        std::vector<std::string>{
            "if_false: payload.temp > 30 and topic[1] != 'x' was false; payload.temp = 20, topic[1] = \"a\"",
            "throttled: throttle 10m", "debounced: fires with this event unless another comes within 5s",
            "fired: ", "for_pending: the condition must hold for 1m"});
  CHECK(std::get<RuleNote>(told.out.back().decision).until == kT0 + 1min);
}

}  // namespace edgegw::rules::testing
