// rules/topic_trie.h — which rules' topic filters match a topic, in O(depth).
//
// Filters are stored level by level; matching walks the topic's levels once,
// following the exact level, `+` and `#` branches (MQTT 5.0 §4.7): `+`
// matches one level, a trailing `#` the parent level and any number below,
// and a filter starting with a wildcard does not match a topic starting with
// '$'. Each filter carries a value (a rule index); matching reports values.
//
// Threads: build once, then match from any thread (read-only).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace edgegw::rules {

class TopicTrie {
 public:
  // `filter` must be a valid topic filter (valid_topic_filter); the caller checks.
  void add(std::string_view filter, uint32_t value);

  // Appends the value of every filter that matches `topic`, sorted and
  // without duplicates (a value added under two matching filters appears once).
  void match(std::string_view topic, std::vector<uint32_t>& out) const;

  bool empty() const { return filters_ == 0; }
  size_t size() const { return filters_; }

 private:
  struct Node {
    std::map<std::string, uint32_t, std::less<>> children;  // exact level -> node
    int64_t plus = -1;                                      // the `+` child node
    std::vector<uint32_t> values;                           // filters ending here
    std::vector<uint32_t> hash_values;                      // filters ending here with "/#"
  };

  void walk(uint32_t node, const std::vector<std::string_view>& levels, size_t i, bool dollar,
            std::vector<uint32_t>& out) const;

  std::vector<Node> nodes_{Node{}};
  size_t filters_ = 0;
};

}  // namespace edgegw::rules
