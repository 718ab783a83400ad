// gateway/observe/status_render.h — /metrics and /api/* bodies from what HTTP may read.
//
// Inputs: the Metrics atomics (read now), the latest StatusSnapshot (at most
// a second old; null before the engine published one) and the Health that
// /healthz answers at the same moment. Pure apart from reading /proc/self
// for the process_* metrics; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "gateway/observe/health.h"
#include "gateway/base/metrics.h"
#include "gateway/observe/status_snapshot.h"

namespace edgegw::gateway {

// Prometheus text format 0.0.4.
std::string render_metrics(const Metrics& m, const StatusSnapshot* s, const Health& h, int64_t now_ms);
// {"gateway":..., "health":..., "links":..., "backlog":[[ms,depth],...], "rules":[...], ...}
std::string render_status_json(const Metrics& m, const StatusSnapshot* s, const Health& h, int64_t now_ms);
std::string render_rules_json(const StatusSnapshot* s);

}  // namespace edgegw::gateway
