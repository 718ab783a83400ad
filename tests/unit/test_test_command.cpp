// edgegw test: RFC 3339 times, the events file, effect lines and the
// simulated clock (with a scripted RuleDriver; the golden files with the real
// engine are in test_test_command_golden.cpp).
#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/sim/dry_run.h"
#include "gateway/sim/effect_lines.h"
#include "gateway/base/rfc3339.h"
#include "gateway/sim/sim_events.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace std::chrono_literals;

namespace {

TimePoint at(const char* text) {
  auto t = parse_rfc3339(text);
  REQUIRE(t);
  return *t;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

rules::TimedDecision log_at(TimePoint t, std::string message) {
  return {t, rules::LogLine{"fake", "info", std::move(message)}};
}

// A scripted engine. Events on "timer/<name>" arm a timer named after the
// payload's `name`, due `payload.after_s` seconds later; "set/<name>" sets
// state <name> to the payload; anything else logs what the lookups answer.
class FakeDriver : public RuleDriver {
 public:
  std::vector<std::string> gateway_events;

  void on_event(const Event& e, rules::JsonParser& parser, const rules::Lookups& lookups, TimePoint now,
                std::vector<rules::TimedDecision>& out) override {
    rules::Payload payload(e.payload, parser);
    if (e.topic.starts_with("timer/")) {
      rules::PathKey after[] = {{"after_s"}};
      double seconds = payload.get(after).as_number();
      timers_.emplace(now + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds)),
                      e.topic.substr(6));
    } else if (e.topic.starts_with("set/")) {
      out.push_back({now, rules::SetState{"fake", e.topic.substr(4), payload.get({})}});
    } else {
      rules::PathKey v[] = {{"v"}};
      out.push_back(log_at(now, e.topic + " state.n=" + lookups.state("n").to_json() +
                                    " previous.v=" + lookups.previous(e, v).to_json()));
    }
  }
  void on_gateway_event(std::string_view name, rules::JsonParser&, const rules::Lookups&, TimePoint now,
                        std::vector<rules::TimedDecision>& out) override {
    gateway_events.emplace_back(name);
    out.push_back(log_at(now, std::string(name)));
  }
  void on_tick(TimePoint now, rules::JsonParser&, const rules::Lookups& lookups,
               std::vector<rules::TimedDecision>& out) override {
    while (!timers_.empty() && timers_.begin()->first <= now) {
      auto [due, name] = *timers_.begin();
      timers_.erase(timers_.begin());
      out.push_back(log_at(due, "timer " + name + " state.n=" + lookups.state("n").to_json()));
    }
  }
  std::optional<TimePoint> next_due() const override {
    if (timers_.empty()) return std::nullopt;
    return timers_.begin()->first;
  }

 private:
  std::multimap<TimePoint, std::string> timers_;
};

// Runs `events_text` through a FakeDriver (and `routes`), returning stdout's
// lines.
struct FakeRun {
  FakeDriver driver;
  rules::Routes routes;
  std::ostringstream out, notes;
  Diagnostics diags;

  std::vector<std::string> run(const std::string& events_text, std::optional<TimePoint> until = std::nullopt,
                               TimePoint real_now = TimePoint{}) {
    auto events = parse_events(events_text, "events.jsonl", diags);
    DryRun dry(driver, routes, "pi-1", out, notes);
    run_events(dry, events, "events.jsonl", until, real_now, diags);
    return lines_of(out.str());
  }
};

}  // namespace

TEST_CASE("Does an RFC 3339 UTC time read and print back unchanged?", "[test_command][rfc3339]") {
  for (const char* text : {"2026-11-22T07:00:00Z", "2026-11-22T07:00:00.5Z", "2026-11-22T07:00:00.123456789Z",
                           "1970-01-01T00:00:00Z", "2000-02-29T23:59:59.001Z", "1969-12-31T23:59:59.25Z"}) {
    CAPTURE(text);
    auto t = parse_rfc3339(text);
    REQUIRE(t);
    CHECK(format_rfc3339(*t) == text);
  }
  CHECK(to_unix_ms(at("1970-01-01T00:00:01.5Z")) == 1500);
  CHECK(to_unix_ms(at("2026-11-22T07:00:00Z")) == 1795330800000);
}

