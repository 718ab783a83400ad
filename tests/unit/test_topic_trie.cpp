#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/topic.h"
#include "rules/topic_trie.h"

using edgegw::rules::TopicTrie;

namespace {

std::vector<uint32_t> match(const TopicTrie& trie, std::string_view topic) {
  std::vector<uint32_t> out;
  trie.match(topic, out);
  return out;
}

}  // namespace

TEST_CASE("Does the trie match exact, + and # filters like MQTT does?", "[rules][trie]") {
  TopicTrie trie;
  trie.add("a/b/c", 0);
  trie.add("a/+/c", 1);
  trie.add("a/#", 2);
  trie.add("#", 3);
  trie.add("+/+", 4);
  trie.add("a/b", 5);
  CHECK(match(trie, "a/b/c") == std::vector<uint32_t>{0, 1, 2, 3});
  CHECK(match(trie, "a/x/c") == std::vector<uint32_t>{1, 2, 3});
  CHECK(match(trie, "a") == std::vector<uint32_t>{2, 3});  // "a/#" matches its parent
  CHECK(match(trie, "a/b") == std::vector<uint32_t>{2, 3, 4, 5});
  CHECK(match(trie, "b/c/d") == std::vector<uint32_t>{3});
  CHECK(match(trie, "a/b/c/d") == std::vector<uint32_t>{2, 3});
}

TEST_CASE("Do leading wildcards skip $SYS topics while exact $ filters match?", "[rules][trie]") {
  TopicTrie trie;
  trie.add("#", 0);
  trie.add("+/broker/uptime", 1);
  trie.add("$SYS/#", 2);
  trie.add("$SYS/+/uptime", 3);
  CHECK(match(trie, "$SYS/broker/uptime") == std::vector<uint32_t>{2, 3});
  CHECK(match(trie, "sys/broker/uptime") == std::vector<uint32_t>{0, 1});
}

TEST_CASE("Does a value under two matching filters come back once, and do empty levels count?", "[rules][trie]") {
  TopicTrie trie;
  trie.add("s/+", 7);
  trie.add("s/#", 7);
  trie.add("s//x", 8);
  trie.add("/x", 9);
  CHECK(match(trie, "s/a") == std::vector<uint32_t>{7});
  CHECK(match(trie, "s//x") == std::vector<uint32_t>{7, 8});
  CHECK(match(trie, "/x") == std::vector<uint32_t>{9});
  CHECK(match(trie, "x") == std::vector<uint32_t>{});
  CHECK(trie.size() == 4);
}

TEST_CASE("Does the trie agree with topic_matches over many filters and topics?", "[rules][trie]") {
  std::vector<std::string> filters;
  const char* parts[] = {"a", "b", "+", "$x", ""};
  for (const char* p : parts) {
    for (const char* q : parts) {
      filters.push_back(std::string(p) + "/" + q);
      filters.push_back(std::string(p) + "/" + q + "/#");
      filters.push_back(std::string(p) + "/" + q + "/c");
    }
  }
  filters.push_back("#");
  filters.push_back("+");
  TopicTrie trie;
  for (size_t i = 0; i < filters.size(); ++i) {
    REQUIRE(edgegw::valid_topic_filter(filters[i]));
    trie.add(filters[i], static_cast<uint32_t>(i));
  }
  const std::vector<std::string> topics = {"a/b",  "a/b/c",   "$x/b", "$x/a/c", "/",
                                           "a//c", "b/a/c/d", "a",    "$x",     "c/c/c"};
  for (const auto& topic : topics) {
    std::vector<uint32_t> expected;
    for (size_t i = 0; i < filters.size(); ++i) {
      if (edgegw::topic_matches(filters[i], topic)) expected.push_back(static_cast<uint32_t>(i));
    }
    INFO("topic: " << topic);
    CHECK(match(trie, topic) == expected);
  }
}
