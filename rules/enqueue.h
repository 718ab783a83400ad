// rules/enqueue.h — a decision to put one message into the outbox.
//
// Data only: the engine returns it, the gateway executes it (an outbox row
// on `link`). Produced by forward routes (rules/routes.h) and, later, by
// rule actions.
#pragma once

#include <string>

#include "core/event.h"
#include "rules/route_spec.h"

namespace edgegw::rules {

struct Enqueue {
  Link link = Link::upstream;  // the broker to publish on
  std::string topic;           // a valid topic name (checked when rendered)
  std::string payload;         // the exact bytes to publish
  int qos = 1;
  bool retain = false;
  Priority priority = Priority::normal;
  bool latest_only = false;  // while the link is down keep only the newest row per topic
  std::string origin;        // "route:<from>", "route:in:<from>" (edgegw test's "rule")
};

}  // namespace edgegw::rules
