// Events lines as `edgegw journal export` writes them (format_event_line):
// `edgegw test --events` must read back exactly the bytes that arrived.
#include <catch2/catch.hpp>

#include <string>

#include "gateway/base/base64.h"
#include "gateway/base/rfc3339.h"
#include "gateway/sim/sim_events.h"

using namespace edgegw;
using namespace edgegw::gateway;

namespace {

const TimePoint kAt = *parse_rfc3339("2026-11-22T07:00:00.25Z");

Event message(std::string payload) {
  Event e;
  e.topic = "zigbee2mqtt/hall";
  e.payload = std::move(payload);
  return e;
}

}  // namespace

TEST_CASE("Does every payload come back byte-exact through an events line?", "[sim][journal]") {
  const std::string payload =
      GENERATE(as<std::string>{}, R"({"temp":21.5,"b":[1,true,null]})", "ON", "", R"("quoted")", "1e3", "21.50",
               R"({"a": 1})", "42", "line\nbreak \"q\"", std::string("nul\0inside", 10),
               std::string("\xff\xfe\x00\x80", 4), "caf\xc3\xa9", "\xc3(");
  CAPTURE(payload);
  const std::string line = format_event_line(message(payload), kAt);
  CAPTURE(line);
  auto back = parse_event_line(line);
  REQUIRE(back.ok());
  CHECK(back->event.payload == payload);
  CHECK(back->event.topic == "zigbee2mqtt/hall");
  CHECK(back->at == kAt);
}

TEST_CASE("Is a payload a JSON value only where its compact text is the bytes, and base64 where not UTF-8?",
          "[sim][journal]") {
  CHECK(format_event_line(message(R"({"temp":21.5})"), kAt) ==
        R"({"topic":"zigbee2mqtt/hall","payload":{"temp":21.5},"at":"2026-11-22T07:00:00.25Z"})");
  CHECK(format_event_line(message(R"({"temp": 21.5})"), kAt) ==
        R"({"topic":"zigbee2mqtt/hall","payload":"{\"temp\": 21.5}","at":"2026-11-22T07:00:00.25Z"})");
  CHECK(format_event_line(message("\xff"), kAt) ==
        R"({"topic":"zigbee2mqtt/hall","payload_base64":"/w==","at":"2026-11-22T07:00:00.25Z"})");
  Event up = message("x");
  up.link = Link::upstream;
  up.retained = true;
  up.qos = 1;
  CHECK(format_event_line(up, kAt) == R"({"topic":"zigbee2mqtt/hall","payload":"x","retain":true,"from":"upstream",)"
                                      R"("qos":1,"at":"2026-11-22T07:00:00.25Z"})");
}

TEST_CASE("Is base64 encoded by RFC 4648 and only canonical text decoded?", "[sim][journal]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_decode("Zm9vYg==") == std::optional<std::string>("foob"));
  CHECK(base64_decode("Zm9vYmE=") == std::optional<std::string>("fooba"));
  CHECK_FALSE(base64_decode("Zg="));         // not a multiple of 4
  CHECK_FALSE(base64_decode("Zh=="));        // non-zero hidden bits
  CHECK_FALSE(base64_decode("Zg=a"));        // padding inside
  CHECK_FALSE(base64_decode("Zm9v\nYmFy"));  // whitespace
  auto bad = parse_event_line(R"({"topic": "a", "payload_base64": "%%%%"})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().detail() == "payload_base64: expected padded base64 text");
}
