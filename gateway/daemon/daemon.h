// gateway/daemon/daemon.h — `edgegw run`: wires the parts and runs the engine loop.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/config/config.h"
#include "gateway/mqtt/mqtt_link.h"
#include "rules/routes.h"
#include "rules/rule_set.h"

namespace edgegw::gateway {

// Runs in the foreground until SIGTERM/SIGINT, with the rules and routes
// check_config() compiled from `cfg` (gateway/cli/check.h; `rules` not null).
// Returns the exit code: 0 after a clean stop, 1 when it cannot start (the
// reason is logged).
int run_daemon(const Config& cfg, std::shared_ptr<const rules::RuleSet> rules, const rules::Routes& routes);

// The filters to subscribe on one link: `base` plus the routes' source
// filters, reduced to those no other filter covers; each keeps the highest
// qos of the filters it covers.
std::vector<Subscription> plan_subscriptions(const std::vector<std::pair<std::string, int>>& wanted);

}  // namespace edgegw::gateway
