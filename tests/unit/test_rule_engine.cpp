#include <catch2/catch.hpp>

#include "test_rule_engine_support.h"

using namespace edgegw;
using namespace edgegw::rules;
using namespace edgegw::rules::testing;
using namespace std::chrono_literals;

TEST_CASE("Does a topic rule publish its rendered payload with the documented defaults?", "[rules][engine]") {
  auto spec = topic_rule("r", "sensors/+/temp", {publish_action("alerts/{{ topic[1] }}", "t={{ payload.t }}")});
  Harness h({spec});
  h.event(0s, "sensors/kitchen/temp", R"({"t": 21.5})");
  h.event(1s, "sensors/kitchen/hum", R"({"t": 21.5})");
  REQUIRE(h.out.size() == 1);
  const auto& p = std::get<Publish>(h.out[0].decision);
  CHECK(h.out[0].at == kT0);
  CHECK(p.msg.link == Link::local);
  CHECK(p.msg.topic == "alerts/kitchen");
  CHECK(p.msg.payload == "t=21.5");
  CHECK(p.msg.qos == 1);
  CHECK(p.msg.retain == false);
  CHECK(p.msg.priority == Priority::normal);
  CHECK(p.msg.origin == "r");
  CHECK_FALSE(p.forward);
}

TEST_CASE("Does forward send the payload byte-exact upstream, keeping the retain flag?", "[rules][engine]") {
  ActionSpec fwd;
  fwd.kind = ActionKind::forward;
  ActionSpec renamed = fwd;
  renamed.topic = loc("site/{{ topic }}");
  renamed.retain = false;
  Harness h({topic_rule("f", "meter/#", {fwd, renamed})});
  Event e;
  e.topic = "meter/1";
  e.payload = R"({ "kwh" : 1.50 })";
  e.retained = true;
  h.engine.on_event(e, h.parser, h.lookups, "pi-1", kT0, h.out);
  REQUIRE(h.out.size() == 2);
  const auto& a = std::get<Publish>(h.out[0].decision).msg;
  const auto& b = std::get<Publish>(h.out[1].decision).msg;
  CHECK(std::get<Publish>(h.out[0].decision).forward);
  CHECK(a.link == Link::upstream);
  CHECK(a.topic == "meter/1");
  CHECK(a.payload == R"({ "kwh" : 1.50 })");
  CHECK(a.retain == true);
  CHECK(a.qos == 1);
  CHECK(b.topic == "site/meter/1");
  CHECK(b.retain == false);
  CHECK(h.parser.parse_count() == 0);  // nothing read a field
}

TEST_CASE("Does a false `if` skip the rule, and only the matching rules fire, in rule order?", "[rules][engine]") {
  auto hot = topic_rule("hot", "s/#", {log_action("hot {{ payload.t }}")});
  hot.when.condition = loc("payload.t > 25");
  auto any = topic_rule("any", "s/+", {log_action("any")});
  auto other = topic_rule("other", "x/+", {log_action("other")});
  Harness h({hot, any, other});
  h.event(0s, "s/1", R"({"t": 20})");
  h.event(1s, "s/1", R"({"t": 30})");
  CHECK(h.take() == Lines{"0 any log any", "1 hot log hot 30", "1 any log any"});
}

TEST_CASE("Does throttle pass the first event per key and drop the rest until D passed?", "[rules][engine]") {
  auto spec = topic_rule("t", "door/+", {log_action("{{ topic }}")});
  spec.throttle = 10s;
  Harness h({spec});
  h.event(0s, "door/a", "1");
  h.event(3s, "door/a", "2");
  h.event(4s, "door/b", "3");  // another key: its own window
  h.event(9999ms, "door/a", "4");
  h.event(10s, "door/a", "5");  // D after the last one that passed
  h.event(15s, "door/a", "6");
  CHECK(h.take() == Lines{"0 t log door/a", "4 t log door/b", "10 t log door/a"});
}

TEST_CASE("Does debounce run once the key was quiet for D, with the last event?", "[rules][engine]") {
  auto spec = topic_rule("d", "btn/+", {log_action("{{ topic }}={{ payload }}")});
  spec.debounce = 5s;
  Harness h({spec});
  h.event(0s, "btn/a", "1");
  h.event(2s, "btn/a", "2");
  h.event(3s, "btn/b", "x");
  h.event(6s, "btn/a", "3");
  CHECK(h.take() == Lines{});
  CHECK(h.engine.next_due() == kT0 + 8s);
  h.tick(20s);
  CHECK(h.take() == Lines{"8 d log btn/b=x", "11 d log btn/a=3"});
}

