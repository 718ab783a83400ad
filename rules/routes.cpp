#include "rules/routes.h"

#include <algorithm>

#include "core/topic.h"

namespace edgegw::rules {

namespace {

bool retain_flag(RetainMode mode, bool received) {
  switch (mode) {
    case RetainMode::keep: return received;
    case RetainMode::always: return true;
    case RetainMode::never: return false;
  }
  return received;
}

}  // namespace

std::optional<Routes::Route> Routes::compile_route(const RouteSpec& spec, const std::string& where, Diagnostics& diag) {
  bool ok = true;
  Route r;
  if (!valid_topic_filter(spec.from)) {
    diag.error(spec.from_pos, where + ".from: '" + spec.from + "' is not a valid MQTT topic filter");
    ok = false;
  }
  if (spec.to) {
    auto t = Template::compile_topic(*spec.to);
    if (t) {
      r.to = std::move(t).value();
    } else {
      report(diag, spec.to_pos, where + ".to", t.error());
      ok = false;
    }
  }
  if (spec.if_expr) {
    auto e = Expression::compile(*spec.if_expr);
    if (e) {
      r.condition = std::move(e).value();
    } else {
      report(diag, spec.if_pos, where + ".if", e.error());
      ok = false;
    }
  }
  if (spec.qos < 0 || spec.qos > 2) {
    diag.error(spec.pos, where + ".qos: must be 0, 1 or 2, not " + std::to_string(spec.qos));
    ok = false;
  }
  if (!ok) return std::nullopt;
  r.from = spec.from;
  r.source = spec.direction == Direction::out ? Link::local : Link::upstream;
  r.qos = spec.qos;
  r.retain = spec.retain;
  r.latest_only = spec.while_offline == WhileOffline::latest_only;
  r.priority = spec.priority;
  r.origin = (spec.direction == Direction::out ? "route:" : "route:in:") + spec.from;
  return r;
}

Routes Routes::compile(const std::vector<RouteSpec>& specs, Diagnostics& diag) {
  Routes out;
  for (size_t i = 0; i < specs.size(); ++i) {
    auto r = compile_route(specs[i], "forward[" + std::to_string(i) + "]", diag);
    if (r) out.routes_.push_back(std::move(*r));
  }
  return out;
}

std::vector<Routes::Subscription> Routes::subscriptions(Link source) const {
  std::vector<Subscription> subs;
  for (const Route& r : routes_) {
    if (r.source != source) continue;
    auto same = std::find_if(subs.begin(), subs.end(), [&](const Subscription& s) { return s.filter == r.from; });
    if (same == subs.end()) {
      subs.push_back(Subscription{r.from, r.qos});
    } else {
      same->qos = std::max(same->qos, r.qos);
    }
  }
  return subs;
}

Routes::Outcome Routes::on_event(const EvalContext& ctx, std::vector<Enqueue>& out) const {
  Outcome outcome;
  const Event& e = ctx.event();
  for (const Route& r : routes_) {
    if (r.source != e.link || !topic_matches(r.from, e.topic)) continue;
    if (r.condition && !r.condition->test(ctx)) continue;
    Enqueue q;
    if (r.to) {
      auto topic = r.to->render_topic(ctx);
      if (!topic) {
        ++outcome.bad_topics;
        outcome.last_error = r.origin + ": " + topic.status().message();
        continue;
      }
      q.topic = std::move(topic).value();
    } else {
      q.topic = e.topic;
    }
    q.link = r.source == Link::local ? Link::upstream : Link::local;
    q.payload = e.payload;
    q.qos = r.qos;
    q.retain = retain_flag(r.retain, e.retained);
    q.priority = r.priority;
    q.latest_only = r.latest_only;
    q.origin = r.origin;
    out.push_back(std::move(q));
    ++outcome.enqueued;
  }
  return outcome;
}

}  // namespace edgegw::rules
