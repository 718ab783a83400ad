// The actions of a rule, rendered into decisions (rules/decision.h).
#include <span>

#include "core/topic.h"
#include "rules/engine.h"

namespace edgegw::rules {

void Engine::run_action(size_t rule, size_t index, const std::string& key, const EvalContext& ctx, Sink& sink) {
  const CompiledRule& r = rules_->rules()[rule];
  const CompiledAction& a = r.then[index];
  switch (a.kind) {
    case ActionKind::publish:
    case ActionKind::forward: run_publish(rule, index, key, ctx, sink); break;
    case ActionKind::set: run_set(r, a, ctx, sink.out); break;
    case ActionKind::delay: break;  // zero delay: nothing to wait for
    case ActionKind::log:
      sink.out.push_back({ctx.now(), LogLine{r.id, a.level, a.message ? a.message->render(ctx) : ""}});
      break;
    case ActionKind::http: {
      HttpCall call{r.id, a.method, a.url ? a.url->render(ctx) : "", {}, "", a.timeout, a.retries};
      for (const auto& [name, value] : a.headers) call.headers.emplace_back(name, value.render(ctx));
      if (a.body) call.body = a.body->render(ctx);
      sink.out.push_back({ctx.now(), std::move(call)});
      break;
    }
  }
}

// publish and forward; a topic that renders invalid is counted and skipped.
void Engine::run_publish(size_t rule, size_t index, const std::string& key, const EvalContext& ctx, Sink& sink) {
  const CompiledRule& r = rules_->rules()[rule];
  const CompiledAction& a = r.then[index];
  const Event& e = ctx.event();
  const bool forward = a.kind == ActionKind::forward;
  auto skip = [&](std::string why) {
    if (count_note(rule, NoteKind::bad_topic, ctx.now())) {
      hand_on(rule, NoteKind::bad_topic, key, ctx.now(), sink, std::move(why), std::nullopt, static_cast<int>(index));
    }
  };
  Enqueue q;
  if (a.topic) {
    auto topic = a.topic->render_topic(ctx);
    if (!topic) return skip(topic.status().message());
    q.topic = std::move(topic).value();
  } else {
    if (!valid_topic_name(e.topic)) return skip("forward of an event without a valid topic '" + e.topic + "'");
    q.topic = e.topic;
  }
  q.link = a.to;
  q.payload = forward ? e.payload : (a.payload ? a.payload->render(ctx) : std::string());
  q.qos = a.qos;
  q.retain = a.retain.value_or(forward ? e.retained : false);
  q.priority = a.priority;
  q.origin = r.id;
  sink.out.push_back({ctx.now(), Publish{std::move(q), forward}});
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
