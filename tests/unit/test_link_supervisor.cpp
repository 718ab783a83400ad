#include <catch2/catch.hpp>
#include <spdlog/logger.h>

#include "gateway/engine/link_supervisor.h"
#include "support/fake_clock.h"
#include "support/fake_link.h"
#include "support/memory_outbox.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace std::chrono_literals;

namespace {

using testing::FakeLinkControl;
using testing::FakePublisher;

// One upstream link with its forwarder, on a fake clock.
struct Rig {
  explicit Rig(Duration min = 1s, Duration max = 8s)
      : forwarder(Link::upstream, outbox, publisher, 8),
        supervisor(LinkSupervisor::Parts{Link::upstream, "tcp://cloud:1883", control, forwarder, clock, metrics,
                                         std::make_shared<spdlog::logger>("test"), nullptr,
                                         [this](std::string_view e) { events.emplace_back(e); }},
                   LinkSupervisor::Options{min, max, {{"cmd/#", 1}}, "online"}) {}

  int64_t add(const std::string& topic) {
    OutboxRow row;
    row.topic = topic;
    row.payload = "x";
    auto r = outbox.append(row, false);
    REQUIRE(r.ok());
    return r->seq;
  }
  void connect_now() {
    supervisor.drive();
    supervisor.on_event(Connected{Link::upstream, /*session_present=*/false});
    REQUIRE(supervisor.connected());
  }

  testing::FakeClock clock;
  testing::MemoryOutbox outbox;
  FakePublisher publisher;
  FakeLinkControl control;
  Metrics metrics;
  std::vector<std::string> events;
  Forwarder forwarder;
  LinkSupervisor supervisor;
};

}  // namespace

TEST_CASE("Does a link reconnect only once its backoff has run out?", "[runtime][link]") {
  Rig rig(1s, 8s);
  rig.supervisor.drive();
  CHECK(rig.control.connects == 1);
  CHECK(rig.supervisor.phase() == LinkSupervisor::Phase::connecting);
  rig.supervisor.drive();
  CHECK(rig.control.connects == 1);                             // one connect at a time
  CHECK_FALSE(rig.supervisor.next_deadline(rig.clock.mono()));  // waits on the outcome, not on time

  rig.supervisor.on_event(ConnectFailed{Link::upstream, "refused"});
  CHECK(rig.control.probes == 1);  // asks OpenSSL why
  CHECK(rig.supervisor.phase() == LinkSupervisor::Phase::idle);
  const MonoTime failed_at = rig.clock.mono();
  REQUIRE(rig.supervisor.next_deadline(failed_at) == failed_at + 1s);  // the first delay is the minimum
  rig.clock.advance(999ms);
  rig.supervisor.drive();
  CHECK(rig.control.connects == 1);
  rig.clock.advance(1ms);
  rig.supervisor.drive();
  CHECK(rig.control.connects == 2);

  // The second failure waits at least the minimum and at most three times the first delay.
  rig.supervisor.on_event(ConnectFailed{Link::upstream, "refused"});
  const MonoTime again = rig.clock.mono();
  auto next = rig.supervisor.next_deadline(again);
  REQUIRE(next);
  CHECK(*next - again >= 1s);
  CHECK(*next - again <= 3s);
  rig.clock.advance(*next - again);
  rig.supervisor.drive();
  CHECK(rig.control.connects == 3);
}

TEST_CASE("Does a connection lost start the backoff again from its minimum?", "[runtime][link]") {
  Rig rig(2s, 2min);
  rig.supervisor.drive();
  rig.supervisor.on_event(ConnectFailed{Link::upstream, "refused"});
  rig.clock.advance(2s);
  rig.supervisor.drive();
  rig.supervisor.on_event(Connected{Link::upstream, false});
  CHECK(rig.supervisor.connected());
  CHECK(rig.metrics.connected[1].load());
  CHECK(rig.control.statuses == std::vector<std::string>{"online"});
  REQUIRE(rig.control.subscribes.size() == 1);
  CHECK(rig.control.subscribes[0][0].filter == "cmd/#");
  CHECK(rig.events == std::vector<std::string>{"upstream_up"});

  rig.clock.advance(1h);
  rig.supervisor.on_event(ConnectionLost{Link::upstream, "keepalive"});
  CHECK_FALSE(rig.metrics.connected[1].load());
  CHECK(rig.metrics.reconnects[1].load() == 1);
  CHECK(rig.events == std::vector<std::string>{"upstream_up", "upstream_down"});
  const MonoTime lost_at = rig.clock.mono();
  CHECK(rig.supervisor.next_deadline(lost_at) == lost_at + 2s);  // reset by the connect
  rig.clock.advance(2s);
  rig.supervisor.drive();
  CHECK(rig.control.connects == 3);
}

TEST_CASE("Does a connect the client refused at once wait for the backoff too?", "[runtime][link]") {
  Rig rig(1s, 1s);
  rig.control.refuse_connect = true;
  rig.supervisor.drive();
  CHECK(rig.control.connects == 1);
  CHECK(rig.supervisor.phase() == LinkSupervisor::Phase::idle);
  rig.supervisor.drive();
  CHECK(rig.control.connects == 1);
  rig.clock.advance(1s);
  rig.supervisor.drive();
  CHECK(rig.control.connects == 2);
}

