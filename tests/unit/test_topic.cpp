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
