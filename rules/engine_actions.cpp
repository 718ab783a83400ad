// The actions of a rule, rendered into decisions (rules/decision.h).
#include <span>

#include "core/topic.h"
#include "rules/engine.h"

namespace edgegw::rules {

void Engine::run_action(const CompiledRule& r, const CompiledAction& a, const EvalContext& ctx,
                        std::vector<TimedDecision>& out) {
  switch (a.kind) {
    case ActionKind::publish:
    case ActionKind::forward: run_publish(r, a, ctx, out); break;
    case ActionKind::set: run_set(r, a, ctx, out); break;
    case ActionKind::delay: break;  // zero delay: nothing to wait for
    case ActionKind::log:
      out.push_back({ctx.now(), LogLine{r.id, a.level, a.message ? a.message->render(ctx) : ""}});
      break;
    case ActionKind::http: {
      HttpCall call{r.id, a.method, a.url ? a.url->render(ctx) : "", {}, "", a.timeout, a.retries};
      for (const auto& [name, value] : a.headers) call.headers.emplace_back(name, value.render(ctx));
      if (a.body) call.body = a.body->render(ctx);
      out.push_back({ctx.now(), std::move(call)});
      break;
    }
  }
}

void Engine::count_failure(const std::string& rule_id) {
  const int64_t i = rules_->index_of(rule_id);
  if (i >= 0) ++rule_stats_[static_cast<size_t>(i)].failures;
}

// publish and forward; a topic that renders invalid is counted and skipped.
void Engine::run_publish(const CompiledRule& r, const CompiledAction& a, const EvalContext& ctx,
                         std::vector<TimedDecision>& out) {
  const Event& e = ctx.event();
  const bool forward = a.kind == ActionKind::forward;
  Enqueue q;
  if (a.topic) {
    auto topic = a.topic->render_topic(ctx);
    if (!topic) {
      ++stats_.bad_topics;
      count_failure(r.id);
      stats_.last_error = r.id + ": " + topic.status().message();
      return;
    }
    q.topic = std::move(topic).value();
  } else {
    if (!valid_topic_name(e.topic)) {
      ++stats_.bad_topics;
      count_failure(r.id);
      stats_.last_error = r.id + ": forward of an event without a valid topic '" + e.topic + "'";
      return;
    }
    q.topic = e.topic;
  }
  q.link = a.to;
  q.payload = forward ? e.payload : (a.payload ? a.payload->render(ctx) : std::string());
  q.qos = a.qos;
  q.retain = a.retain.value_or(forward ? e.retained : false);
  q.priority = a.priority;
  q.origin = r.id;
  out.push_back({ctx.now(), Publish{std::move(q), forward}});
}

void Engine::run_set(const CompiledRule& r, const CompiledAction& a, const EvalContext& ctx,
                     std::vector<TimedDecision>& out) {
  for (const SetValue& v : a.values) {
    Value value;
    if (const auto* constant = std::get_if<Value>(&v.value)) {
      value = *constant;
    } else if (const auto* t = std::get_if<Template>(&v.value)) {
      value = t->render_value(ctx);
    } else {
      // A map or list: rendered as JSON, read back with our own parser so
      // the event's parsed document stays in place.
      const std::string json = std::get<PayloadTemplate>(v.value).render(ctx);
      value = Payload(json, scratch_parser_).get(std::span<const PathKey>());
    }
    out.push_back({ctx.now(), SetState{r.id, v.name, std::move(value)}});
  }
}

}  // namespace edgegw::rules
