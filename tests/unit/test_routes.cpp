#include <catch2/catch.hpp>

#include "rules/routes.h"
#include "test_rules_support.h"

using namespace edgegw;
using namespace edgegw::rules;
using namespace edgegw::rules::testing;

namespace {

RouteSpec route(std::string from, std::optional<std::string> to = std::nullopt, Direction direction = Direction::out) {
  RouteSpec r;
  r.from = std::move(from);
  r.to = std::move(to);
  r.direction = direction;
  r.from_pos = {"gateway.yaml", 10, 11};
  r.to_pos = {"gateway.yaml", 11, 10};
  r.if_pos = {"gateway.yaml", 12, 10};
  r.pos = {"gateway.yaml", 10, 5};
  return r;
}

Routes compile_ok(const std::vector<RouteSpec>& specs) {
  Diagnostics diag;
  Routes routes = Routes::compile(specs, diag);
  INFO(diag.format_all());
  REQUIRE_FALSE(diag.has_errors());
  return routes;
}

std::vector<Enqueue> run(const Routes& routes, Env& env, Routes::Outcome* outcome = nullptr) {
  std::vector<Enqueue> out;
  auto ctx = env.ctx();
  const auto o = routes.on_event(ctx, out);
  if (outcome != nullptr) *outcome = o;
  return out;
}

}  // namespace

TEST_CASE("Does an out route forward a local message upstream, byte-exact?", "[rules][routes]") {
  const Routes routes = compile_ok({route("zigbee2mqtt/+")});
  Env env(R"({ "temperature" : 21.50, "battery":97 })", "zigbee2mqtt/kitchen");
  const auto out = run(routes, env);
  REQUIRE(out.size() == 1);
  CHECK(out[0].link == Link::upstream);
  CHECK(out[0].topic == "zigbee2mqtt/kitchen");
  CHECK(out[0].payload == R"({ "temperature" : 21.50, "battery":97 })");
  CHECK(out[0].qos == 1);
  CHECK(out[0].retain == false);
  CHECK(out[0].priority == Priority::normal);
  CHECK(out[0].latest_only == false);
  CHECK(out[0].origin == "route:zigbee2mqtt/+");
  CHECK(env.parser.parse_count() == 0);  // no `if`, no field in `to`: never parsed
}

TEST_CASE("Does a route ignore other topics and the other link?", "[rules][routes]") {
  const Routes routes = compile_ok({route("zigbee2mqtt/+")});
  Env deeper("1", "zigbee2mqtt/kitchen/set");
  CHECK(run(routes, deeper).empty());
  Env from_upstream("1", "zigbee2mqtt/kitchen");
  from_upstream.event.link = Link::upstream;
  CHECK(run(routes, from_upstream).empty());
}

TEST_CASE("Does the `to` template map the source topic?", "[rules][routes]") {
  const Routes routes = compile_ok({
      route("zigbee2mqtt/+", "sites/{{ gateway.id }}/{{ topic }}"),
      route("sensors/+/temp", "rooms/{{ topic[1] }}"),
  });
  Env env("1", "zigbee2mqtt/kitchen");
  auto out = run(routes, env);
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "sites/pi-1/zigbee2mqtt/kitchen");
  Env sensor("1", "sensors/garage/temp");
  out = run(routes, sensor);
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "rooms/garage");
}

TEST_CASE("Does `if` filter which messages a route forwards?", "[rules][routes]") {
  auto spec = route("zigbee2mqtt/+");
  spec.if_expr = "payload.battery != null";
  const Routes routes = compile_ok({spec});
  Env with("{\"battery\": 15}", "zigbee2mqtt/a");
  Env without("{\"temp\": 15}", "zigbee2mqtt/a");
  Env text("hello", "zigbee2mqtt/a");
  CHECK(run(routes, with).size() == 1);
  CHECK(run(routes, without).empty());
  CHECK(run(routes, text).empty());
}

TEST_CASE("Do the retain modes keep, force or clear the flag?", "[rules][routes]") {
  auto keep = route("a/keep");
  auto always = route("a/always");
  always.retain = RetainMode::always;
  auto never = route("a/never");
  never.retain = RetainMode::never;
  const Routes routes = compile_ok({keep, always, never});
  for (bool received : {false, true}) {
    INFO("received retained: " << received);
    for (const auto& [topic, expected] :
         {std::pair<std::string, bool>{"a/keep", received}, {"a/always", true}, {"a/never", false}}) {
      Env env("1", topic);
      env.event.retained = received;
      const auto out = run(routes, env);
      REQUIRE(out.size() == 1);
      CHECK(out[0].retain == expected);
    }
  }
}

