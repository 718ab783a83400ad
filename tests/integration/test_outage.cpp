// An upstream outage under a live stream (reliability matrix D4): the
// backlog drains while live events keep flowing, with bounded latency. CI
// cuts the uplink for 20 s; EDGEGW_SOAK=1 for 5 minutes (docs/testing.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "stream_checks.h"
#include "support/log_text.h"
#include "support/site.h"
#include "support/stream.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const std::string kRoutes = "  - from: \"dev/+/state\"\n    to: \"sites/{{ topic[1] }}\"\n";

// The p-th percentile (0..100) of `v`, nearest rank; 0 for an empty list.
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

TEST_CASE(
    "Does the backlog of a long upstream outage at 50 events/s drain while live events keep flowing with bounded "
    "latency, losing nothing?",
    "[integration][faults][upstream-outage]") {
  using Clock = std::chrono::steady_clock;
  const auto outage = std::getenv("EDGEGW_SOAK") ? 300s : 20s;
  constexpr int kRate = 50;
  // The gateway reaches the upstream through a relay the test can cut, so
  // the cloud's subscriber stays connected and stamps every arrival.
  Site site({.local = {.persistence = true}, .routes = kRoutes, .relay = true});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& cloud = site.cloud();
  TcpProxy& wire = site.wire();
  Stream stream(site.local.uri(), kRate, {.stamp = true});
  REQUIRE(wait_until([&] { return stream.accepted_count() >= 2 * kRate; }, 20s));

  wire.cut(true);
  REQUIRE(wait_until([&] { return count_of(gw.log(), "upstream link: disconnected") >= 1; }, 10s));
  const size_t at_cut = stream.accepted_count();
  const auto outage_events = static_cast<size_t>(kRate * outage.count());
  // The rest of a long outage: on a fast Paho C the stream's own backlog
  // drains in a tenth of a second, leaving no live event behind it to
  // measure. kHistory more events, published at once, stand for 400 s more
  // at 50 events/s, so the drain lasts long enough to carry live traffic.
  constexpr size_t kHistory = 20'000;
  std::set<std::string> history_sent;
  {
    TestClient history(site.local.uri(), "history");
    REQUIRE(history.connect().ok());
    auto burst = history.publish_many(
        {.count = kHistory,
         .topic_of = [](size_t i) { return "dev/h" + std::to_string(i % Stream::kDevices) + "/state"; },
         .payload_of = [](size_t i) { return "history:" + std::to_string(i); }});
    REQUIRE(burst.ok());
    for (size_t i = 0; i < kHistory; ++i) history_sent.insert("history:" + std::to_string(i));
  }
  // The outage lasts as long as the stream takes to publish its events.
  REQUIRE(wait_until([&] { return stream.accepted_count() >= at_cut + outage_events; }, outage + 60s));
  // Ingress went on: what the broker accepted is in the outbox (less the
  // last second's events, which may still be on their way in).
  const long backlog = gw.upstream_backlog();
  CHECK(backlog >= static_cast<long>(outage_events + kHistory) - kRate);

  const size_t connects = count_of(gw.log(), "upstream link: connected");
  auto queued = stream.accepted();  // what the backlog must deliver
  queued.insert(history_sent.begin(), history_sent.end());
  wire.cut(false);
  const auto up_at = Clock::now();
  REQUIRE(wait_until([&] { return count_of(gw.log(), "upstream link: connected") > connects; }, 10s));
  const auto reconnect = Clock::now() - up_at;
  CHECK(reconnect < 6s);  // reliability D4: reconnect.max (1 s here) + 5 s
  auto missing = [&] {
    std::set<std::string> got;
    for (const auto& m : cloud.received()) got.insert(m.payload);
    size_t n = 0;
    for (const auto& q : queued) n += got.count(q) == 0 ? 1 : 0;
    return n;
  };
  const bool all_arrived = wait_until([&] { return missing() == 0; }, 300s, 100ms);
  INFO(missing() << " of " << queued.size() << " queued events missing upstream; outbox " << gw.upstream_backlog()
                 << " row(s); " << cloud.received().size() << " received");
  REQUIRE(all_arrived);
  // Five more seconds of live traffic after the drain.
  const size_t drained_at = stream.accepted_count();
  REQUIRE(wait_until([&] { return stream.accepted_count() >= drained_at + 5 * kRate; }, 30s));
  stream.stop();
  expect_all_arrived(stream, cloud, 120s);

  // First arrival of each message, against the time it was sent.
  struct Arrival {
    Clock::time_point sent, arrived;
  };
  std::map<std::string, Arrival> first;
  for (const auto& m : cloud.received()) {
    if (first.count(m.payload)) continue;
    if (history_sent.count(m.payload)) {  // backlog, sent before the link came back
      first.emplace(m.payload, Arrival{up_at - 1s, m.received_at});
      continue;
    }
    const auto stamp = m.payload.rfind(':');
    REQUIRE(stamp != std::string::npos);
    const Clock::time_point sent{std::chrono::microseconds(std::stoll(m.payload.substr(stamp + 1)))};
    first.emplace(m.payload, Arrival{sent, m.received_at});
  }
  // The drain ends when the last message sent before the link came back
  // arrives; live events are those sent from then on.
  Clock::time_point drained = up_at;
  for (const auto& [payload, a] : first) {
    if (a.sent < up_at) drained = std::max(drained, a.arrived);
  }
  std::vector<double> during, after;
  for (const auto& [payload, a] : first) {
    if (a.sent < up_at) continue;
    (a.sent < drained ? during : after).push_back(seconds_between(a.sent, a.arrived));
  }
  const double drain_s = seconds_between(up_at, drained);
  const double p99_during = percentile(during, 99), p99_after = percentile(after, 99);
  WARN("outage " << outage.count() << " s at " << kRate << " events/s: backlog " << backlog << " rows; reconnect after "
                 << std::chrono::duration_cast<std::chrono::milliseconds>(reconnect).count() << " ms; drained "
                 << drain_s << " s after the link came back (" << double(backlog) / drain_s << " rows/s); "
                 << during.size() << " live events during the drain, latency p50 " << percentile(during, 50)
                 << " s, p99 " << p99_during << " s, max " << percentile(during, 100) << " s; after the drain p99 "
                 << p99_after << " s over " << after.size() << " events; VmHWM " << gw.proc_status_kib("VmHWM")
                 << " KiB");
  // The reconnect (backoff up to 1 s) and the drain of 21,000 rows leave
  // live events behind the backlog; with none, this test would measure nothing.
  REQUIRE(during.size() >= 5);
  // The bound. Rows are sent in outbox order (design.md: "new rows queue
  // behind" the backlog, per-topic order is never broken for live
  // traffic), so a live event sent at t >= link-up waits at most for the
  // backlog still ahead of it: latency <= (drain end - t) + its own path
  // latency <= drain duration + path latency. The path on loopback takes
  // milliseconds; 2 s covers a busy 2-core CI box. What this catches: live
  // rows starved after the backlog (left for a later pass, a timer, or the
  // next reconnect) or a drain that stalls part way.
  CHECK(p99_during < drain_s + 2.0);
  // Once drained, the stream is back to live latency.
  CHECK(p99_after < 2.0);
  // Reliability D4: the backlog drains at >= 250 events/s, reconnect included.
  CHECK(double(backlog) / drain_s >= 250.0);
  REQUIRE(gw.stop().ok());
}
