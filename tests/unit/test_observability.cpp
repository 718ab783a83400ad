#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "gateway/observe/ha_discovery.h"
#include "gateway/observe/health.h"
#include "gateway/observe/prometheus.h"
#include "gateway/observe/status_collector.h"
#include "gateway/observe/status_render.h"
#include "gateway/observe/status_snapshot.h"
#include "support/memory_outbox.h"
#include "test_rule_engine_support.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace std::chrono_literals;

namespace {

HealthInput healthy() {
  HealthInput in;
  in.started = true;
  in.local_connected = true;
  in.upstream_configured = true;
  in.upstream_connected = true;
  in.beat_age_ms = 5;
  in.stall_after_ms = 10'000;
  return in;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("Does /healthz say ok, degraded with a reason, or 503 exactly as the design defines?", "[observability]") {
  HealthInput in = healthy();
  CHECK(evaluate_health(in) == Health{HealthState::ok, ""});
  CHECK(evaluate_health(in).http_status() == 200);
  CHECK(evaluate_health(in).json() == R"({"status":"ok"})");

  SECTION("before the local subscriptions were first in place: 503") {
    in.started = false;
    CHECK(evaluate_health(in).http_status() == 503);
    CHECK(evaluate_health(in).reason == "starting");
  }
  SECTION("upstream down: 200 degraded with the reason") {
    in.upstream_connected = false;
    Health h = evaluate_health(in);
    CHECK(h.http_status() == 200);
    CHECK(h.json() == R"({"reason":"upstream disconnected","status":"degraded"})");
  }
  SECTION("no upstream configured: ok needs only the local link") {
    in.upstream_configured = false;
    in.upstream_connected = false;
    CHECK(evaluate_health(in).state == HealthState::ok);
  }
  SECTION("local link down: 503, even while the upstream is up") {
    in.local_connected = false;
    CHECK(evaluate_health(in) == Health{HealthState::unavailable, "local link down"});
  }
  SECTION("local link held down for journal backpressure: degraded, not 503") {
    in.local_connected = false;
    in.journal_paused = true;
    in.upstream_connected = false;
    Health h = evaluate_health(in);
    CHECK(h.http_status() == 200);
    CHECK(h.reason == "journal backpressure: local link held down");
  }
  SECTION("loop stalled: 503 whatever the links say") {
    in.beat_age_ms = 10'001;
    CHECK(evaluate_health(in) == Health{HealthState::unavailable, "engine loop stalled"});
    in.beat_age_ms = 10'000;
    CHECK(evaluate_health(in).state == HealthState::ok);
  }
}

TEST_CASE("Are Prometheus label values and help texts escaped as the 0.0.4 text format requires?", "[observability]") {
  CHECK(escape_label_value(R"(a"b\c)"
                           "\nd") == R"(a\"b\\c\nd)");
  CHECK(escape_help("line1\nback\\slash \"quoted\"") == "line1\\nback\\\\slash \"quoted\"");
  PromText p;
  p.family("edgegw_rule_fires_total", "counter", "Times a rule fired.");
  p.sample("edgegw_rule_fires_total", uint64_t{3}, {{"rule", "hall \"light\""}});
  p.sample("edgegw_x_seconds", 0.25);
  CHECK(p.text() ==
        "# HELP edgegw_rule_fires_total Times a rule fired.\n"
        "# TYPE edgegw_rule_fires_total counter\n"
        "edgegw_rule_fires_total{rule=\"hall \\\"light\\\"\"} 3\n"
        "edgegw_x_seconds 0.25\n");
  CHECK(format_sample_value(0.1) == "0.1");
  CHECK(format_sample_value(1e300 * 1e300) == "+Inf");
  CHECK(format_sample_value(12345678) == "12345678");
  CHECK(format_sample_value(3600) == "3600");
  CHECK(format_sample_value(-0.5) == "-0.5");
}

TEST_CASE("Is the delivery latency histogram cumulative, with +Inf equal to the count and the sum in seconds?",
          "[observability]") {
  LatencyHistogram h;
  h.observe(1);  // le 0.001
  h.observe(3);  // le 0.005
  h.observe(3);
  h.observe(7'200'000);  // two hours: only +Inf
  h.observe(-5);         // a clock step back counts as 0
  PromText p;
  p.histogram("edgegw_delivery_latency_seconds", "help", h);
  const std::string& t = p.text();
  CHECK(contains(t, "# TYPE edgegw_delivery_latency_seconds histogram\n"));
  CHECK(contains(t, "edgegw_delivery_latency_seconds_bucket{le=\"0.001\"} 2\n"));
  CHECK(contains(t, "edgegw_delivery_latency_seconds_bucket{le=\"0.002\"} 2\n"));
  CHECK(contains(t, "edgegw_delivery_latency_seconds_bucket{le=\"0.005\"} 4\n"));
  CHECK(contains(t, "edgegw_delivery_latency_seconds_bucket{le=\"3600\"} 4\n"));
  CHECK(contains(t, "edgegw_delivery_latency_seconds_bucket{le=\"+Inf\"} 5\n"));
  CHECK(contains(t, "edgegw_delivery_latency_seconds_count 5\n"));
  CHECK(contains(t, "edgegw_delivery_latency_seconds_sum 7200.007\n"));
}

TEST_CASE("Does the backlog history keep one sample per interval for the last hour, oldest first?", "[observability]") {
  BacklogHistory h(30'000, 4);
  CHECK(h.samples().empty());
  h.add(1'000, 5);
  h.add(20'000, 9);  // within the interval: not a new sample
  h.add(31'000, 7);
  REQUIRE(h.samples().size() == 2);
  CHECK(h.samples()[1].depth == 7);
  for (int i = 2; i <= 5; ++i) h.add(1'000 + i * 30'000, static_cast<uint64_t>(i * 10));
  auto s = h.samples();  // the ring holds 4: the oldest two fell out
  REQUIRE(s.size() == 4);
  CHECK(s.front().at_ms == 61'000);
  CHECK(s.front().depth == 20);
  CHECK(s.back().at_ms == 151'000);
  CHECK(s.back().depth == 50);
}

namespace {

struct CollectorHarness {
  explicit CollectorHarness(StatusOptions opt = {}, bool upstream = true) : board(upstream) {
    opt.gateway_id = "pi-1";
    opt.version = "1.2.3";
    opt.upstream_configured = upstream;
    opt.mono_ms = [this] { return mono; };
    opt.wall_ms = [this] { return wall; };
    opt.notify = [this](const std::string& line) { notified.push_back(line); };
    opt.publish_local = [this](const std::string& t, const std::string& p) { published.push_back({t, p}); };
    collector = std::make_unique<StatusCollector>(std::move(opt), metrics, board);
  }
  void loop() { collector->on_loop(outbox, rules); }
  Health healthz() const { return evaluate_health(board.health_input(metrics, mono)); }

  Metrics metrics;
  StatusBoard board;
  testing::MemoryOutbox outbox;
  const rules::Engine* rules = nullptr;
  int64_t mono = 100'000, wall = 1'768'400'000'000;
  std::vector<std::string> notified;
  std::vector<RetainedMessage> published;
  std::unique_ptr<StatusCollector> collector;
};

}  // namespace

TEST_CASE("Is READY=1 sent once, at the moment /healthz first says 200?", "[observability]") {
  CollectorHarness h;
  h.loop();
  CHECK(h.healthz().http_status() == 503);
  CHECK(h.notified.empty());
  h.metrics.connected[0] = true;
  h.metrics.local_subscribed = true;  // upstream still down: degraded is a 200 too
  h.mono += 10;
  h.loop();
  CHECK(h.healthz().http_status() == 200);
  CHECK(h.notified == std::vector<std::string>{"READY=1"});
  h.metrics.connected[1] = true;
  h.mono += 10;
  h.loop();
  h.metrics.connected[0] = false;  // local lost: 503 again, READY is not repeated
  h.mono += 10;
  h.loop();
  CHECK(h.healthz().http_status() == 503);
  CHECK(h.notified == std::vector<std::string>{"READY=1"});  // STATUS= is ServiceNotifier's (test_service_notifier)
}

TEST_CASE("Does /healthz report a stalled loop when the engine stops beating?", "[observability]") {
  CollectorHarness h;
  h.metrics.connected[0] = h.metrics.connected[1] = true;
  h.metrics.local_subscribed = true;
  h.loop();
  CHECK(h.healthz().state == HealthState::ok);
  h.mono += 10'001;  // no loop iteration for ten seconds
  CHECK(h.healthz().reason == "engine loop stalled");
  h.loop();
  CHECK(h.healthz().state == HealthState::ok);
}

TEST_CASE("Does the snapshot carry outbox depth, events per second and per-rule figures?", "[observability]") {
  using namespace edgegw::rules::testing;
  auto spec = topic_rule("alarm", "sensors/+/temp", {publish_action("alerts/{{ topic[1] }}", "hot")});
  spec.when.condition = loc("payload.t > 25");
  rules::testing::Harness engine({spec});
  engine.event(0s, "sensors/a/temp", R"({"t": 30})");
  engine.event(1s, "sensors/b/temp", R"({"t": 20})");
  engine.event(2s, "other/topic", "x");

  CollectorHarness h;
  h.rules = &engine.engine;
  OutboxRow row;
  row.topic = "sites/a";
  row.payload = "12345";
  row.created_ms = h.wall - 4'000;
  REQUIRE(h.outbox.append(row, false).ok());
  h.loop();
  Metrics::add(h.metrics.received[0], 50);
  h.mono += 1'000;
  h.wall += 1'000;
  h.loop();
  auto s = h.board.snapshot();
  REQUIRE(s);
  CHECK(s->links[1].depth == 1);
  CHECK(s->links[1].bytes == 12);
  CHECK(s->events_per_second == Approx(50.0));
  REQUIRE(s->rules.size() == 1);
  CHECK(s->rules[0].id == "alarm");
  CHECK(s->rules[0].trigger == "topic sensors/+/temp");
  CHECK(s->rules[0].matches == 2);
  CHECK(s->rules[0].fires == 1);
  CHECK(s->rules[0].last_fire_ms == to_unix_ms(kT0));
  CHECK(s->backlog.back().depth == 1);

  std::string metrics = render_metrics(h.metrics, s.get(), h.healthz(), h.wall);
  CHECK(contains(metrics, "edgegw_outbox_messages{link=\"upstream\"} 1\n"));
  CHECK(contains(metrics, "edgegw_outbox_bytes{link=\"upstream\"} 12\n"));
  CHECK(contains(metrics, "edgegw_outbox_oldest_age_seconds{link=\"upstream\"} 5\n"));
  CHECK(contains(metrics, "edgegw_received_total{link=\"local\"} 50\n"));
  CHECK(contains(metrics, "edgegw_rule_matches_total{rule=\"alarm\"} 2\n"));
  CHECK(contains(metrics, "edgegw_rule_fires_total{rule=\"alarm\"} 1\n"));
  CHECK(contains(metrics, "edgegw_rule_stops_total{rule=\"alarm\",reason=\"if_false\"} 1\n"));
  CHECK(contains(metrics,
                 "# TYPE edgegw_rule_drops_total counter\n"
                 "edgegw_rule_drops_total{rule=\"alarm\",reason=\"single_busy\"} 0\n"));
  CHECK(contains(metrics, "edgegw_health{state=\"unavailable\"} 1\n"));
  CHECK(contains(metrics, "edgegw_http_sent_total 0\n"));

  // The webhook counters (http actions) in both.
  Metrics::add(h.metrics.http_sent, 3);
  Metrics::add(h.metrics.http_failed, 2);
  Metrics::add(h.metrics.http_deadlettered, 1);
  metrics = render_metrics(h.metrics, s.get(), h.healthz(), h.wall);
  CHECK(contains(metrics, "# TYPE edgegw_http_sent_total counter\nedgegw_http_sent_total 3\n"));
  CHECK(contains(metrics, "edgegw_http_failed_total 2\n"));
  CHECK(contains(metrics, "edgegw_http_deadlettered_total 1\n"));

  auto j = nlohmann::json::parse(render_status_json(h.metrics, s.get(), h.healthz(), h.wall));
  CHECK(j["http"] == nlohmann::json{{"sent", 3}, {"failed", 2}, {"deadlettered", 1}});
  CHECK(j["backlog"]["messages"] == 1);
  CHECK(j["rules"][0]["fires"] == 1);
  CHECK(j["rules"][0]["stops"]["if_false"] == 1);
  CHECK(j["rules"][0]["stops"]["throttled"] == 0);
  CHECK(j["rules"][0]["drops"] == nlohmann::json{{"single_busy", 0}, {"queue_full", 0}, {"bad_topic", 0}});
  CHECK(j["rules"][0]["last_stop"] == "if_false");
  CHECK(j["rules"][0]["last_stop_ms"] == to_unix_ms(kT0 + 1s));
  CHECK(j["links"]["upstream"]["state"] == "disconnected");
  CHECK(j["links"]["upstream"]["tls_error"].is_null());

  // The TLS probe's reason reaches /api/status with the next snapshot.
  h.collector->note_tls_error(edgegw::Link::upstream, "certificate verify failed: certificate has expired");
  h.mono += 1'000;
  h.wall += 1'000;
  h.loop();
  j = nlohmann::json::parse(render_status_json(h.metrics, h.board.snapshot().get(), h.healthz(), h.wall));
  CHECK(j["links"]["upstream"]["tls_error"] == "certificate verify failed: certificate has expired");
  CHECK(j["links"]["local"]["tls_error"].is_null());
}

TEST_CASE("Does a failing rule action count as a failure of that rule?", "[observability][rules]") {
  using namespace edgegw::rules::testing;
  auto spec = topic_rule("bad", "in/#", {publish_action("out/{{ payload.missing }}/x", "x")});
  Harness h({spec});
  h.event(0s, "in/a", "{}");
  REQUIRE(h.engine.rule_stats().size() == 1);
  CHECK(h.engine.rule_stats()[0].fires == 1);
  CHECK(h.engine.rule_stats()[0].count(rules::NoteKind::bad_topic) == 1);
}

TEST_CASE("Are the Home Assistant configs retained on the local broker, available through the status topic?",
          "[observability][homeassistant]") {
  StatusOptions opt;
  opt.ha = HaMode::automatic;
  CollectorHarness h(opt);
  h.metrics.connected[0] = true;
  h.metrics.local_subscribed = true;
  h.loop();
  CHECK(h.published.empty());  // auto: nothing until a homeassistant/ topic was seen
  CHECK_FALSE(h.collector->note_topic("homeassistantx/status"));
  CHECK(h.collector->note_topic("homeassistant/status"));
  CHECK_FALSE(h.collector->note_topic("homeassistant/status"));  // remembered once
  h.mono += 1'000;
  h.loop();
  REQUIRE(h.published.size() == 5);
  std::vector<std::string> topics;
  for (const auto& m : h.published) topics.push_back(m.topic);
  CHECK(topics[0] == "homeassistant/binary_sensor/edgegw_pi-1/uplink/config");
  CHECK(topics[4] == "edgegw/pi-1/state");
  for (size_t i = 0; i < 4; ++i) {
    auto c = nlohmann::json::parse(h.published[i].payload);
    CHECK(c["availability_topic"] == "edgegw/pi-1/status");
    CHECK(c["state_topic"] == "edgegw/pi-1/state");
    CHECK(c["device"]["identifiers"][0] == "edgegw_pi-1");
  }
  auto state = nlohmann::json::parse(h.published[4].payload);
  CHECK(state["upstream_connected"] == false);
  CHECK(state.contains("outbox_depth"));
  CHECK(state.contains("events_per_second"));
  CHECK(state.contains("devices_offline"));

  h.published.clear();
  h.mono += 1'000;
  h.loop();
  CHECK(h.published.empty());  // nothing changed, refresh not due
  h.metrics.connected[1] = true;
  h.mono += 1'000;
  h.loop();
  REQUIRE(h.published.size() == 1);  // the uplink came up: the state at once
  CHECK(nlohmann::json::parse(h.published[0].payload)["upstream_connected"] == true);
  h.metrics.connected[0] = false;  // a new local connection gets the configs again
  h.mono += 1'000;
  h.loop();
  h.metrics.connected[0] = true;
  h.mono += 1'000;
  h.loop();
  CHECK(h.published.size() == 6);
}

TEST_CASE("Is discovery off when configured off, even after a Home Assistant topic?",
          "[observability][homeassistant]") {
  StatusOptions opt;
  opt.ha = HaMode::off;
  CollectorHarness h(opt);
  h.metrics.connected[0] = true;
  h.metrics.local_subscribed = true;
  CHECK_FALSE(h.collector->note_topic("homeassistant/status"));
  h.loop();
  CHECK(h.published.empty());
}

TEST_CASE("Is the retained status payload JSON with the state, version and start time?", "[observability]") {
  auto j = nlohmann::json::parse(online_status_payload("1.2.3", 1'768'400'000'000));
  CHECK(j["state"] == "online");
  CHECK(j["version"] == "1.2.3");
  CHECK(j["since"] == "2026-01-14T14:13:20Z");
}
