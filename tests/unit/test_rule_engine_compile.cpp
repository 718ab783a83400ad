#include <catch2/catch.hpp>

#include "test_rule_engine_support.h"

using namespace edgegw;
using namespace edgegw::rules;
using namespace edgegw::rules::testing;
using namespace std::chrono_literals;

namespace {

// Every diagnostic, formatted; checks that no set was built when there are errors.
std::vector<std::string> errors(const std::vector<RuleSpec>& specs, bool has_upstream = true) {
  Diagnostics diag;
  auto set = RuleSet::compile(specs, diag, has_upstream);
  CHECK((set == nullptr) == diag.has_errors());
  std::vector<std::string> lines;
  for (const auto& d : diag.items()) lines.push_back(d.format());
  return lines;
}

RuleSpec ok_rule(std::string id, int line = 3) { return topic_rule(std::move(id), "a/b", {log_action("hi")}, line); }

}  // namespace

TEST_CASE("Is an expression error placed at its column inside the `if` text?", "[rules][engine][compile]") {
  auto spec = ok_rule("r");
  spec.when.condition = loc("payload.t > avg(1)", 6, 11);
  const auto expected = Expression::compile("payload.t > avg(1)");
  REQUIRE_FALSE(expected.ok());
  const auto lines = errors({spec});
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "rules.yaml:6:" + std::to_string(11 + expected.error().column - 1) +
                        ": error: rules[0].when.if: " + expected.error().message);
}

TEST_CASE("Are template, topic, filter and cron errors all reported in one pass, positioned?",
          "[rules][engine][compile]") {
  auto a = topic_rule("a", "bad/#/x", {publish_action("out/+/{{ topic }}", "{{ payload.x ", Link::local)}, 3);
  a.key = loc("topic[", 7, 10);
  RuleSpec b = ok_rule("b", 20);
  b.when.topics.clear();
  b.when.cron = loc("0 7 * * 8", 21, 13);
  b.then.push_back(log_action("{{ }}"));
  b.enabled = false;  // disabled rules are still checked
  const auto lines = errors({a, b});
  REQUIRE(lines.size() == 6);
  CHECK(lines[0] == "rules.yaml:4:14: error: rules[0].when.topic: 'bad/#/x' is not a valid MQTT topic filter");
  CHECK(lines[1].rfind("rules.yaml:9:", 0) == 0);
  CHECK(lines[1].find("rules[0].then[0].publish.topic: ") != std::string::npos);
  CHECK(lines[2].rfind("rules.yaml:9:", 0) == 0);
  CHECK(lines[2].find("rules[0].then[0].publish.payload") != std::string::npos);
  CHECK(lines[3].rfind("rules.yaml:7:", 0) == 0);
  CHECK(lines[3].find("rules[0].key: ") != std::string::npos);
  CHECK(lines[4] ==
        "rules.yaml:21:21: error: rules[1].when.cron: bad cron day of week field '8' "
        "(allowed 0-7, *, lists, ranges, steps)");
  CHECK(lines[5].rfind("rules.yaml:8:", 0) == 0);
  CHECK(lines[5].find("rules[1].then[1].log: ") != std::string::npos);
}

TEST_CASE("Is a duplicate id an error at the second, naming the first's file and line?", "[rules][engine][compile]") {
  auto first = ok_rule("same", 3);
  auto second = ok_rule("same", 30);
  second.pos.file = second.id_pos.file = "other.yaml";
  const auto lines = errors({first, ok_rule("x", 10), second});
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "other.yaml:30:9: error: rules[0].id: duplicate rule id 'same' (first defined at rules.yaml:3)");
}

TEST_CASE("Must a trigger have exactly one kind, with known device and gateway events?", "[rules][engine][compile]") {
  auto none = ok_rule("none");
  none.when.topics.clear();
  auto two = ok_rule("two");
  two.when.every = 5min;
  auto dev = ok_rule("dev");
  dev.when.topics.clear();
  dev.when.device = loc("hall");
  dev.when.device_event = "gone";
  auto gw = ok_rule("gw");
  gw.when.topics.clear();
  gw.when.gateway_event = "exploded";
  const auto lines = errors({none, two, dev, gw});
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] ==
        "rules.yaml:4:7: error: rules[0].when: a trigger needs one of topic, device, every, cron or gateway");
  CHECK(lines[1] ==
        "rules.yaml:4:7: error: rules[1].when: a trigger has exactly one of topic, device, every, cron or gateway");
  CHECK(lines[2] ==
        "rules.yaml:4:7: error: rules[2].when.event: unknown device event 'gone' (online, offline or state)");
  CHECK(lines[3] ==
        "rules.yaml:4:7: error: rules[3].when.gateway: unknown gateway event 'exploded' "
        "(upstream_down, upstream_up or started)");
}

