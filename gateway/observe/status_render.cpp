#include "gateway/observe/status_render.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "gateway/observe/prometheus.h"

namespace edgegw::gateway {
namespace {

constexpr const char* kLinkNames[2] = {"local", "upstream"};

double age_seconds(int64_t oldest_ms, int64_t now_ms) {
  return oldest_ms > 0 && now_ms > oldest_ms ? static_cast<double>(now_ms - oldest_ms) / 1000.0 : 0.0;
}

void per_link(PromText& p, const char* name, const char* type, const char* help, const Metrics::Counter (&c)[2]) {
  p.family(name, type, help);
  for (int li = 0; li < 2; ++li) p.sample(name, Metrics::get(c[li]), {{"link", kLinkNames[li]}});
}

// The http actions' webhook calls (gateway/http).
void webhooks(PromText& p, const Metrics& m) {
  p.family("edgegw_http_sent_total", "counter", "Webhook calls (http actions) answered with a 2xx status.");
  p.sample("edgegw_http_sent_total", Metrics::get(m.http_sent));
  p.family("edgegw_http_failed_total", "counter", "Webhook attempts that failed (then retried or dead-lettered).");
  p.sample("edgegw_http_failed_total", Metrics::get(m.http_failed));
  p.family("edgegw_http_deadlettered_total", "counter", "Webhook calls moved to the dead letters.");
  p.sample("edgegw_http_deadlettered_total", Metrics::get(m.http_deadlettered));
}

void traffic(PromText& p, const Metrics& m) {
  per_link(p, "edgegw_received_total", "counter", "Messages received from a link and taken into the journal.",
           m.received);
  per_link(p, "edgegw_enqueued_total", "counter", "Outbox rows appended for a destination link.", m.enqueued);
  per_link(p, "edgegw_forwarded_total", "counter", "Outbox rows the destination link acknowledged (PUBACK).",
           m.delivered);
  per_link(p, "edgegw_reconnects_total", "counter", "Times a link was lost after being connected.", m.reconnects);
  per_link(p, "edgegw_deadlettered_total", "counter",
           "Poison rows the link's broker refused for good (or above its Maximum Packet Size), moved to the "
           "dead letters.",
           m.deadlettered);
  p.family("edgegw_dropped_total", "counter", "Messages or rows dropped, by reason.");
  const std::pair<const char*, uint64_t> drops[] = {
      {"oversize", Metrics::get(m.dropped_oversize)}, {"bad_template", Metrics::get(m.bad_topic)},
      {"buffer_full", Metrics::get(m.dropped_full)},  {"buffer_full_rejected", Metrics::get(m.rejected_full)},
      {"expired", Metrics::get(m.expired)},           {"superseded", Metrics::get(m.replaced_latest)},
  };
  for (const auto& [reason, n] : drops) p.sample("edgegw_dropped_total", n, {{"reason", reason}});
  p.family("edgegw_link_connected", "gauge", "1 while the link is connected.");
  for (int li = 0; li < 2; ++li) {
    p.sample("edgegw_link_connected", uint64_t{m.connected[li].load(std::memory_order_relaxed)},
             {{"link", kLinkNames[li]}});
  }
  p.family("edgegw_ingress_paused", "gauge", "1 while the local link is held down for journal backpressure.");
  p.sample("edgegw_ingress_paused", uint64_t{m.ingress_paused.load(std::memory_order_relaxed)});
  p.family("edgegw_state_dir_free_bytes", "gauge", "Bytes available to the gateway on the state_dir's file system.");
  p.sample("edgegw_state_dir_free_bytes", m.state_dir_free_bytes.load(std::memory_order_relaxed));
  p.family("edgegw_disk_full", "gauge", "1 while the state_dir is too full to take messages in or add rows.");
  p.sample("edgegw_disk_full", uint64_t{m.disk_full.load(std::memory_order_relaxed)});
  p.histogram("edgegw_delivery_latency_seconds", "Upstream rows: from local receive to the upstream PUBACK.",
              m.delivery_latency);
  webhooks(p, m);
}

void outbox(PromText& p, const StatusSnapshot& s, int64_t now_ms) {
  p.family("edgegw_outbox_messages", "gauge", "Outbox rows waiting for a link.");
  for (int li = 0; li < 2; ++li) p.sample("edgegw_outbox_messages", s.links[li].depth, {{"link", kLinkNames[li]}});
  p.family("edgegw_outbox_bytes", "gauge", "Topic and payload bytes of the rows waiting for a link.");
  for (int li = 0; li < 2; ++li) p.sample("edgegw_outbox_bytes", s.links[li].bytes, {{"link", kLinkNames[li]}});
  p.family("edgegw_outbox_oldest_age_seconds", "gauge", "Age of the oldest waiting row (0 when empty).");
  for (int li = 0; li < 2; ++li) {
    p.sample("edgegw_outbox_oldest_age_seconds", age_seconds(s.links[li].oldest_created_ms, now_ms),
             {{"link", kLinkNames[li]}});
  }
}

// The stop reasons (drops = false) or the drop reasons of every rule.
void note_family(PromText& p, const StatusSnapshot& s, std::string_view name, std::string_view help, bool drops) {
  p.family(name, "counter", help);
  for (size_t k = 1; k < rules::kNoteKinds; ++k) {  // 0 is `fired`: edgegw_rule_fires_total
    const auto kind = static_cast<rules::NoteKind>(k);
    if (rules::is_drop(kind) != drops) continue;
    for (const auto& r : s.rules) p.sample(name, r.notes[k], {{"rule", r.id}, {"reason", rules::note_name(kind)}});
  }
}

void rules(PromText& p, const StatusSnapshot& s) {
  p.family("edgegw_rule_matches_total", "counter", "Events or timers that matched a rule's trigger.");
  for (const auto& r : s.rules) p.sample("edgegw_rule_matches_total", r.matches, {{"rule", r.id}});
  p.family("edgegw_rule_fires_total", "counter", "Times a rule's actions started.");
  for (const auto& r : s.rules) p.sample("edgegw_rule_fires_total", r.fires, {{"rule", r.id}});
  p.family("edgegw_rule_action_failures_total", "counter", "Rule actions skipped because they failed.");
  for (const auto& r : s.rules) p.sample("edgegw_rule_action_failures_total", r.failures, {{"rule", r.id}});
  note_family(p, s, "edgegw_rule_stops_total", "Matched events a rule did not act on, by reason.", false);
  note_family(p, s, "edgegw_rule_drops_total", "Runs and actions of a rule that were lost, by reason.", true);
  p.family("edgegw_rule_last_fire_timestamp_seconds", "gauge", "Unix time a rule last fired (0: never).");
  for (const auto& r : s.rules) {
    p.sample("edgegw_rule_last_fire_timestamp_seconds", static_cast<double>(r.last_fire_ms) / 1000.0, {{"rule", r.id}});
  }
}

void process(PromText& p, const StatusSnapshot* s) {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  if (statm >> pages_total >> pages_resident) {
    p.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    p.sample("process_resident_memory_bytes", pages_resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)));
  }
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) == 0) {
    double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    p.family("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.");
    p.sample("process_cpu_seconds_total", cpu);
  }
  if (s) {
    p.family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.");
    p.sample("process_start_time_seconds", static_cast<double>(s->started_ms) / 1000.0);
  }
}

