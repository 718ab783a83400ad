// The forwarder's ack lifecycle: in flight -> acked or poisoned -> written
// into the open batch -> removed once that batch committed.
#include <catch2/catch.hpp>

#include "gateway/engine/forwarder.h"
#include "support/memory_outbox.h"

using namespace edgegw;
using namespace edgegw::gateway;

namespace {

class FakePublisher final : public Publisher {
 public:
  bool send(const OutboxRow& row) override {
    sent.push_back(row.seq);
    return true;
  }
  size_t packet_size(const OutboxRow& row) const override { return row.topic.size() + row.payload.size(); }
  std::vector<int64_t> sent;
};

int64_t add(testing::MemoryOutbox& o, const std::string& topic, size_t payload_bytes = 1) {
  OutboxRow row;
  row.topic = topic;
  row.payload = std::string(payload_bytes, 'x');
  auto r = o.append(row, false);
  REQUIRE(r.ok());
  return r->seq;
}

// One engine batch: the removals written and committed.
Forwarder::Removed batch(Forwarder& f, testing::MemoryOutbox& o, int64_t now_ms = 1000) {
  REQUIRE(o.begin().ok());
  REQUIRE(f.write_removals(now_ms).ok());
  REQUIRE(o.commit().ok());
  return f.committed();
}

std::vector<int64_t> seqs_of(const std::vector<Forwarder::Poisoned>& p) {
  std::vector<int64_t> out;
  for (const auto& x : p) out.push_back(x.seq);
  return out;
}

}  // namespace

TEST_CASE("Do acked and poisoned rows leave the outbox in the next batch, exactly once?",
          "[runtime][forwarder][acks]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 8);
  const int64_t a = add(outbox, "a"), big = add(outbox, "big", 1000), b = add(outbox, "b"), c = add(outbox, "c");
  fwd.on_connected(false);
  fwd.limit_packet_size(500);
  REQUIRE(fwd.pump().ok());
  REQUIRE(up.sent == std::vector<int64_t>{a, b, c});  // big: poisoned, never sent
  CHECK(fwd.removals_pending());

  int64_t created_ms = 0;
  REQUIRE(fwd.on_acked(a, created_ms));
  REQUIRE(fwd.on_refused(b, "not authorized"));
  CHECK_FALSE(fwd.on_acked(a, created_ms));  // a second PUBACK is not a second removal

  auto removed = batch(fwd, outbox);
  CHECK(removed.delivered == std::vector<int64_t>{a});
  CHECK(seqs_of(removed.deadlettered) == std::vector<int64_t>{big, b});
  CHECK_FALSE(fwd.removals_pending());
  CHECK(outbox.size() == 1);  // c, still in flight
  CHECK(outbox.dead().size() == 2);

  removed = batch(fwd, outbox);  // the next batch writes nothing of theirs again
  CHECK(removed.delivered.empty());
  CHECK(removed.deadlettered.empty());
  CHECK(outbox.dead().size() == 2);
  CHECK(outbox.size() == 1);
  CHECK(fwd.inflight() == 1);
}

TEST_CASE("Does a removal written into a batch that rolled back ride the next one?", "[runtime][forwarder][acks]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 8);
  const int64_t a = add(outbox, "a"), b = add(outbox, "b");
  fwd.on_connected(false);
  REQUIRE(fwd.pump().ok());
  int64_t created_ms = 0;
  REQUIRE(fwd.on_acked(a, created_ms));

  REQUIRE(outbox.begin().ok());
  REQUIRE(fwd.write_removals(1000).ok());
  outbox.rollback();  // the commit failed
  CHECK(outbox.size() == 2);
  CHECK(fwd.removals_pending());

  outbox.fail_next_write(Status::error("outbox.db", "database or disk is full"));
  REQUIRE(outbox.begin().ok());
  CHECK_FALSE(fwd.write_removals(1000).ok());
  outbox.rollback();
  CHECK(fwd.removals_pending());

  fwd.on_disconnected();
  fwd.on_connected(false);  // the session is gone: b goes out again, a never does
  up.sent.clear();
  REQUIRE(fwd.pump().ok());
  CHECK(up.sent == std::vector<int64_t>{b});

  auto removed = batch(fwd, outbox);
  CHECK(removed.delivered == std::vector<int64_t>{a});
  CHECK_FALSE(fwd.removals_pending());
  CHECK(outbox.size() == 1);
}

TEST_CASE("Does an ack that arrives after the batch was written wait for the next one?", "[runtime][forwarder][acks]") {
  testing::MemoryOutbox outbox;
  FakePublisher up;
  Forwarder fwd(Link::upstream, outbox, up, 8);
  const int64_t a = add(outbox, "a"), b = add(outbox, "b");
  fwd.on_connected(false);
  REQUIRE(fwd.pump().ok());
  int64_t created_ms = 0;
  REQUIRE(fwd.on_acked(a, created_ms));
  REQUIRE(outbox.begin().ok());
  REQUIRE(fwd.write_removals(1000).ok());
  REQUIRE(fwd.on_acked(b, created_ms));  // not in this transaction
  REQUIRE(outbox.commit().ok());
  auto removed = fwd.committed();
  CHECK(removed.delivered == std::vector<int64_t>{a});
  CHECK(fwd.removals_pending());
  CHECK(outbox.size() == 1);
  removed = batch(fwd, outbox);
  CHECK(removed.delivered == std::vector<int64_t>{b});
  CHECK(outbox.size() == 0);
}