TEST_CASE(
    "Does a formatted time carry a fraction only when it is not a whole "
    "second?",
    "[test_command][rfc3339]") {
  TimePoint t = at("2026-11-22T07:00:00Z");
  CHECK(format_rfc3339(t) == "2026-11-22T07:00:00Z");
  CHECK(format_rfc3339(t + 250ms) == "2026-11-22T07:00:00.25Z");
  CHECK(format_rfc3339(t + 10min + 1ns) == "2026-11-22T07:10:00.000000001Z");
  CHECK(format_rfc3339(t + 24h * 40) == "2027-01-01T07:00:00Z");
}

TEST_CASE("Are offsets converted to UTC and extra fraction digits cut?", "[test_command][rfc3339]") {
  CHECK(at("2026-11-22T08:30:00+01:30") == at("2026-11-22T07:00:00Z"));
  CHECK(at("2026-11-21T23:00:00-08:00") == at("2026-11-22T07:00:00Z"));
  CHECK(at("2026-11-22t07:00:00z") == at("2026-11-22T07:00:00Z"));
  CHECK(format_rfc3339(at("2026-11-22T07:00:00.1234567891Z")) == "2026-11-22T07:00:00.123456789Z");
}

TEST_CASE("Are malformed or impossible times refused?", "[test_command][rfc3339]") {
  for (const char* text :
       {"", "2026-11-22", "2026-11-22T07:00:00", "2026-11-22T07:00Z", "2026-02-30T07:00:00Z", "2026-13-01T07:00:00Z",
        "2026-11-22T24:00:00Z", "2026-11-22T07:60:00Z", "2026-11-22T07:00:60Z", "2026-11-22T07:00:00.Z",
        "2026-11-22T07:00:00Z ", "2026-11-22T07:00:00+1:00", "2026-11-22T07:00:00+24:00", "26-11-22T07:00:00Z",
        "2026-11-22T07:00:0aZ"}) {
    CAPTURE(text);
    CHECK_FALSE(parse_rfc3339(text));
  }
}

TEST_CASE(
    "Does an event line's JSON payload become compact JSON text in "
    "written key order?",
    "[test_command][events]") {
  auto ev = parse_event_line(R"({"topic": "a/b", "payload": {"z": 1, "a": [true, null, 2.5], "s": "x"}})");
  REQUIRE(ev.ok());
  CHECK(ev->event.topic == "a/b");
  CHECK(ev->event.payload == R"({"z":1,"a":[true,null,2.5],"s":"x"})");
  CHECK_FALSE(ev->at);
  CHECK(ev->event.link == Link::local);
  CHECK_FALSE(ev->event.retained);
}

TEST_CASE("Does a string payload stay its text, with at, retain, from and qos read?", "[test_command][events]") {
  auto ev = parse_event_line(
      R"({"topic": "cmd/x", "payload": "ON \"now\"", "at": "2026-11-22T07:00:01Z", "retain": true, "from": "upstream", "qos": 2})");
  REQUIRE(ev.ok());
  CHECK(ev->event.payload == "ON \"now\"");
  REQUIRE(ev->at);
  CHECK(*ev->at == at("2026-11-22T07:00:01Z"));
  CHECK(ev->event.retained);
  CHECK(ev->event.link == Link::upstream);
  CHECK(ev->event.qos == 2);
  auto no_payload = parse_event_line(R"({"topic": "x"})");
  REQUIRE(no_payload.ok());
  CHECK(no_payload->event.payload.empty());
  auto number = parse_event_line(R"({"topic": "x", "payload": 21.5})");
  REQUIRE(number.ok());
  CHECK(number->event.payload == "21.5");
}

