#include <catch2/catch.hpp>

#include "devices/device.h"
#include "rules/expression.h"
#include "test_rules_support.h"

using namespace edgegw;
using namespace edgegw::rules;
using namespace edgegw::rules::testing;

TEST_CASE("Are syntax errors reported at the column where they happen?", "[rules][expression]") {
  CHECK(compile_error("") == "1: empty expression");
  CHECK(compile_error("payload.x >") == "12: expected an expression, found end of expression");
  CHECK(compile_error("(payload.x") == "11: expected ')' to close the one at column 1, found end of expression");
  CHECK(compile_error("payload.x == 'abc") == "14: unterminated string");
  CHECK(compile_error("payload.x 3") == "11: unexpected '3' after the expression");
  CHECK(compile_error("payload.x @ 2") == "11: unexpected character '@'");
  CHECK(compile_error("payload.[0]") == "9: expected a field name after '.', found '['");
  CHECK(compile_error("1 < 2 < 3") == "7: comparisons do not chain; combine them with 'and'");
  CHECK(compile_error("1e") == "1: malformed number");
  CHECK(compile_error("'a\\q'") == "3: unknown escape '\\q' in string");
  CHECK(compile_error("[1, 2") == "6: expected ']' to close the one at column 1, found end of expression");
  CHECK(compile_error("payload.list[1.5]") == "14: an index must be a string or a whole number");
  CHECK(compile_error("true and") == "9: expected an expression, found end of expression");
}

TEST_CASE("Do C-style operators get a hint towards the word to write?", "[rules][expression]") {
  CHECK(compile_error("payload.x && true") == "11: use 'and' instead of '&&'");
  CHECK(compile_error("payload.x || true") == "11: use 'or' instead of '||'");
  CHECK(compile_error("!payload.x") == "1: use 'not' instead of '!'");
  CHECK(compile_error("payload.x = 1") == "11: use '==' to compare ('=' alone is not an operator)");
  CHECK(compile_error("payload.x != 1") == "compiled");
}

TEST_CASE("Does an unknown function fail at load time with a suggestion?", "[rules][expression]") {
  CHECK(compile_error("abs(1) + avg(payload.x)") == "10: unknown function 'avg' (did you mean 'abs'?)");
  CHECK(compile_error("lowr(topic)") == "1: unknown function 'lowr' (did you mean 'lower'?)");
  CHECK(compile_error("frobnicate(1)") == "1: unknown function 'frobnicate'");
}

TEST_CASE("Is an unknown name an error at load time, with its column?", "[rules][expression]") {
  CHECK(compile_error("paylod.x > 1") == "1: unknown name 'paylod' (did you mean 'payload'?)");
  CHECK(compile_error("1 + bogus_name") == "5: unknown name 'bogus_name'");
  CHECK(compile_error("abs") == "1: 'abs' is a function: write abs(...)");
  CHECK(compile_error("gateway.name") == "8: 'gateway' has one field: gateway.id");
  CHECK(compile_error("gateway") == "1: 'gateway' has one field: gateway.id");
  CHECK(compile_error("device.colour") ==
        "7: 'device' has the fields device.id, device.online, device.profile, device.name, device.model, "
        "device.reason, device.last_seen");
  CHECK(compile_error("topic.x") == "6: 'topic' takes one level index, as in topic[1]");
  CHECK(compile_error("retained.x") == "9: 'retained' has no fields");
  CHECK(compile_error("state") == "1: 'state' needs a name, as in state.NAME");
  CHECK(compile_error("1 + and") == "5: expected an expression, found 'and'");
}

TEST_CASE("Are wrong argument counts errors at load time?", "[rules][expression]") {
  CHECK(compile_error("abs(1, 2)") == "1: abs() takes 1 argument, got 2");
  CHECK(compile_error("round()") == "1: round() takes 1 or 2 arguments, got 0");
  CHECK(compile_error("min()") == "1: min() takes 1 to 8 arguments, got 0");
  CHECK(compile_error("max(1, 2, 3, 4, 5, 6, 7, 8, 9)") == "1: max() takes 1 to 8 arguments, got 9");
  CHECK(compile_error("contains('a')") == "1: contains() takes 2 arguments, got 1");
  CHECK(compile_error("hour(1)") == "1: hour() takes 0 arguments, got 1");
}