TEST_CASE("Does an in route bring upstream commands to the local broker?", "[rules][routes]") {
  auto in = route("cmd/pi-1/#", "{{ topic[2] }}/set", Direction::in);
  in.qos = 2;
  const Routes routes = compile_ok({in, route("zigbee2mqtt/#")});
  Env cmd(R"({"state":"ON"})", "cmd/pi-1/lamp");
  cmd.event.link = Link::upstream;
  auto out = run(routes, cmd);
  REQUIRE(out.size() == 1);
  CHECK(out[0].link == Link::local);
  CHECK(out[0].topic == "lamp/set");
  CHECK(out[0].payload == R"({"state":"ON"})");
  CHECK(out[0].qos == 2);
  CHECK(out[0].origin == "route:in:cmd/pi-1/#");
  Env local_copy("x", "cmd/pi-1/lamp");  // the same topic from the local side: not an in route's business
  CHECK(run(routes, local_copy).empty());
}

TEST_CASE("Do qos, priority and latest_only reach the Enqueue?", "[rules][routes]") {
  auto spec = route("meters/#");
  spec.qos = 0;
  spec.priority = Priority::high;
  spec.while_offline = WhileOffline::latest_only;
  const Routes routes = compile_ok({spec});
  Env env("123", "meters/power");
  const auto out = run(routes, env);
  REQUIRE(out.size() == 1);
  CHECK(out[0].qos == 0);
  CHECK(out[0].priority == Priority::high);
  CHECK(out[0].latest_only);
}

TEST_CASE("Is a route whose topic renders badly skipped and counted, not the others?", "[rules][routes]") {
  const Routes routes = compile_ok({
      route("dev/+", "rooms/{{ payload.room }}/state"),
      route("dev/+"),
  });
  Env env(R"({"state": 1})", "dev/a");
  Routes::Outcome outcome;
  const auto out = run(routes, env, &outcome);
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "dev/a");
  CHECK(outcome.enqueued == 1);
  CHECK(outcome.bad_topics == 1);
  CHECK(
      outcome.last_error.starts_with("route:dev/+: topic template 'rooms/{{ payload.room }}/state': "
                                     "rendered topic 'rooms//state' has an empty level"));
  Env plus(R"({"room": "+"})", "dev/a");
  run(routes, plus, &outcome);
  CHECK(outcome.bad_topics == 1);
}

TEST_CASE("Are route errors reported at the position of the bad part?", "[rules][routes]") {
  auto bad_filter = route("a/#/b");
  auto bad_if = route("a/+");
  bad_if.if_expr = "avg(payload.x) > 1";
  auto bad_to = route("a/+", "x/{{ payload. }}");
  auto wildcard_to = route("a/+", "x/+");
  auto bad_qos = route("a/+");
  bad_qos.qos = 3;
  auto good = route("ok/+");
  Diagnostics diag;
  const Routes routes = Routes::compile({bad_filter, bad_if, bad_to, wildcard_to, bad_qos, good}, diag);
  CHECK(routes.size() == 1);
  CHECK(diag.format_all() ==
        "gateway.yaml:10:11: error: forward[0].from: 'a/#/b' is not a valid MQTT topic filter\n"
        "gateway.yaml:12:10: error: forward[1].if: unknown function 'avg' (did you mean 'abs'?)\n"
        "gateway.yaml:11:23: error: forward[2].to: expected a field name after '.', found end of expression\n"
        "gateway.yaml:11:12: error: forward[3].to: "
        "a topic to publish to cannot contain '+' (wildcards are for filters)\n"
        "gateway.yaml:10:5: error: forward[4].qos: must be 0, 1 or 2, not 3\n");
}

TEST_CASE("Which filters do the routes subscribe on each link?", "[rules][routes]") {
  auto in = route("cmd/#", std::nullopt, Direction::in);
  auto a0 = route("a/+");
  a0.qos = 0;
  auto a2 = route("a/+", "b/{{ topic[1] }}");
  a2.qos = 2;
  const Routes routes = compile_ok({a0, in, a2, route("c/#")});
  const auto local = routes.subscriptions(Link::local);
  REQUIRE(local.size() == 2);
  CHECK(local[0].filter == "a/+");
  CHECK(local[0].qos == 2);
  CHECK(local[1].filter == "c/#");
  const auto upstream = routes.subscriptions(Link::upstream);
  REQUIRE(upstream.size() == 1);
  CHECK(upstream[0].filter == "cmd/#");
  CHECK_FALSE(routes.empty());
  CHECK(Routes().empty());
}

TEST_CASE("Does one message fan out to every matching route?", "[rules][routes]") {
  const Routes routes = compile_ok({route("dev/#", "a/{{ topic }}"), route("dev/+", "b/{{ topic }}")});
  Env env("1", "dev/x");
  const auto out = run(routes, env);
  REQUIRE(out.size() == 2);
  CHECK(out[0].topic == "a/dev/x");
  CHECK(out[1].topic == "b/dev/x");
}