TEST_CASE(
    "Is every bad events line reported with its line number while the "
    "good ones are kept?",
    "[test_command][events]") {
  std::string text =
      "{\"topic\": \"ok/1\"}\n"
      "\n"
      "{\"topic\": \"ok/2\", \"payload\": 1\n"
      "{\"payload\": 1}\n"
      "{\"topic\": \"a/+\"}\n"
      "{\"topic\": \"x\", \"at\": \"yesterday\"}\n"
      "{\"topic\": \"x\", \"from\": \"cloud\"}\n"
      "{\"topic\": \"x\", \"retian\": true}\n"
      "[1, 2]\n"
      "{\"topic\": \"ok/3\", \"qos\": 3}\n"
      "{\"topic\": \"ok/4\"}\n";
  Diagnostics diags;
  auto events = parse_events(text, "ev.jsonl", diags);
  REQUIRE(events.size() == 2);
  CHECK(events[0].event.topic == "ok/1");
  CHECK(events[0].line == 1);
  CHECK(events[1].event.topic == "ok/4");
  CHECK(events[1].line == 11);
  auto out = lines_of(diags.format_all());
  REQUIRE(out.size() == 8);
  CHECK(out[0].starts_with("ev.jsonl:3:"));
  CHECK(out[1] == "ev.jsonl:4:1: error: missing key 'topic'");
  CHECK(out[2] == "ev.jsonl:5:1: error: topic: 'a/+' is not a valid topic name");
  CHECK(out[3] ==
        "ev.jsonl:6:1: error: at: expected an RFC 3339 time such as "
        "\"2026-11-22T07:00:00Z\"");
  CHECK(out[4] == "ev.jsonl:7:1: error: from: expected \"local\" or \"upstream\"");
  CHECK(out[5] ==
        "ev.jsonl:8:1: error: unknown key 'retian' (expected topic, "
        "payload, payload_base64, at, retain, from, qos)");
  CHECK(out[6] == "ev.jsonl:9:1: error: expected a JSON object");
  CHECK(out[7] == "ev.jsonl:10:1: error: qos: expected 0, 1 or 2");
}

