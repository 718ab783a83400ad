#include <catch2/catch.hpp>

#include <random>

#include "rules/payload.h"
#include "rules/value.h"
#include "test_rules_support.h"

using namespace edgegw;
using namespace edgegw::rules;
using namespace edgegw::rules::testing;

TEST_CASE("Do numbers print as JSON does, integers without a fraction?", "[rules][value]") {
  CHECK(num(3).to_json() == "3");
  CHECK(num(-12).to_json() == "-12");
  CHECK(num(-0.0).to_json() == "0");
  CHECK(num(21.5).to_json() == "21.5");
  CHECK(num(0.1).to_json() == "0.1");
  CHECK(num(1000000).to_json() == "1000000");
  CHECK(num(9007199254740992.0).to_json() == "9007199254740992");
  CHECK(num(1e21).to_json() == "1e+21");
  CHECK(num(1.5e-7).to_json() == "1.5e-07");
  CHECK(num(1.0 / 0.0).is_null());  // NaN and infinities are not JSON numbers
}

TEST_CASE("Do strings render as valid JSON, whatever their bytes?", "[rules][value]") {
  CHECK(str("a\"b\\c").to_json() == R"("a\"b\\c")");
  CHECK(str("line\nnext\ttab").to_json() == R"("line\nnext\ttab")");
  CHECK(str(std::string("nul\0x", 5)).to_json() == R"("nul\u0000x")");
  CHECK(str("\x01").to_json() == R"("\u0001")");
  CHECK(str("héllo €").to_json() == "\"héllo €\"");
  CHECK(str("bad\xff\xfe").to_json() == "\"bad\xEF\xBF\xBD\xEF\xBF\xBD\"");
  CHECK(str("\xC0\xAF").to_json() == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong '/'
  CHECK(str("cut\xE2\x82").to_json() == "\"cut\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST_CASE("Do objects and lists render as compact JSON in written order?", "[rules][value]") {
  const Value v = Value::from_object({{"z", num(1)}, {"a", Value::from_array({boolean(true), Value()})}});
  CHECK(v.to_json() == R"({"z":1,"a":[true,null]})");
  CHECK(v.to_text() == v.to_json());
  CHECK(str("plain").to_text() == "plain");
  CHECK(Value().to_text().empty());
  CHECK(Value().to_json() == "null");
}

TEST_CASE("Does the payload keep the JSON types and key order it had?", "[rules][payload]") {
  JsonParser parser;
  const std::string raw = R"({"b": 1, "a": [1.5, "x", true, null], "big": 18446744073709551615, "neg": -3})";
  const Payload p(raw, parser);
  REQUIRE(p.is_json());
  CHECK(p.get({}).to_json() == R"({"b":1,"a":[1.5,"x",true,null],"big":18446744073709551616,"neg":-3})");
  const PathKey a{"a", 0, false};
  const PathKey second[] = {a, {{}, 1, true}};
  const PathKey last[] = {a, {{}, -1, true}};
  const PathKey beyond[] = {a, {{}, 4, true}};
  CHECK(p.get(second) == str("x"));
  CHECK(p.get(last).is_null());
  CHECK(p.get(beyond).is_null());
  const PathKey b_item[] = {{"b", 0, false}, {{}, 0, true}};
  CHECK(p.get(b_item).is_null());
  CHECK(p.raw() == raw);
}

TEST_CASE("Is JSON nested deeper than 64 levels treated as not JSON?", "[rules][payload]") {
  JsonParser parser;
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  const std::string ok = nested(64);
  const std::string deep = nested(65);
  CHECK(Payload(ok, parser).is_json());
  const Payload too_deep(deep, parser);
  CHECK_FALSE(too_deep.is_json());
  CHECK(too_deep.get({}) == str(deep));
}

TEST_CASE("Does a payload whose document was replaced parse again, correctly?", "[rules][payload]") {
  JsonParser parser;
  const std::string raw_a = R"({"v": "a"})", raw_b = R"({"v": "b"})";
  const Payload a(raw_a, parser), b(raw_b, parser);
  const PathKey v[] = {{"v", 0, false}};
  CHECK(a.get(v) == str("a"));
  CHECK(b.get(v) == str("b"));
  CHECK(a.get(v) == str("a"));
  CHECK(parser.parse_count() == 3);
}

TEST_CASE("Do malformed payloads never crash evaluation?", "[rules][payload][robustness]") {
  const std::vector<std::string> seeds = {
      R"({"temp": 21.5, "list": [1, {"a": "b"}], "s": "x\u00e9"})",
      R"([1, 2, [3, [4]]])",
      "ON",
      "",
  };
  std::vector<Expression> exprs;
  for (const char* text : {"payload.temp > 20", "payload.list[1].a == 'b'", "len(payload) > 0", "payload",
                           "str(payload.list)", "payload.s + 'x'", "changed(payload.temp)"}) {
    auto e = Expression::compile(text);
    REQUIRE(e);
    exprs.push_back(std::move(e).value());
  }
  std::mt19937 rng(20260114);  // fixed seed: the same inputs every run
  int evaluated = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string raw = seeds[static_cast<size_t>(round) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < edits; ++k) {
      const size_t at = raw.empty() ? 0 : rng() % raw.size();
      const char byte = static_cast<char>(rng() % 256);
      switch (rng() % 3) {
        case 0:
          if (!raw.empty()) raw[at] = byte;
          break;
        case 1: raw.insert(raw.begin() + static_cast<std::ptrdiff_t>(at), byte); break;
        default:
          if (!raw.empty()) raw.erase(at, 1);
          break;
      }
    }
    Env env(raw);
    env.lookups.previous_payload = seeds[static_cast<size_t>(round + 1) % seeds.size()];
    auto ctx = env.ctx();
    for (const auto& e : exprs) {
      const Value v = e.evaluate(ctx);
      v.to_json();  // must render, too
      ++evaluated;
    }
    if (!ctx.payload().is_json()) CHECK(exprs[0].evaluate(ctx) == boolean(false));
  }
  CHECK(evaluated == 2000 * 7);
}

TEST_CASE("Is JSON nested 100,000 deep refused before any recursion, whatever its shape?",
          "[rules][payload][robustness]") {
  constexpr int kDepth = 100'000;
  std::string objects;
  for (int i = 0; i < kDepth; ++i) objects += R"({"a":)";
  objects += "1" + std::string(kDepth, '}');
  const std::string arrays = std::string(kDepth, '[') + std::string(kDepth, ']');
  const std::string unclosed = std::string(kDepth, '[');
  const std::string* const inputs[] = {&objects, &arrays, &unclosed};
  for (const std::string* raw : inputs) {
    Env env(*raw);
    auto ctx = env.ctx();
    CHECK_FALSE(ctx.payload().is_json());
    auto e = Expression::compile("payload.a.a.a == 1 or len(payload) > 0");
    REQUIRE(e);
    CHECK(e.value().test(ctx));  // raw text: payload.a is null, len(payload) counts characters
    CHECK(ctx.payload().get({}) == str(*raw));
  }
}

TEST_CASE("Does a 10 MiB string payload parse, and read back whole?", "[rules][payload][robustness]") {
  const std::string big(10u << 20, 'x');
  Env env(R"({"s": ")" + big + R"(", "n": 1})");
  auto ctx = env.ctx();
  REQUIRE(ctx.payload().is_json());
  auto e = Expression::compile("len(payload.s) == 10485760 and payload.n == 1 and ends_with(payload.s, 'x')");
  REQUIRE(e);
  CHECK(e.value().test(ctx));
  const PathKey s[] = {{"s", 0, false}};
  CHECK(ctx.payload().get(s) == str(big));
  Env raw(big);  // 10 MiB of plain text is a string payload
  auto raw_ctx = raw.ctx();
  CHECK_FALSE(raw_ctx.payload().is_json());
  CHECK(raw_ctx.payload().get({}).as_string().size() == big.size());
}
