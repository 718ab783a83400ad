// Topic names and filters: validation, matching, covering, and the trie the
// engine matches with. Beyond "no crash", checks that the pieces agree.
// Input: lines; each line is a filter and a topic name to try against the others.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/topic.h"
#include "fuzz_input.h"
#include "rules/topic_trie.h"

using namespace edgegw;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

std::vector<std::string_view> lines_of(std::string_view in) {
  std::vector<std::string_view> lines;
  while (lines.size() < 16) {
    size_t at = in.find('\n');
    lines.push_back(in.substr(0, at));
    if (at == std::string_view::npos) break;
    in.remove_prefix(at + 1);
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto lines = lines_of(fuzz::as_text(data, size));
  std::vector<std::string> filters;
  rules::TopicTrie trie;
  for (auto line : lines) {
    (void)topic_levels(line);
    if (!valid_topic_filter(line)) continue;
    trie.add(line, static_cast<uint32_t>(filters.size()));
    filters.emplace_back(line);
  }
  for (auto topic : lines) {
    if (!valid_topic_name(topic)) continue;
    std::vector<uint32_t> matched;
    trie.match(topic, matched);
    for (uint32_t i = 0; i < filters.size(); ++i) {
      const bool by_trie = std::find(matched.begin(), matched.end(), i) != matched.end();
      require(by_trie == topic_matches(filters[i], topic));
    }
    // Every topic an inner filter matches, a covering outer filter matches too.
    for (const auto& outer : filters)
      for (const auto& inner : filters)
        if (filter_covers(outer, inner) && topic_matches(inner, topic)) require(topic_matches(outer, topic));
  }
  // The minimal set still matches every topic some filter matched.
  const auto minimal = minimal_filters(filters);
  for (auto topic : lines) {
    if (!valid_topic_name(topic)) continue;
    bool any = false, any_minimal = false;
    for (const auto& f : filters) any = any || topic_matches(f, topic);
    for (const auto& f : minimal) any_minimal = any_minimal || topic_matches(f, topic);
    require(any == any_minimal);
  }
  return 0;
}
