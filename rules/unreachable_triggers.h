// rules/unreachable_triggers.h — topic triggers that the gateway's own
// publishes can never fire (`edgegw check` warns about them; docs/rules.md).
//
// Over MQTT 5 the gateway subscribes with No Local: a message it publishes
// never comes back to it. So a rule whose trigger filter only matches topics
// the gateway itself publishes on that link (another rule's `publish`, a
// `forward`, a forward route's destination, e.g. the local copy an `in` route
// makes of an upstream command) is never fired by those messages: rules
// cannot be chained through a topic. Only other clients' messages on those
// topics fire it, which is why this is a warning and not an error. Over
// MQTT 3.1.1 there is no No Local and the messages do come back.
//
// A topic template counts as a filter with `+` for each level that holds an
// expression ("alerts/{{ gateway.id }}/x" -> "alerts/+/x"); the trigger is
// reported when that filter covers it (filter_covers), so a broad trigger
// such as `zigbee2mqtt/#` that also sees devices is never reported.
//
// Pure logic: no I/O, any thread, nothing throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diag.h"
#include "core/event.h"
#include "rules/route_spec.h"
#include "rules/rule_spec.h"

namespace edgegw::rules {

// A topic (or filter of topics) that the gateway publishes itself.
struct OwnTopic {
  Link link = Link::local;  // the broker it is published on
  std::string filter;
  std::string what;  // who publishes it: "rules[0] ('id') then[2]", "forward[1]"
};

// The filter a topic template can render: its levels, with `+` for a level
// that holds an expression; nullopt if a "{{" is not closed. A '/' inside
// "{{ }}" does not split levels.
std::optional<std::string> template_filter(std::string_view text);

// What enabled rules (publish, forward) and the routes publish by themselves.
// Rules are named by their index in their own file, as the loader does.
std::vector<OwnTopic> own_topics(const std::vector<RuleSpec>& rules, const std::vector<RouteSpec>& routes);

// A warning at each enabled rule's topic-trigger filter that an own topic on
// the trigger's link covers, for the links with No Local (MQTT 5).
void warn_unreachable_triggers(const std::vector<RuleSpec>& rules, const std::vector<OwnTopic>& own,
                               bool local_no_local, bool upstream_no_local, Diagnostics& diags);

}  // namespace edgegw::rules
