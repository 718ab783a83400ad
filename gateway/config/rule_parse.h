// gateway/config/rule_parse.h — the parts of the rule loader shared by its files
// (internal to gateway/config/rule_loader.cpp and rule_actions.cpp).
#pragma once

#include <vector>

#include "gateway/config/config_yaml.h"
#include "rules/rule_spec.h"

namespace edgegw::gateway::detail {

// `then:` — a non-empty list of one-key maps. Appends every item to `out`,
// so that each keeps its index; the ones it reports are marked broken.
void parse_actions(YamlDoc& doc, const Field& f, std::vector<rules::ActionSpec>& out);

// A YAML value as a payload (design.md, typed payloads): maps keep their
// written order; plain scalars follow the YAML 1.2 core schema (null, true,
// false, decimal numbers as double), everything else — quoted scalars, `ON`,
// `yes` — is a string. False (with the errors reported) on a non-scalar key.
bool read_payload(YamlDoc& doc, const Field& f, rules::PayloadSpec& out);

// A non-empty string kept with the position of its first character.
bool read_located(YamlDoc& doc, const Field& f, rules::Located& out);

}  // namespace edgegw::gateway::detail