TEST_CASE("Does dedupe drop a byte-equal payload within D per key, and pass it after D?", "[rules][engine]") {
  auto spec = topic_rule("dd", "m/+", {log_action("{{ topic }} {{ payload }}")});
  spec.dedupe = 1min;
  Harness h({spec});
  h.event(0s, "m/a", "on");
  h.event(10s, "m/a", "on");
  h.event(11s, "m/b", "on");
  h.event(12s, "m/a", "off");
  h.event(13s, "m/a", "on");  // differs from the last passed ("off")
  h.event(74s, "m/a", "on");  // D after the last passed
  CHECK(h.take() ==
        Lines{"0 dd log m/a on", "11 dd log m/b on", "12 dd log m/a off", "13 dd log m/a on", "74 dd log m/a on"});
}

TEST_CASE("Does `key` partition the windows instead of the topic?", "[rules][engine]") {
  auto spec = topic_rule("k", "z/+", {log_action("{{ payload.room }}")});
  spec.throttle = 1h;
  spec.key = loc("payload.room");
  Harness h({spec});
  h.event(0s, "z/1", R"({"room": "hall"})");
  h.event(1s, "z/2", R"({"room": "hall"})");  // another topic, same key: dropped
  h.event(2s, "z/1", R"({"room": "bath"})");
  CHECK(h.take() == Lines{"0 k log hall", "2 k log bath"});
}

TEST_CASE("Does `for` fire once after the condition held D, reset on false, and not re-fire?", "[rules][engine]") {
  auto spec = topic_rule("f", "freezer/+", {log_action("{{ topic }} {{ payload.t }}")});
  spec.when.condition = loc("payload.t > -10");
  spec.when.for_duration = 10min;
  Harness h({spec});
  h.event(0s, "freezer/a", R"({"t": -5})");
  h.event(5min, "freezer/a", R"({"t": -20})");  // false: resets
  h.event(6min, "freezer/a", R"({"t": -4})");   // new spell from 6min
  h.event(7min, "freezer/b", R"({"t": -3})");   // another key
  h.event(10min, "freezer/a", R"({"t": -2})");  // latest event of the spell
  h.tick(16min);
  CHECK(h.take() == Lines{"960 f log freezer/a -2"});
  h.event(17min, "freezer/a", R"({"t": -1})");  // still true: no restart, no re-fire
  h.tick(40min);
  CHECK(h.take() == Lines{"1020 f log freezer/b -3"});
  h.event(41min, "freezer/a", R"({"t": -30})");
  h.event(42min, "freezer/a", R"({"t": 0})");
  h.tick(52min);
  CHECK(h.take() == Lines{"3120 f log freezer/a 0"});
}

TEST_CASE("Does a delay chain continue at each due time with the same event?", "[rules][engine]") {
  auto spec = topic_rule(
      "light", "motion",
      {publish_action("light/set", "ON {{ payload }}"), delay_action(2min),
       publish_action("light/set", "OFF {{ payload }}"), delay_action(30s), log_action("done {{ payload }}")});
  Harness h({spec});
  h.event(0s, "motion", "m1");
  CHECK(h.take() == Lines{"0 light publish local light/set ON m1"});
  CHECK(h.engine.next_due() == kT0 + 2min);
  h.tick(10min);
  CHECK(h.take() == Lines{"120 light publish local light/set OFF m1", "150 light log done m1"});
  CHECK(h.engine.pending_timers() == 0);
}

TEST_CASE("Does mode single ignore a trigger while the rule waits in a delay?", "[rules][engine]") {
  auto spec =
      topic_rule("s", "go", {log_action("start {{ payload }}"), delay_action(1min), log_action("end {{ payload }}")});
  Harness h({spec});
  h.event(0s, "go", "1");
  h.event(30s, "go", "2");
  h.event(90s, "go", "3");
  h.tick(10min);
  CHECK(h.take() == Lines{"0 s log start 1", "30 s note single_busy [go]", "60 s log end 1", "90 s log start 3",
                          "150 s log end 3"});
  CHECK(h.engine.rule_stats()[0].count(NoteKind::single_busy) == 1);
}