TEST_CASE("Is a bad regex or time of day an error at load time, at its argument?", "[rules][expression]") {
  CHECK(compile_error("matches(topic, 'a(b')") == "16: invalid regular expression: missing ): a(b");
  CHECK(compile_error("matches(topic, payload.re)") == "16: matches() needs its pattern as a string literal");
  CHECK(compile_error("between('25:00', '06:00')") == "9: between() needs times as 'HH:MM' or 'HH:MM:SS'");
  CHECK(compile_error("between('22:00', '6:00')") == "18: between() needs times as 'HH:MM' or 'HH:MM:SS'");
  CHECK(compile_error("between('22:00:00', '06:00')") == "compiled");
}

TEST_CASE("Does absurd nesting fail cleanly instead of overflowing the stack?", "[rules][expression]") {
  const std::string deep = std::string(500, '(') + "1" + std::string(500, ')');
  CHECK(compile_error(deep).find("expression nested too deeply") != std::string::npos);
  const std::string nots = [] {
    std::string s;
    for (int i = 0; i < 500; ++i) s += "not ";
    return s + "true";
  }();
  CHECK(compile_error(nots).find("expression nested too deeply") != std::string::npos);
  CHECK(eval(std::string(30, '(') + "1" + std::string(30, ')')) == num(1));
}

TEST_CASE("Do literals evaluate to their values?", "[rules][expression]") {
  CHECK(eval("12") == num(12));
  CHECK(eval("-3.5") == num(-3.5));
  CHECK(eval("1e3") == num(1000));
  CHECK(eval("'single'") == str("single"));
  CHECK(eval("\"double\"") == str("double"));
  CHECK(eval("'it\\'s'") == str("it's"));
  CHECK(eval("\"a\\nb\"") == str("a\nb"));
  CHECK(eval("true") == boolean(true));
  CHECK(eval("false") == boolean(false));
  CHECK(eval("null").is_null());
  CHECK(eval("[1, 'a', null]").to_json() == "[1,\"a\",null]");
  CHECK(eval("[]").to_json() == "[]");
}

TEST_CASE("Do operators follow the usual precedence?", "[rules][expression]") {
  CHECK(eval("1 + 2 * 3") == num(7));
  CHECK(eval("(1 + 2) * 3") == num(9));
  CHECK(eval("10 - 4 - 3") == num(3));
  CHECK(eval("2 * -3") == num(-6));
  CHECK(eval("-(2 + 3)") == num(-5));
  CHECK(eval("7 / 2") == num(3.5));
  CHECK(eval("7 % 4") == num(3));
  CHECK(eval("-7 % 4") == num(-3));
  CHECK(eval("'a' + 'b'") == str("ab"));
  CHECK(eval("1 + 2 == 3") == boolean(true));
  CHECK(eval("true or false and false") == boolean(true));
  CHECK(eval("(true or false) and false") == boolean(false));
  CHECK(eval("not 1 == 2") == boolean(true));
  CHECK(eval("not true or true") == boolean(true));
  CHECK(eval("not not true") == boolean(true));
}

TEST_CASE("Do comparisons work on numbers and strings?", "[rules][expression]") {
  CHECK(eval("1 < 2") == boolean(true));
  CHECK(eval("2 <= 2") == boolean(true));
  CHECK(eval("3 > 2") == boolean(true));
  CHECK(eval("2 >= 3") == boolean(false));
  CHECK(eval("'abc' < 'abd'") == boolean(true));
  CHECK(eval("1 == 1.0") == boolean(true));
  CHECK(eval("'1' == 1") == boolean(false));
  CHECK(eval("true == 1") == boolean(false));
  CHECK(eval("[1, 2] == [1, 2]") == boolean(true));
  CHECK(eval("1 != 2") == boolean(true));
}

