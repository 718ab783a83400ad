// BatchPacer: a stream's rows gather between the engine's turns; a trickle does not wait.
#include <catch2/catch.hpp>

#include "gateway/engine/batch_pacer.h"

using namespace edgegw;
using namespace edgegw::gateway;
using namespace std::chrono_literals;

namespace {
const MonoTime t0 = MonoTime{} + 100s;
}

TEST_CASE("Does a turn that moved a stream's worth of rows let the next rows gather?", "[pacer]") {
  BatchPacer pacer;
  pacer.committed(BatchPacer::kStreamRows / 2);
  pacer.committed(BatchPacer::kStreamRows - BatchPacer::kStreamRows / 2);  // two batches in one turn add up
  pacer.turn_done(t0);
  CHECK(pacer.wait(t0) == BatchPacer::kGather);
  CHECK(pacer.wait(t0 + BatchPacer::kGather / 4) == BatchPacer::kGather * 3 / 4);
  CHECK(pacer.wait(t0 + BatchPacer::kGather) == Duration::zero());
  CHECK(pacer.wait(t0 + 1s) == Duration::zero());
}

TEST_CASE("Is a trickle of rows taken at once?", "[pacer]") {
  BatchPacer pacer;
  CHECK(pacer.wait(t0) == Duration::zero());  // nothing moved yet
  pacer.committed(BatchPacer::kStreamRows - 1);
  pacer.turn_done(t0);
  CHECK(pacer.wait(t0) == Duration::zero());
}

TEST_CASE("Does the count start again each turn?", "[pacer]") {
  BatchPacer pacer;
  pacer.committed(BatchPacer::kStreamRows);
  pacer.turn_done(t0);
  REQUIRE(pacer.wait(t0) > Duration::zero());
  pacer.committed(1);  // the stream ended: the next turn moved one row
  pacer.turn_done(t0 + 100us);
  CHECK(pacer.wait(t0 + 100us) == Duration::zero());
  pacer.turn_done(t0 + 200us);  // an empty turn
  CHECK(pacer.wait(t0 + 200us) == Duration::zero());
}
