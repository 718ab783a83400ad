// rules/routes.h — the `forward:` routes of gateway.yaml, compiled.
//
// An `out` route matches events from the local link and enqueues a copy for
// the upstream; an `in` route matches events from the upstream link and
// enqueues a copy for the local broker (a Mosquitto bridge's `topic ... in`).
// The payload is forwarded byte-exact. `to` (default: the same topic) is a
// template in which `topic` is the source topic; `if` is an expression; the
// payload is parsed only if one of them reads a payload field.
//
// Threads: compile anywhere; an immutable Routes may be shared. on_event runs
// on the engine thread (its EvalContext is that thread's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/diag.h"
#include "core/event.h"
#include "rules/enqueue.h"
#include "rules/eval_context.h"
#include "rules/expression.h"
#include "rules/route_spec.h"
#include "rules/template.h"

namespace edgegw::rules {

class Routes {
 public:
  Routes() = default;  // no routes

  // Compiles every route, reporting every error to `diag` as
  // "forward[i].FIELD: MESSAGE": a bad filter at from_pos, a bad `to`
  // template at to_pos plus its column, a bad `if` at if_pos plus its column,
  // a qos outside 0..2 at the route's pos. Routes with errors are left out;
  // the caller checks diag.has_errors().
  static Routes compile(const std::vector<RouteSpec>& specs, Diagnostics& diag);

  struct Subscription {
    std::string filter;
    int qos = 1;
  };

  // What to subscribe on the `source` link for these routes (out routes:
  // local, in routes: upstream), one per distinct filter with the highest
  // qos asked for it, in route order. Not minimised (see minimal_filters()).
  std::vector<Subscription> subscriptions(Link source) const;

  struct Outcome {
    int enqueued = 0;        // messages appended to `out`
    int bad_topics = 0;      // matching routes whose rendered topic was invalid: skipped
    std::string last_error;  // the last bad topic's message, for a rate-limited log line
  };

  // Appends one Enqueue per route that matches ctx.event(): right link,
  // filter matches, `if` true. A route whose topic renders invalid is
  // skipped and counted, never published.
  Outcome on_event(const EvalContext& ctx, std::vector<Enqueue>& out) const;

  bool empty() const { return routes_.empty(); }
  size_t size() const { return routes_.size(); }

 private:
  struct Route {
    std::string from;
    Link source = Link::local;
    std::optional<Template> to;
    std::optional<Expression> condition;
    int qos = 1;
    RetainMode retain = RetainMode::keep;
    bool latest_only = false;
    Priority priority = Priority::normal;
    std::string origin;
  };

  static std::optional<Route> compile_route(const RouteSpec& spec, const std::string& where, Diagnostics& diag);

  std::vector<Route> routes_;
};

}  // namespace edgegw::rules
