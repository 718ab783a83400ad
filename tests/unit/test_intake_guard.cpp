// Backpressure on the local link (IntakeGuard) and the backlog's log lines (BacklogLog).
#include <catch2/catch.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "gateway/engine/backlog_log.h"
#include "gateway/engine/intake_guard.h"
#include "support/captured_log.h"
#include "support/fake_clock.h"
#include "support/fake_link.h"
#include "support/log_text.h"
#include "support/memory_outbox.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace std::chrono_literals;

namespace {

using edgegw::testing::CapturedLog;

struct LocalLink {
  LocalLink()
      : forwarder(Link::local, outbox, publisher, 8),
        supervisor(LinkSupervisor::Parts{Link::local,
                                         "tcp://localhost:1883",
                                         control,
                                         forwarder,
                                         clock,
                                         metrics,
                                         std::make_shared<spdlog::logger>("test"),
                                         nullptr,
                                         {}},
                   LinkSupervisor::Options{1s, 1s, {{"#", 1}}, "online"}) {}
  testing::FakeClock clock;
  testing::MemoryOutbox outbox;
  testing::FakePublisher publisher;
  testing::FakeLinkControl control;
  Metrics metrics;
  Forwarder forwarder;
  LinkSupervisor supervisor;
};

}  // namespace

TEST_CASE("Is the local link held down over journal_max and let go only under half of it?", "[runtime][backpressure]") {
  LocalLink l;
  l.supervisor.drive();
  l.supervisor.on_event(Connected{Link::local, false});
  REQUIRE(l.supervisor.connected());
  CapturedLog cap;
  IntakeGuard guard(l.supervisor, l.metrics, cap.log, 1000);

  guard.check(1000, false);  // at the limit, not over it
  CHECK_FALSE(guard.paused());
  guard.check(1001, false);
  CHECK(guard.paused());
  CHECK(l.metrics.ingress_paused.load());
  CHECK(l.supervisor.phase() == LinkSupervisor::Phase::paused);
  CHECK(l.control.disconnects == std::vector<Duration>{Duration::zero()});  // at once
  guard.check(2000, false);
  CHECK(l.control.disconnects.size() == 1);  // once
  guard.check(500, false);                   // half is not under half
  CHECK(guard.paused());
  guard.check(499, false);
  CHECK_FALSE(guard.paused());
  CHECK_FALSE(l.metrics.ingress_paused.load());
  l.supervisor.drive();
  CHECK(l.control.connects == 2);  // reconnects at once, no backoff
  CHECK(testing::count_of(cap.text(), "holding it down (the journal is over buffer.journal_max)") == 1);
  CHECK(testing::count_of(cap.text(), "resuming intake") == 1);
}

TEST_CASE("Does a low disk hold the local link down whatever the journal holds?", "[runtime][backpressure]") {
  LocalLink l;
  CapturedLog cap;
  IntakeGuard guard(l.supervisor, l.metrics, cap.log, 1000);
  guard.check(0, /*disk_low=*/true);
  CHECK(guard.paused());
  guard.check(0, true);
  guard.check(0, false);
  CHECK_FALSE(guard.paused());
  CHECK(testing::count_of(cap.text(), "state_dir is low on space") == 1);
}

TEST_CASE("Does the backlog log only its changes: powers of ten, 80 %, drained?", "[runtime][backlog]") {
  CapturedLog cap;
  BacklogLog backlog(cap.log, 100'000);
  backlog.update(999);
  CHECK(cap.text().empty());
  backlog.update(1000);
  backlog.update(5000);
  CHECK(testing::count_of(cap.text(), "backlog passed 1000 rows") == 1);
  backlog.update(12'000);
  backlog.update(80'000);
  backlog.update(90'000);
  CHECK(testing::count_of(cap.text(), "backlog passed 10000 rows") == 1);
  CHECK(testing::count_of(cap.text(), "is over 80% of buffer.max_messages") == 1);
  backlog.update(500);
  CHECK(testing::count_of(cap.text(), "drained") == 0);
  backlog.update(0);
  backlog.update(0);
  CHECK(testing::count_of(cap.text(), "upstream backlog drained") == 1);
  backlog.update(1000);  // a new outage is news again
  CHECK(testing::count_of(cap.text(), "backlog passed 1000 rows") == 2);
}