nlohmann::json link_json(const Metrics& m, const StatusSnapshot* s, int li, int64_t now_ms) {
  nlohmann::json j;
  bool configured = li == 0 || (s && s->links[li].configured);
  j["configured"] = configured;
  bool connected = m.connected[li].load(std::memory_order_relaxed);
  j["connected"] = connected;
  j["state"] = !configured                                                     ? "not configured"
               : connected                                                     ? "connected"
               : (li == 0 && m.ingress_paused.load(std::memory_order_relaxed)) ? "held down"
                                                                               : "disconnected";
  j["received"] = Metrics::get(m.received[li]);
  j["forwarded"] = Metrics::get(m.delivered[li]);
  j["reconnects"] = Metrics::get(m.reconnects[li]);
  j["deadlettered"] = Metrics::get(m.deadlettered[li]);
  if (s) {
    j["outbox_messages"] = s->links[li].depth;
    j["outbox_bytes"] = s->links[li].bytes;
    j["oldest_age_seconds"] = age_seconds(s->links[li].oldest_created_ms, now_ms);
    const std::string& tls = s->links[li].tls_error;
    j["tls_error"] = tls.empty() ? nlohmann::json() : nlohmann::json(tls);
  }
  return j;
}

// {"if_false": 3, …}: the stop reasons, or the drop reasons, each counted.
nlohmann::json notes_object(const RuleSnapshot& r, bool drops) {
  nlohmann::json o = nlohmann::json::object();
  for (size_t k = 1; k < rules::kNoteKinds; ++k) {
    const auto kind = static_cast<rules::NoteKind>(k);
    if (rules::is_drop(kind) == drops) o[std::string(rules::note_name(kind))] = r.notes[k];
  }
  return o;
}