TEST_CASE("Does a held-down link drop a late connect and reconnect at once on resume?", "[runtime][link]") {
  Rig rig;
  rig.connect_now();
  rig.supervisor.pause();
  CHECK(rig.control.disconnects == std::vector<Duration>{Duration::zero()});
  CHECK_FALSE(rig.metrics.connected[1].load());
  rig.supervisor.on_event(Connected{Link::upstream, true});  // was already on its way
  CHECK(rig.supervisor.phase() == LinkSupervisor::Phase::paused);
  CHECK(rig.control.disconnects.size() == 2);
  rig.clock.advance(1h);
  rig.supervisor.drive();
  CHECK(rig.control.connects == 1);  // held down, whatever the clock says
  rig.supervisor.resume();
  rig.supervisor.drive();
  CHECK(rig.control.connects == 2);
}

TEST_CASE("Does a failed delivery hold the link's resends for a second, and an ack queue the removal?",
          "[runtime][link][forwarder]") {
  Rig rig;
  const int64_t a = rig.add("a"), b = rig.add("b");
  rig.connect_now();
  REQUIRE(rig.supervisor.pump().ok());
  REQUIRE(rig.publisher.sent == std::vector<int64_t>{a, b});

  rig.supervisor.on_event(Delivered{Link::upstream, a});
  CHECK(rig.forwarder.removals_pending());
  rig.supervisor.on_event(DeliveryFailed{Link::upstream, b, "quota exceeded", 0x97});  // about the moment
  CHECK(rig.forwarder.poisoned().empty());
  REQUIRE(rig.supervisor.pump().ok());
  CHECK(rig.publisher.sent.size() == 2);  // no resend yet
  CHECK(rig.supervisor.next_deadline(rig.clock.mono()) == rig.clock.mono() + 1s);
  rig.clock.advance(1s);
  REQUIRE(rig.supervisor.pump().ok());
  CHECK(rig.publisher.sent == std::vector<int64_t>{a, b, b});

  rig.supervisor.on_event(DeliveryFailed{Link::upstream, b, "not authorized", 0x87});  // for good
  REQUIRE(rig.forwarder.poisoned().size() == 1);
  CHECK(rig.forwarder.poisoned()[0].reason == "the broker refused it: not authorized");
}

TEST_CASE("Does a rule reload subscribe again only when the filters changed?", "[runtime][link]") {
  Rig rig;
  rig.connect_now();
  REQUIRE(rig.control.subscribes.size() == 1);
  rig.supervisor.resubscribe({{"cmd/#", 1}});
  CHECK(rig.control.subscribes.size() == 1);
  rig.supervisor.resubscribe({{"cmd/#", 1}, {"cfg/#", 1}});
  REQUIRE(rig.control.subscribes.size() == 2);
  REQUIRE(rig.control.subscribes[1].size() == 1);  // only the new one
  CHECK(rig.control.subscribes[1][0].filter == "cfg/#");
  CHECK(rig.control.unsubscribes.empty());
}

TEST_CASE("Does a rule reload unsubscribe the filters that nothing needs any more?", "[runtime][link]") {
  Rig rig;
  rig.connect_now();
  rig.supervisor.resubscribe({{"cfg/#", 1}});
  REQUIRE(rig.control.unsubscribes.size() == 1);
  CHECK(rig.control.unsubscribes[0] == std::vector<std::string>{"cmd/#"});
  REQUIRE(rig.control.subscribes.size() == 2);
  CHECK(rig.control.subscribes[1][0].filter == "cfg/#");
  CHECK(rig.supervisor.unsubscribing() == std::vector<std::string>{"cmd/#"});
  rig.supervisor.on_event(Unsubscribed{Link::upstream, "cmd/#", true, ""});
  CHECK(rig.supervisor.unsubscribing().empty());
}

TEST_CASE("Are a reload's unsubscribes made at the next connect when the link was down?", "[runtime][link]") {
  Rig rig;
  rig.connect_now();
  rig.supervisor.on_event(ConnectionLost{Link::upstream, "keepalive"});
  rig.supervisor.resubscribe({{"cfg/#", 1}});
  CHECK(rig.control.unsubscribes.empty());  // nothing is sent while down
  rig.clock.advance(1min);
  rig.supervisor.drive();
  rig.supervisor.on_event(Connected{Link::upstream, /*session_present=*/true});
  REQUIRE(rig.control.unsubscribes.size() == 1);
  CHECK(rig.control.unsubscribes[0] == std::vector<std::string>{"cmd/#"});
  REQUIRE(rig.control.subscribes.size() == 2);
  REQUIRE(rig.control.subscribes[1].size() == 1);
  CHECK(rig.control.subscribes[1][0].filter == "cfg/#");

  // The UNSUBACK was lost with the connection: the unsubscribe goes again.
  rig.supervisor.on_event(ConnectionLost{Link::upstream, "keepalive"});
  rig.clock.advance(1min);
  rig.supervisor.drive();
  rig.supervisor.on_event(Connected{Link::upstream, /*session_present=*/true});
  REQUIRE(rig.control.unsubscribes.size() == 2);
  CHECK(rig.control.unsubscribes[1] == std::vector<std::string>{"cmd/#"});
  CHECK(rig.control.subscribes.size() == 2);  // the session holds cfg/# already
}