TEST_CASE("Do upstream publishes, forwards and `from: upstream` need an upstream?", "[rules][engine][compile]") {
  auto pub = topic_rule("pub", "a", {publish_action("x", "y", Link::upstream)});
  ActionSpec fwd;
  fwd.kind = ActionKind::forward;
  fwd.pos = {"rules.yaml", 12, 9};
  auto forward = topic_rule("fwd", "a", {fwd});
  auto from = ok_rule("from");
  from.when.from_upstream = true;
  auto local = topic_rule("local", "a", {publish_action("x", "y", Link::local)});
  CHECK(errors({pub, forward, from, local}, true).empty());
  const auto lines = errors({pub, forward, from, local}, false);
  REQUIRE(lines.size() == 3);
  CHECK(
      lines[0] ==
      "rules.yaml:8:9: error: rules[0].then[0].publish: publish to upstream needs an upstream section in gateway.yaml");
  CHECK(lines[1] ==
        "rules.yaml:12:9: error: rules[1].then[0].forward: forward needs an upstream section in gateway.yaml");
  CHECK(lines[2] ==
        "rules.yaml:4:7: error: rules[2].when.from: 'from: upstream' needs an upstream section in gateway.yaml");
}

TEST_CASE("Is a disabled rule that needs an upstream only a warning without one?", "[rules][engine][compile]") {
  auto pub = topic_rule("pub", "a", {publish_action("x", "y", Link::upstream)});
  pub.enabled = false;  // as the shipped examples are
  Diagnostics diag;
  auto set = RuleSet::compile({pub}, diag, false);
  REQUIRE(set != nullptr);
  REQUIRE(diag.items().size() == 1);
  CHECK(diag.items()[0].format() ==
        "rules.yaml:8:9: warning: rules[0].then[0].publish: publish to upstream needs an upstream section in "
        "gateway.yaml (the rule is disabled)");
  CHECK(set->filters(Link::local).empty());  // and it subscribes to nothing
}

TEST_CASE("Are bad action fields (qos, log level, http) reported?", "[rules][engine][compile]") {
  auto p = publish_action("x", "y");
  p.qos = 3;
  auto l = log_action("m");
  l.level = "loud";
  ActionSpec http;
  http.kind = ActionKind::http;
  http.pos = {"rules.yaml", 14, 9};
  http.method = "DELETE";
  const auto lines = errors({topic_rule("r", "a", {p, l, http})});
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "rules.yaml:8:9: error: rules[0].then[0].publish.qos: must be 0, 1 or 2, not 3");
  CHECK(lines[1] ==
        "rules.yaml:8:9: error: rules[0].then[1].log.level: unknown level 'loud' (trace, debug, info, warn or error)");
  CHECK(lines[2] == "rules.yaml:14:9: error: rules[0].then[2].http.method: unknown method 'DELETE' (POST, PUT or GET)");
  CHECK(lines[3] == "rules.yaml:14:9: error: rules[0].then[2].http.url: an http action needs a url");
}

TEST_CASE("Does the rule index in messages count within each file?", "[rules][engine][compile]") {
  auto a = ok_rule("a");
  auto b = ok_rule("b");
  b.pos.file = "b.yaml";
  b.when.condition = loc("nope(", 6, 11);
  b.when.condition->pos.file = "b.yaml";
  const auto lines = errors({a, b});
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("b.yaml:6:", 0) == 0);
  CHECK(lines[0].find("rules[0].when.if: ") != std::string::npos);
}

TEST_CASE("Does the fingerprint ignore positions and description but see every behaviour?",
          "[rules][engine][compile]") {
  const auto base = ok_rule("r");
  auto moved = base;
  moved.pos.line = 99;
  moved.when.topics[0].pos.line = 100;
  moved.description = "new words";
  CHECK(rule_fingerprint(base) == rule_fingerprint(moved));
  auto throttled = base;
  throttled.throttle = 1s;
  auto retopic = base;
  retopic.when.topics[0].text = "a/c";
  auto mode = base;
  mode.mode = Mode::queued;
  auto message = base;
  message.then[0].message->text = "ho";
  for (const auto* changed : {&throttled, &retopic, &mode, &message}) {
    CHECK(rule_fingerprint(base) != rule_fingerprint(*changed));
  }
}

TEST_CASE("Does the rule set index topic triggers by link and list their filters?", "[rules][engine][compile]") {
  auto a = topic_rule("a", "x/+", {log_action("a")});
  a.when.topics.push_back(loc("y/#"));
  auto b = topic_rule("b", "x/+", {log_action("b")});
  auto c = topic_rule("c", "cmd/#", {log_action("c")});
  c.when.from_upstream = true;
  auto off = topic_rule("off", "z", {log_action("off")});
  off.enabled = false;
  const auto set = compile_rules({a, b, c, off});
  CHECK(set->filters(Link::local) == std::vector<std::string>{"x/+", "y/#"});
  CHECK(set->filters(Link::upstream) == std::vector<std::string>{"cmd/#"});
  std::vector<uint32_t> hits;
  set->trie(Link::local).match("x/1", hits);
  CHECK(hits == std::vector<uint32_t>{0, 1});
  CHECK(set->index_of("c") == 2);
  CHECK(set->index_of("nope") == -1);
}