TEST_CASE("Do effect lines carry every key in the design's order?", "[test_command][effects]") {
  TimePoint t = at("2026-11-22T07:00:00Z");
  rules::Enqueue q;
  q.link = Link::upstream;
  q.topic = "alerts/pi-1/kitchen";
  q.payload = R"({"temp":-8})";
  q.qos = 1;
  q.origin = "freezer";
  CHECK(
      effect_line({t, rules::Publish{q, false}}) ==
      R"({"at": "2026-11-22T07:00:00Z", "rule": "freezer", "action": "publish", "to": "upstream", "topic": "alerts/pi-1/kitchen", "payload": "{\"temp\":-8}", "qos": 1, "retain": false})");
  q.link = Link::local;
  q.retain = true;
  q.qos = 0;
  q.origin = "route:in:cmd/#";
  CHECK(
      enqueue_line(t + 500ms, q, true) ==
      R"({"at": "2026-11-22T07:00:00.5Z", "rule": "route:in:cmd/#", "action": "forward", "to": "local", "topic": "alerts/pi-1/kitchen", "payload": "{\"temp\":-8}", "qos": 0, "retain": true})");
  CHECK(effect_line(
            {t, rules::SetState{"r", "mode", rules::Value::from_object({{"a", rules::Value::from_number(3)}})}}) ==
        R"({"at": "2026-11-22T07:00:00Z", "rule": "r", "action": "set", "name": "mode", "value": {"a":3}})");
  CHECK(effect_line({t, rules::SetState{"r", "away", rules::Value::from_bool(true)}}) ==
        R"({"at": "2026-11-22T07:00:00Z", "rule": "r", "action": "set", "name": "away", "value": true})");
  CHECK(effect_line({t, rules::LogLine{"r", "warn", "door \"open\""}}) ==
        R"({"at": "2026-11-22T07:00:00Z", "rule": "r", "action": "log", "message": "door \"open\""})");
  CHECK(
      effect_line({t, rules::HttpCall{"r", "POST", "https://h/x", {{"A", "b"}}, "{}", 5s, 3}}) ==
      R"({"at": "2026-11-22T07:00:00Z", "rule": "r", "action": "http", "method": "POST", "url": "https://h/x", "body": "{}"})");
}

TEST_CASE(
    "Do timers due between two events fire first, in time order, at "
    "their due times?",
    "[test_command][clock]") {
  FakeRun r;
  auto out = r.run(
      "{\"topic\": \"timer/late\", \"payload\": {\"after_s\": 90}, "
      "\"at\": \"2026-11-22T07:00:00Z\"}\n"
      "{\"topic\": \"timer/early\", \"payload\": {\"after_s\": 30}, "
      "\"at\": \"2026-11-22T07:00:00Z\"}\n"
      "{\"topic\": \"timer/half\", \"payload\": {\"after_s\": 0.5}, "
      "\"at\": \"2026-11-22T07:00:10Z\"}\n"
      "{\"topic\": \"probe\", \"at\": \"2026-11-22T07:05:00Z\"}\n");
  CHECK_FALSE(r.diags.has_errors());
  REQUIRE(out.size() == 5);
  CHECK(out[0] == R"({"at": "2026-11-22T07:00:00Z", "rule": "fake", "action": "log", "message": "started"})");
  CHECK(out[1] ==
        R"({"at": "2026-11-22T07:00:10.5Z", "rule": "fake", "action": "log", "message": "timer half state.n=null"})");
  CHECK(out[2] ==
        R"({"at": "2026-11-22T07:00:30Z", "rule": "fake", "action": "log", "message": "timer early state.n=null"})");
  CHECK(out[3] ==
        R"({"at": "2026-11-22T07:01:30Z", "rule": "fake", "action": "log", "message": "timer late state.n=null"})");
  CHECK(out[4].starts_with(R"({"at": "2026-11-22T07:05:00Z", "rule": "fake", "action": "log", "message": "probe)"));
}

TEST_CASE("Does the clock stop at the last event unless --until runs it further?", "[test_command][clock]") {
  std::string events =
      "{\"topic\": \"timer/t\", \"payload\": {\"after_s\": "
      "600}, \"at\": \"2026-11-22T07:00:00Z\"}\n"
      "{\"topic\": \"timer/now\", \"payload\": {\"after_s\": "
      "0}, \"at\": \"2026-11-22T07:00:05Z\"}\n";
  FakeRun stop;
  auto out = stop.run(events);
  REQUIRE(out.size() == 2);  // started, and the zero timer due at the last event's own time
  CHECK(out[1] ==
        R"({"at": "2026-11-22T07:00:05Z", "rule": "fake", "action": "log", "message": "timer now state.n=null"})");

  FakeRun early;
  CHECK(early.run(events, at("2026-11-22T07:09:59Z")).size() == 2);
  FakeRun until;
  out = until.run(events, at("2026-11-22T07:10:00Z"));
  REQUIRE(out.size() == 3);
  CHECK(out[2] ==
        R"({"at": "2026-11-22T07:10:00Z", "rule": "fake", "action": "log", "message": "timer t state.n=null"})");
}

TEST_CASE("Does the clock start at the real time when the first event has no time?", "[test_command][clock]") {
  FakeRun r;
  auto out = r.run(
      "{\"topic\": \"probe\"}\n{\"topic\": \"probe\", \"at\": "
      "\"2030-01-01T00:00:00Z\"}\n",
      std::nullopt, at("2029-06-01T12:00:00Z"));
  REQUIRE(out.size() == 3);
  CHECK(out[0].starts_with(R"({"at": "2029-06-01T12:00:00Z", "rule": "fake", "action": "log", "message": "started")"));
  CHECK(out[1].starts_with(R"({"at": "2029-06-01T12:00:00Z")"));
  CHECK(out[2].starts_with(R"({"at": "2030-01-01T00:00:00Z")"));
  CHECK(r.driver.gateway_events == std::vector<std::string>{"started"});
}

TEST_CASE("Does an event earlier than the clock get reported and skipped?", "[test_command][clock]") {
  FakeRun r;
  auto out = r.run(
      "{\"topic\": \"probe\", \"at\": \"2026-11-22T07:00:10Z\"}\n"
      "{\"topic\": \"probe\", \"at\": \"2026-11-22T07:00:09Z\"}\n"
      "{\"topic\": \"probe\", \"at\": \"2026-11-22T07:00:11Z\"}\n");
  CHECK(out.size() == 3);  // started + two probes
  CHECK(r.diags.format_all() ==
        "events.jsonl:2:1: error: at: 2026-11-22T07:00:09Z is before the "
        "previous event's time "
        "2026-11-22T07:00:10Z (events must be in time order)\n");
}

TEST_CASE(
    "Do later events and timers see the values set so far and the "
    "topic's previous payload?",
    "[test_command][lookups]") {
  FakeRun r;
  auto out = r.run(
      "{\"topic\": \"probe\", \"payload\": {\"v\": 1}, \"at\": "
      "\"2026-11-22T07:00:00Z\"}\n"
      "{\"topic\": \"timer/t\", \"payload\": {\"after_s\": 60}}\n"
      "{\"topic\": \"set/n\", \"payload\": {\"k\": [1, \"two\"]}}\n"
      "{\"topic\": \"probe\", \"payload\": {\"v\": 2}, \"at\": "
      "\"2026-11-22T07:00:30Z\"}\n"
      "{\"topic\": \"other\", \"payload\": {\"v\": 9}, \"at\": "
      "\"2026-11-22T07:02:00Z\"}\n");
  REQUIRE(out.size() == 6);
  CHECK(
      out[1] ==
      R"({"at": "2026-11-22T07:00:00Z", "rule": "fake", "action": "log", "message": "probe state.n=null previous.v=null"})");
  CHECK(out[2] ==
        R"({"at": "2026-11-22T07:00:00Z", "rule": "fake", "action": "set", "name": "n", "value": {"k":[1,"two"]}})");
  CHECK(
      out[3] ==
      R"({"at": "2026-11-22T07:00:30Z", "rule": "fake", "action": "log", "message": "probe state.n={\"k\":[1,\"two\"]} previous.v=1"})");
  CHECK(
      out[4] ==
      R"({"at": "2026-11-22T07:01:00Z", "rule": "fake", "action": "log", "message": "timer t state.n={\"k\":[1,\"two\"]}"})");
  CHECK(
      out[5] ==
      R"({"at": "2026-11-22T07:02:00Z", "rule": "fake", "action": "log", "message": "other state.n={\"k\":[1,\"two\"]} previous.v=null"})");
}

TEST_CASE(
    "Do forward routes print forward lines named after the route, in "
    "both directions?",
    "[test_command][routes]") {
  rules::RouteSpec out_route;
  out_route.from = "zigbee2mqtt/+";
  out_route.to = "sites/{{ gateway.id }}/{{ topic }}";
  rules::RouteSpec in_route;
  in_route.from = "cmd/#";
  in_route.direction = rules::Direction::in;
  in_route.qos = 0;
  Diagnostics route_diags;
  FakeRun r;
  r.routes = rules::Routes::compile({out_route, in_route}, route_diags);
  REQUIRE_FALSE(route_diags.has_errors());
  auto out = r.run(
      "{\"topic\": \"zigbee2mqtt/plug\", \"payload\": {\"power\": "
      "5}, \"retain\": true, \"at\": \"2026-11-22T07:00:00Z\"}\n"
      "{\"topic\": \"cmd/plug\", \"payload\": \"ON\", \"from\": "
      "\"upstream\"}\n");
  REQUIRE(out.size() == 5);  // started, and per event a forward line and the fake's log line
  CHECK(
      out[1] ==
      R"({"at": "2026-11-22T07:00:00Z", "rule": "route:zigbee2mqtt/+", "action": "forward", "to": "upstream", "topic": "sites/pi-1/zigbee2mqtt/plug", "payload": "{\"power\":5}", "qos": 1, "retain": true})");
  CHECK(
      out[3] ==
      R"({"at": "2026-11-22T07:00:00Z", "rule": "route:in:cmd/#", "action": "forward", "to": "local", "topic": "cmd/plug", "payload": "ON", "qos": 0, "retain": false})");
}