TEST_CASE("Does `in` test lists, substrings and object keys?", "[rules][expression]") {
  Env env(R"({"mode": "eco", "tags": ["a", "b"], "obj": {"k": 1}})");
  CHECK(eval("payload.mode in ['eco', 'away']", env) == boolean(true));
  CHECK(eval("payload.mode in ['home']", env) == boolean(false));
  CHECK(eval("payload.mode not in ['home']", env) == boolean(true));
  CHECK(eval("'b' in payload.tags", env) == boolean(true));
  CHECK(eval("'co' in payload.mode", env) == boolean(true));
  CHECK(eval("'k' in payload.obj", env) == boolean(true));
  CHECK(eval("'x' in payload.missing", env) == boolean(false));
  CHECK(eval("1 in 'abc'", env).is_null());
}

TEST_CASE("Does contains(hay, needle) answer as `needle in hay` does, but null for a missing hay?",
          "[rules][expression]") {
  Env env(R"({"mode": "eco", "tags": ["a", "b"], "obj": {"k": 1}})");
  for (const char* needle : {"'b'", "'co'", "'k'", "'zz'", "1"}) {
    for (const char* hay : {"payload.tags", "payload.mode", "payload.obj", "'abc'", "5"}) {
      INFO(needle << " in " << hay);
      const auto in = eval(std::string(needle) + " in " + hay, env);
      const auto fn = eval(std::string("contains(") + hay + ", " + needle + ")", env);
      CHECK(in == fn);
    }
  }
  CHECK(eval("contains(payload.missing, 'x')", env).is_null());
  CHECK(eval("'x' not in payload.missing", env) == boolean(true));
}

TEST_CASE("Does a type error at run time give null, not an exception?", "[rules][expression]") {
  CHECK(eval("'a' * 2").is_null());
  CHECK(eval("1 / 0").is_null());
  CHECK(eval("1 % 0").is_null());
  CHECK(eval("1 + true").is_null());
  CHECK(eval("-'a'").is_null());
  CHECK(eval("'a' < 1").is_null());
  CHECK(eval("[1] < [2]").is_null());
  CHECK(eval("1e308 * 10").is_null());  // infinity is not a JSON number
}

TEST_CASE("Does null follow the design's presence semantics?", "[rules][expression][null]") {
  Env env(R"({"battery": 15, "gone": null, "zero": 0, "list": [1]})");
  CHECK(eval("payload.battery != null", env) == boolean(true));
  CHECK(eval("payload.missing != null", env) == boolean(false));
  CHECK(eval("payload.gone != null", env) == boolean(false));
  CHECK(eval("payload.missing == null", env) == boolean(true));
  CHECK(eval("payload.zero != null", env) == boolean(true));
  CHECK(eval("payload.missing < 5", env) == boolean(false));
  CHECK(eval("payload.missing > 5", env) == boolean(false));
  CHECK(eval("payload.missing >= null", env) == boolean(false));
  CHECK(eval("not (payload.missing > 5)", env) == boolean(true));
  CHECK(eval("payload.missing and true", env) == boolean(false));
  CHECK(eval("payload.missing or true", env) == boolean(true));
  CHECK(eval("payload.missing or false", env) == boolean(false));
  CHECK(eval("not payload.missing", env) == boolean(true));
  CHECK(eval("payload.missing.deeper.still", env).is_null());
  CHECK(eval("payload.battery.x", env).is_null());
  CHECK(eval("payload.list[5]", env).is_null());
  CHECK(eval("payload.missing + 1", env).is_null());
}

TEST_CASE("Do payload paths reach nested fields, keys with spaces and list items?", "[rules][expression]") {
  Env env(R"({"a": {"b": 21.5}, "a b": "spaced", "list": [10, 20, 30], "i": 1, "k": "a b",
              "obj": {"x": [1, {"y": true}]}})");
  CHECK(eval("payload.a.b", env) == num(21.5));
  CHECK(eval("payload[\"a b\"]", env) == str("spaced"));
  CHECK(eval("payload['a']['b']", env) == num(21.5));
  CHECK(eval("payload.list[0]", env) == num(10));
  CHECK(eval("payload.list[-1]", env) == num(30));
  CHECK(eval("payload.list[payload.i]", env) == num(20));
  CHECK(eval("payload[payload.k]", env) == str("spaced"));
  CHECK(eval("payload.obj.x[1].y", env) == boolean(true));
  CHECK(eval("payload.obj", env).to_json() == R"({"x":[1,{"y":true}]})");
  CHECK(eval("payload.list[payload.missing]", env).is_null());
}

