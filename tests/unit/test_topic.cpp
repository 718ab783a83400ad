#include <catch2/catch.hpp>

#include "core/topic.h"

using namespace edgegw;

TEST_CASE("Does a filter match the topics MQTT says it matches?", "[core][topic]") {
  CHECK(topic_matches("a/b", "a/b"));
  CHECK_FALSE(topic_matches("a/b", "a/c"));
  CHECK(topic_matches("a/+", "a/b"));
  CHECK_FALSE(topic_matches("a/+", "a"));
  CHECK_FALSE(topic_matches("a/+", "a/b/c"));
  CHECK(topic_matches("a/#", "a"));
  CHECK(topic_matches("a/#", "a/b/c"));
  CHECK(topic_matches("#", "a/b"));
  CHECK(topic_matches("+/+", "/finance"));
  CHECK(topic_matches("+", ""));
  CHECK_FALSE(topic_matches("a/b/c", "a/b"));
  CHECK(topic_matches("zigbee2mqtt/+", "zigbee2mqtt/hallway motion"));
}

TEST_CASE("Do wildcards at the start skip $-topics?", "[core][topic]") {
  CHECK_FALSE(topic_matches("#", "$SYS/broker/uptime"));
  CHECK_FALSE(topic_matches("+/broker/uptime", "$SYS/broker/uptime"));
  CHECK(topic_matches("$SYS/#", "$SYS/broker/uptime"));
}

TEST_CASE("Are topic names and filters validated?", "[core][topic]") {
  CHECK(valid_topic_name("a/b"));
  CHECK_FALSE(valid_topic_name(""));
  CHECK_FALSE(valid_topic_name("a/+"));
  CHECK_FALSE(valid_topic_name("a/#"));
  CHECK_FALSE(valid_topic_name(std::string("a\0b", 3)));
  CHECK(valid_topic_filter("a/+/c/#"));
  CHECK_FALSE(valid_topic_filter("a/b#"));
  CHECK_FALSE(valid_topic_filter("a/#/c"));
  CHECK_FALSE(valid_topic_filter("a+/b"));
  CHECK_FALSE(valid_topic_filter(""));
}

TEST_CASE("Are malformed UTF-8, control characters and noncharacters found, and clean UTF-8 let through?",
          "[core][topic]") {
  const auto npos = std::string_view::npos;
  CHECK(find_unfit_topic_char("k\xC3\xBC"
                              "che/\xE2\x82\xAC/\xF0\x9F\x8C\xA1") == npos);  // küche/€/🌡
  CHECK(find_unfit_topic_char("a\tb") == 1);                                  // control characters
  CHECK(find_unfit_topic_char("a\x7F") == 1);
  CHECK(find_unfit_topic_char("a\xC2\x85") == 1);  // U+0085, a C1 control
  CHECK(find_unfit_topic_char(std::string("a\0", 2)) == 1);
  CHECK(find_unfit_topic_char("a\xFF") == 1);                                     // never valid in UTF-8
  CHECK(find_unfit_topic_char("a\x80") == 1);                                     // a lone continuation byte
  CHECK(find_unfit_topic_char("a\xC3") == 1);                                     // cut short
  CHECK(find_unfit_topic_char("a\xC0\xAF") == 1);                                 // overlong '/'
  CHECK(find_unfit_topic_char("a\xED\xA0\x80") == 1);                             // a surrogate
  CHECK(find_unfit_topic_char("a\xF4\x90\x80\x80") == 1);                         // above U+10FFFF
  CHECK(find_unfit_topic_char("a\xEF\xBF\xBF") == 1);                             // noncharacters: U+FFFF,
  CHECK(find_unfit_topic_char("a\xEF\xBF\xBE") == 1);                             // U+FFFE,
  CHECK(find_unfit_topic_char("a\xEF\xB7\x90") == 1);                             // U+FDD0,
  CHECK(find_unfit_topic_char("a\xEF\xB7\xAF") == 1);                             // U+FDEF,
  CHECK(find_unfit_topic_char("a\xF4\x8F\xBF\xBF") == 1);                         // U+10FFFF
  CHECK(find_unfit_topic_char("a\xF0\x9F\xBF\xBE") == 1);                         // U+1FFFE
  CHECK(find_unfit_topic_char("a\xEF\xB7\x8F\xEF\xB7\xB0\xEF\xBF\xBD") == npos);  // U+FDCF, U+FDF0, U+FFFD are fine
  CHECK_FALSE(valid_topic_name("dev/\xFF"));
  CHECK_FALSE(valid_topic_filter("dev/\x01/+"));
}

TEST_CASE("Are only the filters no other filter covers subscribed?", "[core][topic]") {
  CHECK(filter_covers("#", "a/b"));
  CHECK(filter_covers("a/+", "a/b"));
  CHECK_FALSE(filter_covers("a/+", "a/#"));
  CHECK_FALSE(filter_covers("a/b", "a/+"));
  CHECK(filter_covers("a/#", "a/+/c"));
  CHECK_FALSE(filter_covers("#", "$SYS/x"));
  auto m = minimal_filters({"zigbee2mqtt/+", "zigbee2mqtt/#", "tele/x", "zigbee2mqtt/#", "tele/+"});
  CHECK(m == std::vector<std::string>{"zigbee2mqtt/#", "tele/+"});
}