TEST_CASE("Does mode restart cancel the running actions and start anew?", "[rules][engine]") {
  auto spec =
      topic_rule("r", "go", {log_action("start {{ payload }}"), delay_action(1min), log_action("end {{ payload }}")});
  spec.mode = Mode::restart;
  Harness h({spec});
  h.event(0s, "go", "1");
  h.event(30s, "go", "2");
  h.tick(10min);
  CHECK(h.take() == Lines{"0 r log start 1", "30 r log start 2", "90 r log end 2"});
}

TEST_CASE("Does mode queued run a trigger after the current run finishes?", "[rules][engine]") {
  auto spec =
      topic_rule("q", "go", {log_action("start {{ payload }}"), delay_action(1min), log_action("end {{ payload }}")});
  spec.mode = Mode::queued;
  Harness h({spec});
  h.event(0s, "go", "1");
  h.event(10s, "go", "2");
  h.event(20s, "go", "3");
  h.tick(10min);
  CHECK(h.take() == Lines{"0 q log start 1", "60 q log end 1", "60 q log start 2", "120 q log end 2",
                          "120 q log start 3", "180 q log end 3"});
}

TEST_CASE("Does mode parallel run every trigger concurrently?", "[rules][engine]") {
  auto spec =
      topic_rule("p", "go", {log_action("start {{ payload }}"), delay_action(1min), log_action("end {{ payload }}")});
  spec.mode = Mode::parallel;
  Harness h({spec});
  h.event(0s, "go", "1");
  h.event(10s, "go", "2");
  h.tick(10min);
  CHECK(h.take() == Lines{"0 p log start 1", "10 p log start 2", "60 p log end 1", "70 p log end 2"});
}

TEST_CASE("Do timers of different rules fire in due-time order, each at its due time?", "[rules][engine]") {
  auto a = topic_rule("a", "x", {delay_action(3s), log_action("a")});
  auto b = topic_rule("b", "x", {delay_action(1s), log_action("b")});
  auto c = topic_rule("c", "x", {log_action("c")});
  c.debounce = 2s;
  auto d = topic_rule("d", "x", {delay_action(1s), log_action("d")});
  Harness h({a, b, c, d});
  h.event(0s, "x", "");
  h.tick(5s);
  // b and d are due together: in the order their timers were set.
  CHECK(h.take() == Lines{"1 b log b", "1 d log d", "2 c log c", "3 a log a"});
}

TEST_CASE("Do `every` and `cron` rules fire on schedule, with the due time as `at`?", "[rules][engine]") {
  RuleSpec every;
  every.id = "tick";
  every.when.every = 1min;
  every.then = {log_action("every")};
  RuleSpec cron;
  cron.id = "cron";
  cron.when.cron = loc("*/2 * * * *");
  cron.then = {log_action("cron")};
  Harness h({every, cron});
  CHECK(h.engine.next_due() == kT0 + 1min);
  h.tick(150s);
  // kT0 is an odd minute: "*/2" first fires a minute later.
  CHECK(h.take() == Lines{"60 tick log every", "60 cron log cron", "120 tick log every"});
  CHECK(h.engine.next_due() == kT0 + 3min);
}

TEST_CASE("Do gateway and device triggers fire only for their event?", "[rules][engine]") {
  RuleSpec gw;
  gw.id = "gw";
  gw.when.gateway_event = "upstream_down";
  gw.then = {log_action("down")};
  RuleSpec dev;
  dev.id = "dev";
  dev.when.device = loc("hall");
  dev.when.device_event = "offline";
  dev.then = {log_action("offline {{ topic }}")};
  Harness h({gw, dev});
  h.engine.on_gateway_event("upstream_up", h.parser, h.lookups, "pi-1", kT0, h.out);
  h.engine.on_gateway_event("upstream_down", h.parser, h.lookups, "pi-1", kT0, h.out);
  Event e;
  e.topic = "z2m/hall/availability";
  h.engine.on_device_event(e, "hall", "online", h.parser, h.lookups, "pi-1", kT0, h.out);
  h.engine.on_device_event(e, "kitchen", "offline", h.parser, h.lookups, "pi-1", kT0, h.out);
  h.engine.on_device_event(e, "hall", "offline", h.parser, h.lookups, "pi-1", kT0, h.out);
  CHECK(h.take() == Lines{"0 gw log down", "0 dev log offline z2m/hall/availability"});
}

