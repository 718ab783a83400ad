// gateway/engine/rule_note_text.h — a RuleNote (rules/rule_note.h) as one
// line for people: the daemon's log and `edgegw test`'s stderr say it alike.
//
//   rule hall-light fired [zigbee2mqtt/hall]
//   rule hall-light stopped: if_false: payload.occupancy == true was false; payload.occupancy = false [zigbee2mqtt/hall]
//   rule alarm stopped: throttled until 2026-01-14T14:23:00Z: throttle 10m [zigbee2mqtt/door]
//   rule lights dropped action 0: bad_topic: topic template '…': level 1 is empty [zigbee2mqtt/hall]
//   rule lights dropped a run: single_busy until 2026-01-14T14:15:00Z: mode single: … [zigbee2mqtt/hall]
//
// Pure; any thread.
#pragma once

#include <string>

#include "rules/rule_note.h"

namespace edgegw::gateway {

std::string rule_note_text(const rules::RuleNote& note);

}  // namespace edgegw::gateway