nlohmann::json rules_array(const StatusSnapshot* s) {
  nlohmann::json a = nlohmann::json::array();
  if (!s) return a;
  for (const auto& r : s->rules) {
    a.push_back({{"id", r.id},
                 {"description", r.description},
                 {"enabled", r.enabled},
                 {"trigger", r.trigger},
                 {"matches", r.matches},
                 {"fires", r.fires},
                 {"failures", r.failures},
                 {"stops", notes_object(r, false)},
                 {"drops", notes_object(r, true)},
                 {"last_stop", r.last_stop.empty() ? nlohmann::json() : nlohmann::json(r.last_stop)},
                 {"last_stop_ms", r.last_stop_ms == 0 ? nlohmann::json() : nlohmann::json(r.last_stop_ms)},
                 {"last_fire_ms", r.last_fire_ms == 0 ? nlohmann::json() : nlohmann::json(r.last_fire_ms)}});
  }
  return a;
}

}  // namespace

std::string render_metrics(const Metrics& m, const StatusSnapshot* s, const Health& h, int64_t now_ms) {
  PromText p;
  if (s) {
    p.family("edgegw_info", "gauge", "Always 1; the gateway id and version as labels.");
    p.sample("edgegw_info", uint64_t{1}, {{"id", s->gateway_id}, {"version", s->version}});
  }
  p.family("edgegw_health", "gauge", "1 for the current /healthz state.");
  for (HealthState st : {HealthState::ok, HealthState::degraded, HealthState::unavailable}) {
    p.sample("edgegw_health", uint64_t{h.state == st}, {{"state", health_state_name(st)}});
  }
  traffic(p, m);
  if (s) {
    outbox(p, *s, now_ms);
    rules(p, *s);
    if (s->devices_known) {
      p.family("edgegw_devices", "gauge", "Known devices by online state.");
      p.sample("edgegw_devices", s->devices_online, {{"state", "online"}});
      p.sample("edgegw_devices", s->devices_total - s->devices_online, {{"state", "offline"}});
    }
  }
  process(p, s);
  return p.text();
}

std::string render_status_json(const Metrics& m, const StatusSnapshot* s, const Health& h, int64_t now_ms) {
  nlohmann::json j;
  j["health"] = {{"status", health_state_name(h.state)}, {"reason", std::string(h.reason)}};
  j["now_ms"] = now_ms;
  j["links"] = {{"local", link_json(m, s, 0, now_ms)}, {"upstream", link_json(m, s, 1, now_ms)}};
  j["dropped"] = {{"oversize", Metrics::get(m.dropped_oversize)},
                  {"bad_template", Metrics::get(m.bad_topic)},
                  {"buffer_full", Metrics::get(m.dropped_full) + Metrics::get(m.rejected_full)},
                  {"expired", Metrics::get(m.expired)}};
  j["http"] = {{"sent", Metrics::get(m.http_sent)},
               {"failed", Metrics::get(m.http_failed)},
               {"deadlettered", Metrics::get(m.http_deadlettered)}};
  if (!s) return j.dump();
  j["gateway"] = {{"id", s->gateway_id}, {"version", s->version}, {"started_ms", s->started_ms}};
  j["snapshot_ms"] = s->at_ms;
  j["events_per_second"] = s->events_per_second;
  const LinkSnapshot& b = s->links[s->links[1].configured ? 1 : 0];
  j["backlog"] = {{"link", s->links[1].configured ? "upstream" : "local"}, {"messages", b.depth}, {"bytes", b.bytes}};
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& sample : s->backlog) hist.push_back({sample.at_ms, sample.depth});
  j["backlog"]["history"] = std::move(hist);
  j["rules"] = rules_array(s);
  auto doc = nlohmann::json::parse(s->devices_json, nullptr, /*allow_exceptions=*/false);
  j["devices"] = doc.is_object() && doc.contains("devices") ? doc["devices"] : nlohmann::json::array();
  return j.dump();
}

std::string render_rules_json(const StatusSnapshot* s) { return rules_array(s).dump(); }

}  // namespace edgegw::gateway
