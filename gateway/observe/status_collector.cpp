#include "gateway/observe/status_collector.h"

#include <chrono>

namespace edgegw::gateway {
namespace {

std::string duration_text(Duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

std::vector<RuleSnapshot> rule_snapshots(const rules::Engine& engine) {
  std::vector<RuleSnapshot> out;
  const auto& compiled = engine.rules().rules();
  const auto& stats = engine.rule_stats();
  for (size_t i = 0; i < compiled.size(); ++i) {
    const auto& r = compiled[i];
    RuleSnapshot rs{.id = r.id, .description = r.description, .trigger = trigger_summary(r), .enabled = r.enabled};
    if (i < stats.size()) {
      rs.matches = stats[i].matches;
      rs.fires = stats[i].fires;
      rs.failures = stats[i].count(rules::NoteKind::bad_topic);
      if (stats[i].last_fire) rs.last_fire_ms = to_unix_ms(*stats[i].last_fire);
      rs.notes = stats[i].notes;
      if (stats[i].last_stop) {
        rs.last_stop = rules::note_name(*stats[i].last_stop);
        rs.last_stop_ms = to_unix_ms(stats[i].last_stop_at);
      }
    }
    out.push_back(std::move(rs));
  }
  return out;
}

}  // namespace

std::string trigger_summary(const rules::CompiledRule& r) {
  using rules::TriggerKind;
  switch (r.trigger) {
    case TriggerKind::topic: {
      std::string out = r.from_upstream ? "upstream topic" : "topic";
      for (size_t i = 0; i < r.topics.size(); ++i) out += (i ? ", " : " ") + r.topics[i];
      return out;
    }
    case TriggerKind::device: return "device " + r.device + " " + r.device_event;
    case TriggerKind::every: return "every " + duration_text(r.every);
    case TriggerKind::cron: return "cron";
    case TriggerKind::gateway: return "gateway " + r.gateway_event;
  }
  return "";
}

StatusCollector::StatusCollector(StatusOptions opt, const Metrics& metrics, StatusBoard& board)
    : opt_(std::move(opt)), metrics_(metrics), board_(board), history_(opt_.history_every_ms, 120) {
  ha_active_ = opt_.ha == HaMode::on || (opt_.ha == HaMode::automatic && opt_.ha_seen);
}

std::string StatusCollector::online_status() const { return online_status_payload(opt_.version, opt_.started_ms); }

void StatusCollector::on_loop(const Outbox& outbox, const rules::Engine* rules) {
  const int64_t now = opt_.mono_ms();
  board_.beat(now);
  if (!started_ && metrics_.local_subscribed.load(std::memory_order_relaxed)) {
    started_ = true;
    board_.set_started();
  }
  Health h = evaluate_health(board_.health_input(metrics_, now));
  bool changed = !(h == health_);
  health_ = std::move(h);
  if (changed && health_.http_status() == 200 && !ready_sent_) {
    ready_sent_ = true;
    if (opt_.notify) opt_.notify("READY=1");  // the same moment /healthz first says 200
  }
  if (!metrics_.connected[0].load(std::memory_order_relaxed)) ha_announced_ = false;
  if (now < next_publish_ && !changed) return;
  next_publish_ = now + opt_.publish_every_ms;
  publish_snapshot(now, outbox, rules);
}

void StatusCollector::publish_snapshot(int64_t now_mono, const Outbox& outbox, const rules::Engine* rules) {
  auto s = std::make_shared<StatusSnapshot>();
  s->gateway_id = opt_.gateway_id;
  s->version = opt_.version;
  s->at_ms = opt_.wall_ms();
  s->started_ms = opt_.started_ms;
  for (Link link : {Link::local, Link::upstream}) {
    LinkSnapshot& l = s->links[static_cast<int>(link)];
    l.configured = link == Link::local || opt_.upstream_configured;
    LinkStats st = outbox.stats(link);
    l.depth = st.messages;
    l.bytes = st.bytes;
    l.oldest_created_ms = st.oldest_created_ms;
    l.tls_error = tls_error_[static_cast<int>(link)];
  }
  uint64_t received = Metrics::get(metrics_.received[0]) + Metrics::get(metrics_.received[1]);
  if (last_rate_at_ > 0 && now_mono > last_rate_at_) {
    rate_ = static_cast<double>(received - last_received_) * 1000.0 / static_cast<double>(now_mono - last_rate_at_);
  }
  last_rate_at_ = now_mono;
  last_received_ = received;
  s->events_per_second = rate_;
  if (rules) s->rules = rule_snapshots(*rules);
  const LinkSnapshot& backlog = s->links[opt_.upstream_configured ? 1 : 0];
  history_.add(s->at_ms, backlog.depth);
  s->backlog = history_.samples();
  if (s->backlog.empty() || s->backlog.back().at_ms != s->at_ms) s->backlog.push_back({s->at_ms, backlog.depth});
  if (opt_.devices) {
    DevicesView d = opt_.devices();
    s->devices_json = std::move(d.json);
    s->devices_known = true;
    s->devices_total = d.total;
    s->devices_online = d.online;
  }
  refresh_ha(now_mono, *s);
  board_.publish(std::move(s));
}

void StatusCollector::refresh_ha(int64_t now_mono, const StatusSnapshot& s) {
  if (!ha_active_ || !opt_.publish_local || !metrics_.connected[0].load(std::memory_order_relaxed)) return;
  if (!ha_announced_) {
    for (const auto& m : discovery_configs(opt_.ha_prefix, opt_.gateway_id, opt_.version)) {
      opt_.publish_local(m.topic, m.payload);
    }
    ha_announced_ = true;
    ha_last_state_.clear();  // the state follows its configs on every new connection
  }
  GatewayState g;
  g.health = health_state_name(health_.state);
  g.upstream_configured = opt_.upstream_configured;
  g.upstream_connected = metrics_.connected[1].load(std::memory_order_relaxed);
  g.outbox_depth = s.links[opt_.upstream_configured ? 1 : 0].depth;
  g.events_per_second = s.events_per_second;
  g.devices_offline = s.devices_total - s.devices_online;
  // On change of what Home Assistant shows as a state, else every ha_refresh_ms.
  std::string key = g.health + (g.upstream_connected ? "1" : "0") + std::to_string(g.devices_offline);
  if (key == ha_last_state_ && now_mono < ha_next_refresh_) return;
  ha_last_state_ = key;
  ha_next_refresh_ = now_mono + opt_.ha_refresh_ms;
  opt_.publish_local(state_topic(opt_.gateway_id), gateway_state_payload(g));
}

}  // namespace edgegw::gateway
