#include "rules/topic_trie.h"

#include <algorithm>

#include "core/topic.h"

namespace edgegw::rules {

void TopicTrie::add(std::string_view filter, uint32_t value) {
  uint32_t node = 0;
  for (std::string_view level : topic_levels(filter)) {
    if (level == "#") {
      nodes_[node].hash_values.push_back(value);
      ++filters_;
      return;
    }
    if (level == "+") {
      if (nodes_[node].plus < 0) {
        nodes_[node].plus = static_cast<int64_t>(nodes_.size());
        nodes_.emplace_back();
      }
      node = static_cast<uint32_t>(nodes_[node].plus);
      continue;
    }
    auto it = nodes_[node].children.find(level);
    if (it == nodes_[node].children.end()) {
      const auto next = static_cast<uint32_t>(nodes_.size());
      nodes_[node].children.emplace(std::string(level), next);
      nodes_.emplace_back();  // invalidates references into nodes_, so none is held
      node = next;
    } else {
      node = it->second;
    }
  }
  nodes_[node].values.push_back(value);
  ++filters_;
}

void TopicTrie::walk(uint32_t node, const std::vector<std::string_view>& levels, size_t i, bool dollar,
                     std::vector<uint32_t>& out) const {
  const Node& n = nodes_[node];
  // §4.7.2: a wildcard in the first level does not match a '$' topic.
  const bool wildcards = !(dollar && i == 0);
  if (wildcards) out.insert(out.end(), n.hash_values.begin(), n.hash_values.end());
  if (i == levels.size()) {
    out.insert(out.end(), n.values.begin(), n.values.end());
    return;
  }
  if (auto it = n.children.find(levels[i]); it != n.children.end()) {
    walk(it->second, levels, i + 1, dollar, out);
  }
  if (wildcards && n.plus >= 0) walk(static_cast<uint32_t>(n.plus), levels, i + 1, dollar, out);
}

void TopicTrie::match(std::string_view topic, std::vector<uint32_t>& out) const {
  if (filters_ == 0) return;
  const size_t start = out.size();
  const auto levels = topic_levels(topic);
  walk(0, levels, 0, !topic.empty() && topic.front() == '$', out);
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
  out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(start), out.end()), out.end());
}

}  // namespace edgegw::rules
