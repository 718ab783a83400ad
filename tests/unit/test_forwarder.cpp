#include <catch2/catch.hpp>

#include "gateway/engine/forwarder.h"
#include "support/memory_outbox.h"

using namespace edgegw;
using namespace edgegw::gateway;

namespace {

// Records what the forwarder hands to the link; can refuse like a full client.
class FakePublisher : public Publisher {
 public:
  bool send(const OutboxRow& row) override {
    if (refuse) return false;
    sent.push_back(row);
    return true;
  }
  size_t packet_size(const OutboxRow& row) const override { return row.topic.size() + row.payload.size(); }
  std::vector<int64_t> seqs() const {
    std::vector<int64_t> out;
    for (const auto& r : sent) out.push_back(r.seq);
    return out;
  }
  std::vector<OutboxRow> sent;
  bool refuse = false;
};

int64_t add(Outbox& o, const std::string& topic, Priority p = Priority::normal, Link link = Link::upstream) {
  OutboxRow row;
  row.link = link;
  row.topic = topic;
  row.payload = topic + "-payload";
  row.priority = p;
  auto r = o.append(row, false);
  REQUIRE(r.ok());
  return r->seq;
}

// What the engine does with the pending removals: write them into its batch
// and commit it.
Forwarder::Removed commit_removals(Forwarder& f, Outbox& o, int64_t now_ms = 0) {
  REQUIRE(o.begin().ok());
  REQUIRE(f.write_removals(now_ms).ok());
  REQUIRE(o.commit().ok());
  return f.committed();
}

// What the engine does with a PUBACK: the row's removal rides the next batch.
void ack(Forwarder& f, Outbox& o, int64_t seq) {
  int64_t created_ms = 0;
  REQUIRE(f.on_acked(seq, created_ms));
  auto removed = commit_removals(f, o);
  REQUIRE(removed.delivered == std::vector<int64_t>{seq});
}

}  // namespace

TEST_CASE("Does a row leave the outbox only when the upstream acknowledged it?", "[runtime][forwarder]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 8);
  int64_t seq = add(outbox, "site/1/temp");
  REQUIRE(fwd.pump().ok());
  CHECK(up.sent.empty());  // offline: nothing sent, nothing lost
  fwd.on_connected(false);
  REQUIRE(fwd.pump().ok());
  REQUIRE(up.sent.size() == 1);
  CHECK(outbox.stats(Link::upstream).messages == 1);  // kept until PUBACK
  ack(fwd, outbox, seq);
  CHECK(outbox.stats(Link::upstream).messages == 0);
  REQUIRE(fwd.pump().ok());
  CHECK(up.sent.size() == 1);  // not sent twice
}

TEST_CASE("Are rows sent in order with at most max_inflight unacknowledged?", "[runtime][forwarder]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 3);
  std::vector<int64_t> seqs;
  for (int i = 0; i < 10; ++i) seqs.push_back(add(outbox, "t/" + std::to_string(i)));
  fwd.on_connected(false);
  REQUIRE(fwd.pump().ok());
  CHECK(up.seqs() == std::vector<int64_t>{seqs[0], seqs[1], seqs[2]});
  ack(fwd, outbox, seqs[0]);
  REQUIRE(fwd.pump().ok());
  CHECK(up.sent.size() == 4);
  CHECK(up.sent.back().seq == seqs[3]);
  CHECK(fwd.inflight() == 3);
}

TEST_CASE("Do high-priority rows drain before normal ones?", "[runtime][forwarder]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 100);
  int64_t n1 = add(outbox, "normal/1");
  int64_t h1 = add(outbox, "alert/1", Priority::high);
  int64_t n2 = add(outbox, "normal/2");
  int64_t h2 = add(outbox, "alert/2", Priority::high);
  fwd.on_connected(false);
  REQUIRE(fwd.pump().ok());
  CHECK(up.seqs() == std::vector<int64_t>{h1, h2, n1, n2});
}

TEST_CASE("After a reconnect with the session present, is only a failed delivery sent again?", "[runtime][forwarder]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 10);
  int64_t a = add(outbox, "a"), b = add(outbox, "b"), c = add(outbox, "c");
  fwd.on_connected(false);
  REQUIRE(fwd.pump().ok());
  REQUIRE(up.sent.size() == 3);
  fwd.on_disconnected();
  fwd.on_failed(b);  // Paho gave up on b; it still holds a and c
  up.sent.clear();
  fwd.on_connected(/*session_present=*/true);
  REQUIRE(fwd.pump().ok());
  CHECK(up.seqs() == std::vector<int64_t>{b});  // one layer retransmits each message
  ack(fwd, outbox, a);
  ack(fwd, outbox, c);
  ack(fwd, outbox, b);
  CHECK(outbox.stats(Link::upstream).messages == 0);
}

TEST_CASE("After a reconnect without a session, is every unacknowledged row sent again, in order?",
          "[runtime][forwarder]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 10);
  int64_t a = add(outbox, "a"), b = add(outbox, "b"), c = add(outbox, "c");
  fwd.on_connected(false);
  REQUIRE(fwd.pump().ok());
  ack(fwd, outbox, a);
  fwd.on_disconnected();
  up.sent.clear();
  fwd.on_connected(/*session_present=*/false);  // the broker lost what Paho had in flight
  REQUIRE(fwd.pump().ok());
  CHECK(up.seqs() == std::vector<int64_t>{b, c});
}

TEST_CASE("Is an acknowledged row whose removal is not committed yet never sent again?", "[runtime][forwarder]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 10);
  int64_t a = add(outbox, "a"), b = add(outbox, "b");
  fwd.on_connected(false);
  REQUIRE(fwd.pump().ok());
  int64_t created_ms = 0;
  REQUIRE(fwd.on_acked(a, created_ms));  // PUBACK seen; the remove is still in the engine's batch
  fwd.on_disconnected();
  up.sent.clear();
  fwd.on_connected(false);
  REQUIRE(fwd.pump().ok());
  CHECK(up.seqs() == std::vector<int64_t>{b});
}