TEST_CASE("Does a `from: upstream` trigger see only upstream events, and a local one only local?", "[rules][engine]") {
  auto up = topic_rule("up", "cmd/#", {log_action("up")});
  up.when.from_upstream = true;
  auto local = topic_rule("local", "cmd/#", {log_action("local")});
  Harness h({up, local});
  h.event(0s, "cmd/1", "", Link::upstream);
  h.event(1s, "cmd/1", "", Link::local);
  CHECK(h.take() == Lines{"0 up log up", "1 local log local"});
}

TEST_CASE("Is a rendered topic that is invalid skipped and counted, not published?", "[rules][engine]") {
  auto spec = topic_rule("bad", "in/+", {publish_action("out/{{ payload.name }}", "x"), log_action("after")});
  Harness h({spec});
  h.event(0s, "in/1", R"({"name": "a+b"})");
  h.event(1s, "in/1", R"({"other": 1})");
  h.event(2s, "in/1", R"({"name": "ok"})");
  CHECK(h.take() == Lines{"0 bad note bad_topic action 0 [in/1]", "0 bad log after",
                          "1 bad note bad_topic action 0 [in/1]", "1 bad log after", "2 bad publish local out/ok x",
                          "2 bad log after"});
  CHECK(h.engine.rule_stats()[0].count(NoteKind::bad_topic) == 2);
}

TEST_CASE("Does a disabled rule never fire?", "[rules][engine]") {
  auto spec = topic_rule("off", "#", {log_action("x")});
  spec.enabled = false;
  RuleSpec every;
  every.id = "every-off";
  every.enabled = false;
  every.when.every = 1s;
  every.then = {log_action("y")};
  Harness h({spec, every});
  h.event(0s, "a", "");
  h.tick(1h);
  CHECK(h.take().empty());
  CHECK(h.engine.pending_timers() == 0);
}

TEST_CASE("Does `set` give typed values: numbers stay numbers, maps become objects?", "[rules][engine]") {
  ActionSpec set;
  set.kind = ActionKind::set;
  set.values.emplace_back("temp", text_payload("{{ payload.t }}"));
  set.values.emplace_back("label", text_payload("t={{ payload.t }}"));
  PayloadSpec map;
  map.value = PayloadSpec::Map{{"t", text_payload("{{ payload.t }}")}, {"on", PayloadSpec{true, {}}}};
  set.values.emplace_back("obj", map);
  set.values.emplace_back("n", PayloadSpec{3.0, {}});
  Harness h({topic_rule("s", "t", {set})});
  h.event(0s, "t", R"({"t": 21.5})");
  CHECK(h.take() ==
        Lines{"0 s set temp=21.5", "0 s set label=\"t=21.5\"", R"(0 s set obj={"t":21.5,"on":true})", "0 s set n=3"});
}

TEST_CASE("Does a reload keep the state of unchanged rules and drop that of changed ones?", "[rules][engine]") {
  auto same = topic_rule("same", "a", {log_action("same")});
  same.throttle = 1h;
  auto changed = topic_rule("changed", "a", {log_action("changed")});
  changed.throttle = 1h;
  auto waiting = topic_rule("waiting", "a", {delay_action(1min), log_action("resumed")});
  Harness h({same, changed, waiting});
  h.event(0s, "a", "");
  CHECK(h.take() == Lines{"0 same log same", "0 changed log changed"});

  auto moved = same;  // positions and description do not count
  moved.pos.line = 40;
  moved.description = "edited";
  auto changed2 = changed;
  changed2.throttle = 2h;
  h.engine.replace_rules(compile_rules({waiting, changed2, moved}));
  h.event(10s, "a", "");
  h.tick(2min);
  CHECK(h.take() == Lines{"10 waiting note single_busy [a]", "10 changed log changed", "60 waiting log resumed"});

  h.event(3min, "a", "");  // waiting starts again; the others are throttled
  CHECK(h.take().empty());
  CHECK(h.engine.pending_timers() == 1);
  h.engine.replace_rules(compile_rules({moved}));  // waiting removed: its timer goes
  CHECK(h.engine.pending_timers() == 0);
  h.event(1h, "a", "");
  CHECK(h.take() == Lines{"3600 same log same"});
}
