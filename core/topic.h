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

// The offset of the first byte that makes `text` unfit for an MQTT topic:
// malformed UTF-8 (overlong forms, surrogates, above U+10FFFF), a control
// character (U+0000-U+001F, U+007F-U+009F) or a noncharacter (U+FDD0-U+FDEF,
// U+xFFFE, U+xFFFF). MQTT requires well-formed UTF-8 and Mosquitto
// disconnects a client that publishes a topic with any of them, so
// such a topic must never reach a link. npos when it is clean.
size_t find_unfit_topic_char(std::string_view text);

// A topic name: non-empty, at most 65535 bytes, no '+', '#', and nothing
// find_unfit_topic_char() flags (NUL included).
bool valid_topic_name(std::string_view topic);

// A topic filter: non-empty, at most 65535 bytes, nothing
// find_unfit_topic_char() flags, '+' alone in its level, '#' alone in the
// last level.
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
