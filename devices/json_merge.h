// devices/json_merge.h — the merged device state as compact JSON text.
//
// A device's state is kept as one compact JSON object string (small in RAM:
// no DOM per device). A report merges shallowly, as zigbee2mqtt does: keys
// in the report replace the old ones in place, new keys are appended, the
// rest stay. Internal to devices/ (it includes simdjson).
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgegw::devices {

// (key as unescaped text, value as compact JSON text)
using JsonMembers = std::vector<std::pair<std::string, std::string>>;

// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

// The members of `obj`, each value as compact JSON.
JsonMembers members_of(simdjson::dom::object obj);

// `state` with `updates` merged in (see above). A `state` that is not a JSON
// object (empty, plain text, an array) is treated as {}. Uses `scratch` to
// parse `state`; it must not hold a document the caller still reads.
std::string merge_members(simdjson::dom::parser& scratch, std::string_view state, const JsonMembers& updates);

// The compact JSON of member `key` of the object in `json`; "" if none.
std::string member_text(simdjson::dom::parser& scratch, std::string_view json, std::string_view key);

}  // namespace edgegw::devices
