// core/topic.h — MQTT topic names and filters (MQTT 5.0 §4.7).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edgegw {

// True if `topic` (a topic name) matches `filter`. `+` matches one level, a
// trailing `#` the parent and any number of levels. Per §4.7.2, a filter
// starting with a wildcard does not match topics that start with '$'.
bool topic_matches(std::string_view filter, std::string_view topic);

// A topic name: non-empty, at most 65535 bytes, no '+', '#' or NUL.
bool valid_topic_name(std::string_view topic);

// A topic filter: non-empty, at most 65535 bytes, no NUL, '+' alone in its
// level, '#' alone in the last level.
bool valid_topic_filter(std::string_view filter);

// True if every topic matched by `inner` is also matched by `outer`.
bool filter_covers(std::string_view outer, std::string_view inner);

// Of `filters`, those that no other filter in the list covers (duplicates
// collapse to one), in their first-seen order: the set to subscribe, since
// the broker delivers one copy per matching subscription.
std::vector<std::string> minimal_filters(const std::vector<std::string>& filters);

// Splits "a/b/c" into {"a","b","c"}; "" gives {""}.
std::vector<std::string_view> topic_levels(std::string_view topic);

}  // namespace edgegw