TEST_CASE("Is a non-JSON payload the raw string, with null fields?", "[rules][expression]") {
  Env env("ON");
  CHECK(eval("payload", env) == str("ON"));
  CHECK(eval("payload == 'ON'", env) == boolean(true));
  CHECK(eval("payload.state", env).is_null());
  Env number("21.5");
  CHECK(eval("payload > 20", number) == boolean(true));
  Env empty("");
  CHECK(eval("payload", empty) == str(""));
}

TEST_CASE("Do topic, retained and gateway.id read the event?", "[rules][expression]") {
  Env env("x", "zigbee2mqtt/hallway motion/availability");
  env.event.retained = true;
  CHECK(eval("topic", env) == str("zigbee2mqtt/hallway motion/availability"));
  CHECK(eval("topic[0]", env) == str("zigbee2mqtt"));
  CHECK(eval("topic[1]", env) == str("hallway motion"));
  CHECK(eval("topic[-1]", env) == str("availability"));
  CHECK(eval("topic[3]", env).is_null());
  CHECK(eval("topic[-4]", env).is_null());
  CHECK(eval("retained", env) == boolean(true));
  CHECK(eval("gateway.id", env) == str("pi-1"));
  Env leading("x", "/dev/1");
  CHECK(eval("topic[0]", leading) == str(""));
  CHECK(eval("topic[2]", leading) == str("1"));
}

TEST_CASE("Do device fields come from the event's device, null without one?", "[rules][expression]") {
  Env env;
  CHECK(eval("device.id", env).is_null());
  CHECK(eval("device.online == false", env) == boolean(false));
  devices::Device d;
  d.id = "hallway_motion";
  d.profile = "zigbee2mqtt";
  d.online = true;
  env.event.device = &d;
  CHECK(eval("device.id", env) == str("hallway_motion"));
  CHECK(eval("device.online", env) == boolean(true));
  CHECK(eval("device.profile", env) == str("zigbee2mqtt"));
}

TEST_CASE("Do state and previous go through the lookups, null by default?", "[rules][expression]") {
  Env env(R"({"temp": 22})");
  CHECK(eval("state.mode", env).is_null());
  CHECK(eval("previous.temp", env).is_null());
  env.lookups.states["mode"] = str("away");
  env.lookups.states["cfg"] = Value::from_object({{"limit", num(5)}});
  env.lookups.previous_payload = R"({"temp": 20})";
  CHECK(eval("state.mode == 'away'", env) == boolean(true));
  CHECK(eval("state['mode']", env) == str("away"));
  CHECK(eval("state.cfg.limit", env) == num(5));
  CHECK(eval("payload.temp - previous.temp", env) == num(2));

  // The default Lookups answer null for everything.
  JsonParser parser;
  const EvalContext plain(env.event, parser, "gw", env.now);
  auto e = Expression::compile("state.mode == null and previous.temp == null");
  REQUIRE(e);
  CHECK(e.value().test(plain));
}

TEST_CASE("Is the payload parsed only when asked for, and only once?", "[rules][expression][payload]") {
  Env env(R"({"temp": 22, "hum": 40})");
  auto no_payload = Expression::compile("topic[0] == 'sensors' and retained == false");
  auto a = Expression::compile("payload.temp > 20");
  auto b = Expression::compile("payload.hum < 50");
  REQUIRE((no_payload && a && b));
  CHECK_FALSE(no_payload.value().reads_payload());
  CHECK(a.value().reads_payload());
  auto ctx = env.ctx();
  CHECK(no_payload.value().test(ctx));
  CHECK(env.parser.parse_count() == 0);
  CHECK(a.value().test(ctx));
  CHECK(b.value().test(ctx));
  CHECK(env.parser.parse_count() == 1);
}
