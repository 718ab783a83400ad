// The engine loop as the scheduler of its parts: a real journal and a real
// SQLite outbox in a temp dir, fake links (tests/support/fake_link.h) whose
// outcomes the test pushes as LinkEvents, and a FakeClock. Each turn is
// EngineLoop::run_once(), so nothing waits; only the last test runs run()
// on a thread, to see stop() end it.
#include <catch2/catch.hpp>
#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/engine/engine_loop.h"
#include "support/fake_clock.h"
#include "support/fake_link.h"
#include "support/temp_dir.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace std::chrono_literals;

namespace {

using testing::FakeLink;

rules::Routes forward_dev() {
  rules::RouteSpec r;
  r.from = "dev/#";
  r.to = "sites/{{ topic }}";
  r.from_pos = r.to_pos = r.if_pos = r.pos = {"gateway.yaml", 1, 1};
  Diagnostics diag;
  rules::Routes routes = rules::Routes::compile({r}, diag);
  INFO(diag.format_all());
  REQUIRE_FALSE(diag.has_errors());
  return routes;
}

EventFd make_event_fd() {
  auto fd = EventFd::create();
  REQUIRE(fd.ok());
  return std::move(*fd);
}

// The loop with both links, an out route dev/# -> sites/<topic>, and its
// journal and outbox in a temp dir.
struct Rig {
  explicit Rig(uint64_t journal_max = 64ull << 20) {
    auto o = SqliteOutbox::open((dir / "outbox.db").string(), OutboxOptions{});
    INFO(o.status().message());
    REQUIRE(o.ok());
    outbox = std::move(*o);
    auto j = Journal::open(JournalOptions{.dir = (dir / "journal").string()}, outbox->journal_position());
    INFO(j.status().message());
    REQUIRE(j.ok());
    journal = std::move(*j);
    EngineOptions opt;
    opt.gateway_id = "test-gw";
    opt.journal_max = journal_max;
    opt.upstream_reconnect_max = 8s;
    opt.local_subscriptions = {{"dev/#", 1}};
    loop = std::make_unique<EngineLoop>(EngineParts{.journal = *journal,
                                                    .outbox = *outbox,
                                                    .routes = routes,
                                                    .wake = wake,
                                                    .events = events,
                                                    .local = local,
                                                    .upstream = &upstream,
                                                    .metrics = metrics,
                                                    .clock = clock,
                                                    .log = std::make_shared<spdlog::logger>("engine-test"),
                                                    .rules = nullptr,  // routes only
                                                    .reload_rules = nullptr,
                                                    .plan_subscriptions = nullptr},
                                        opt);
  }

  // A device's message, as the local link's callback journals it.
  void receive(const std::string& topic, const std::string& payload) {
    auto seq = journal->append(Link::local, topic, payload, 1, false, to_unix_ms(clock.now()));
    REQUIRE(seq.ok());
  }
  // Both links asked to connect at the first turn; the brokers accept.
  void connect_both() {
    loop->start();
    loop->run_once();
    REQUIRE(local.connects == 1);
    REQUIRE(upstream.connects == 1);
    events.push(Connected{Link::local, /*session_present=*/false});
    events.push(Connected{Link::upstream, /*session_present=*/false});
    loop->run_once();
  }
  uint64_t upstream_rows() const { return outbox->stats(Link::upstream).messages; }
  std::vector<std::string> sent_topics() const {
    std::vector<std::string> out;
    for (const auto& r : upstream.sent) out.push_back(r.topic);
    return out;
  }

  testing::TempDir dir{"edgegw-engine-loop"};
  std::unique_ptr<SqliteOutbox> outbox;
  std::unique_ptr<Journal> journal;
  rules::Routes routes = forward_dev();
  EventFd wake = make_event_fd();
  LinkEventQueue events{wake};
  FakeLink local{Link::local};
  FakeLink upstream{Link::upstream};
  Metrics metrics;
  testing::FakeClock clock;
  std::unique_ptr<EngineLoop> loop;
};

}  // namespace