TEST_CASE("When the client refuses a row, does it stay queued and go out on the next pump?", "[runtime][forwarder]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 10);
  int64_t a = add(outbox, "a");
  fwd.on_connected(false);
  up.refuse = true;
  REQUIRE(fwd.pump().ok());
  CHECK(up.sent.empty());
  CHECK(fwd.inflight() == 0);
  up.refuse = false;
  REQUIRE(fwd.pump().ok());
  CHECK(up.seqs() == std::vector<int64_t>{a});
}

TEST_CASE("Does a forwarder leave the store alone while its link has nothing queued?", "[runtime][forwarder]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 8);
  fwd.on_connected(false);
  add(outbox, "lo/1", Priority::normal, Link::local);  // the other link's row
  REQUIRE(fwd.pump().ok());
  CHECK(outbox.reads == 0);
  CHECK(up.sent.empty());
  int64_t seq = add(outbox, "up/1");
  REQUIRE(fwd.pump().ok());
  CHECK(outbox.reads > 0);
  CHECK(up.seqs() == std::vector<int64_t>{seq});
  ack(fwd, outbox, seq);
  size_t reads = outbox.reads;
  REQUIRE(fwd.pump().ok());
  CHECK(outbox.reads == reads);  // drained: no read until a row comes
}

TEST_CASE("Does a forwarder only send its own link's rows?", "[runtime][forwarder]") {
  testing::MemoryOutbox outbox;
  FakePublisher local;
  Forwarder fwd(Link::local, outbox, local, 10);
  add(outbox, "up/1");
  int64_t l = add(outbox, "cmnd/plug/POWER", Priority::normal, Link::local);
  fwd.on_connected(true);
  REQUIRE(fwd.pump().ok());
  CHECK(local.seqs() == std::vector<int64_t>{l});
}

TEST_CASE("Are rows that waited through an outage marked replayed, and live ones not?", "[runtime][forwarder]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 10);
  OutboxRow old_row;
  old_row.topic = "queued/before/connect";
  old_row.created_ms = 1000;
  REQUIRE(outbox.append(old_row, false).ok());
  fwd.on_connected(false, /*since_ms=*/5000);
  OutboxRow live;
  live.topic = "live";
  live.created_ms = 6000;
  REQUIRE(outbox.append(live, false).ok());
  REQUIRE(fwd.pump().ok());
  REQUIRE(up.sent.size() == 2);
  CHECK(up.sent[0].replayed);
  CHECK_FALSE(up.sent[1].replayed);
}

TEST_CASE("Does the window shrink to the broker's Receive Maximum, never above max_inflight?", "[runtime][forwarder]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 64);
  for (int i = 0; i < 100; ++i) add(outbox, "t");
  fwd.limit_window(20);  // Mosquitto's default max_inflight_messages
  fwd.on_connected(false);
  REQUIRE(fwd.pump().ok());
  CHECK(fwd.inflight() == 20);
  fwd.limit_window(65535);  // no limit announced: the configured window
  REQUIRE(fwd.pump().ok());
  CHECK(fwd.inflight() == 64);
}

TEST_CASE("Does a row above the broker's Maximum Packet Size go to the dead letters without blocking the queue?",
          "[runtime][forwarder][poison]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 8);
  int64_t first = add(outbox, "a");
  OutboxRow big;
  big.topic = "big";
  big.payload = std::string(1000, 'x');
  auto r = outbox.append(big, false);
  REQUIRE(r.ok());
  int64_t last = add(outbox, "b");
  fwd.on_connected(false);
  fwd.limit_packet_size(500);
  REQUIRE(fwd.pump().ok());
  CHECK(up.seqs() == std::vector<int64_t>{first, last});  // never sent: the broker would drop the link
  REQUIRE(fwd.removals_pending());
  REQUIRE(fwd.poisoned().size() == 1);
  CHECK(fwd.poisoned()[0].seq == r->seq);
  CHECK(fwd.poisoned()[0].reason.find("Maximum Packet Size of 500") != std::string::npos);
  // Until the engine commits the move, the row is neither offered nor poisoned again.
  REQUIRE(fwd.pump().ok());
  CHECK(up.sent.size() == 2);
  CHECK(fwd.poisoned().size() == 1);
  auto removed = commit_removals(fwd, outbox);
  REQUIRE(removed.deadlettered.size() == 1);
  CHECK(removed.deadlettered[0].seq == r->seq);
  CHECK_FALSE(fwd.removals_pending());
  CHECK(outbox.dead().size() == 1);
  CHECK(outbox.stats(Link::upstream).messages == 2);
}

TEST_CASE("Is a row the broker refused for good never sent again, while a failed one is?",
          "[runtime][forwarder][poison]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 8);
  int64_t refused = add(outbox, "denied");
  int64_t failed = add(outbox, "flaky");
  fwd.on_connected(true);
  REQUIRE(fwd.pump().ok());
  REQUIRE(up.sent.size() == 2);
  CHECK(fwd.on_refused(refused, "not authorized"));
  CHECK_FALSE(fwd.on_refused(refused, "twice"));  // no longer in flight
  fwd.on_failed(failed);
  REQUIRE(fwd.pump().ok());
  CHECK(up.seqs() == std::vector<int64_t>{refused, failed, failed});
  const auto& poisoned = fwd.poisoned();
  REQUIRE(poisoned.size() == 1);
  CHECK(poisoned[0].seq == refused);
  CHECK(fwd.inflight() == 1);
}