TEST_CASE("Does a journaled message become an outbox row, go upstream, and leave the outbox on its PUBACK?",
          "[engine][engine-loop]") {
  Rig rig;
  rig.connect_both();
  REQUIRE(rig.local.subscribes.size() == 1);
  CHECK(rig.local.subscribes[0][0].filter == "dev/#");

  rig.receive("dev/kitchen", "21.5");
  rig.loop->run_once();
  REQUIRE(rig.upstream.sent.size() == 1);
  const OutboxRow& row = rig.upstream.sent[0];
  CHECK(row.topic == "sites/dev/kitchen");
  CHECK(row.payload == "21.5");
  CHECK(rig.upstream_rows() == 1);  // sent, not acknowledged: still in the outbox
  CHECK(rig.outbox->journal_position() == rig.journal->last_appended_seq());

  rig.events.push(Delivered{Link::upstream, row.seq});
  rig.loop->run_once();
  CHECK(rig.upstream_rows() == 0);
  CHECK(rig.metrics.delivered[static_cast<int>(Link::upstream)] == 1);
  CHECK(rig.upstream.sent.size() == 1);  // sent once
}

TEST_CASE("Does an upstream outage keep the rows, and send them in order once the link is back?",
          "[engine][engine-loop]") {
  Rig rig;
  rig.connect_both();
  rig.events.push(ConnectionLost{Link::upstream, "gone"});
  rig.loop->run_once();

  for (const char* t : {"dev/a", "dev/b", "dev/c"}) rig.receive(t, "1");
  rig.loop->run_once();
  CHECK(rig.upstream_rows() == 3);
  CHECK(rig.upstream.sent.empty());  // nothing goes to a link that is down

  rig.clock.advance(10s);  // past the reconnect backoff (at most 8 s here)
  rig.loop->run_once();
  REQUIRE(rig.upstream.connects == 2);
  CHECK(rig.upstream.sent.empty());  // connecting is not connected
  rig.events.push(Connected{Link::upstream, /*session_present=*/true});
  rig.loop->run_once();
  CHECK(rig.sent_topics() == std::vector<std::string>{"sites/dev/a", "sites/dev/b", "sites/dev/c"});
  CHECK(rig.upstream_rows() == 3);

  for (const auto& r : rig.upstream.sent) rig.events.push(Delivered{Link::upstream, r.seq});
  rig.loop->run_once();
  CHECK(rig.upstream_rows() == 0);
}

TEST_CASE("Is the local link held down above journal_max, and let in again once the journal is released?",
          "[engine][engine-loop][backpressure]") {
  Rig rig(/*journal_max=*/2048);
  rig.connect_both();
  REQUIRE(rig.local.disconnects.empty());

  // About 6 KiB of records arrive before the engine's next turn.
  for (int i = 0; i < 40; ++i) rig.receive("dev/" + std::to_string(i), std::string(100, 'x'));
  REQUIRE(rig.journal->backlog_bytes() > 2048);
  rig.loop->run_once();
  CHECK(rig.upstream_rows() == 40);  // committed, but not yet durable: the journal keeps them
  REQUIRE(rig.local.disconnects.size() == 1);
  CHECK(rig.local.disconnects[0] == Duration::zero());  // at once, not after in-flight transfers
  CHECK(rig.metrics.ingress_paused);

  // Held: no reconnect however long the backoff, until the checkpoint
  // (once a second) makes the commit durable and releases the journal.
  rig.clock.advance(1500ms);
  rig.loop->run_once();
  CHECK(rig.local.connects == 1);
  CHECK(rig.journal->backlog_bytes() < 1024);
  rig.loop->run_once();
  CHECK_FALSE(rig.metrics.ingress_paused);
  CHECK(rig.local.connects == 2);
}

TEST_CASE("Does run() return once stop() is called, having committed the journal and closed both links?",
          "[engine][engine-loop]") {
  Rig rig;
  rig.connect_both();
  rig.receive("dev/last", "bye");
  int code = -1;
  std::thread runner([&] { code = rig.loop->run(); });
  rig.loop->stop();  // from another thread, as a signal would
  runner.join();
  CHECK(code == 0);
  CHECK(rig.upstream_rows() == 1);  // committed, in the loop or at shutdown: not acknowledged
  CHECK(rig.outbox->journal_position() == rig.journal->last_appended_seq());
  for (const FakeLink* link : {&rig.local, &rig.upstream}) {
    INFO(link->server_uri());
    REQUIRE(link->statuses.size() == 2);  // online at the connect, then offline
    CHECK(link->statuses.back() == "{\"state\":\"offline\"}");
    CHECK(link->disconnects.size() == 1);
  }
}
