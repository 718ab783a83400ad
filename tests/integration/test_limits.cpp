// Buffer limits with the real binary: what is kept, what is dropped, counted.
#include <catch2/catch.hpp>

#include "support/sequence_check.h"
#include "support/site.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const std::string kRoutes =
    "  - from: \"dev/+/state\"\n"
    "    to: \"sites/{{ topic[1] }}\"\n";

// Runs 300 messages into an outbox capped at 100 rows while the upstream is
// down, then lets it drain; returns the seqs that arrived upstream.
std::vector<long> run_overflow(const std::string& when_full, const std::string& counter, long& counted) {
  Site site(cloud_session({.upstream = {.persistence = true},
                           .routes = kRoutes,
                           .extra = "buffer:\n  max_messages: 100\n  when_full: " + when_full + "\n",
                           .devices = SiteClient{"devices"}},
                          /*upstream_down=*/true));
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  BulkPublish spec;
  spec.count = 300;
  spec.topic = "dev/0/state";
  spec.max_in_flight = 1;  // one at a time: the order the outbox sees is the seq order
  spec.payload_of = [](size_t i) { return seq_payload(0, i); };
  auto r = site.devices().publish_many(spec);
  REQUIRE(r.ok());
  REQUIRE(r->acked == 300);
  // All 300 taken in: 100 kept, 200 counted as dropped or rejected.
  REQUIRE(wait_until([&] { return gw.buffer_stat("upstream", counter) == 200; }, 20s));
  counted = gw.buffer_stat("upstream", counter);
  CHECK(gw.upstream_backlog() == 100);
  REQUIRE(site.upstream.start().ok());
  REQUIRE(wait_until([&] { return gw.upstream_backlog() == 0; }, 20s));
  auto joined = site.session().join();
  REQUIRE(joined.ok());
  REQUIRE((*joined)->wait_for_count(100, 10s));
  REQUIRE(gw.stop().ok());
  std::vector<long> seqs;
  for (const auto& m : (*joined)->received()) seqs.push_back(std::stol(m.payload.substr(m.payload.find(':') + 1)));
  return seqs;
}

}  // namespace

TEST_CASE("Does a full outbox with drop_oldest keep the newest rows and count the drops?", "[integration][limits]") {
  long counted = 0;
  auto seqs = run_overflow("drop_oldest", "dropped_full", counted);
  REQUIRE(seqs.size() == 100);
  CHECK(seqs.front() == 200);
  CHECK(seqs.back() == 299);
  CHECK(counted == 200);
}

TEST_CASE("Does a full outbox with reject_new keep the oldest rows and count the rejections?",
          "[integration][limits]") {
  long counted = 0;
  auto seqs = run_overflow("reject_new", "rejected_full", counted);
  REQUIRE(seqs.size() == 100);
  CHECK(seqs.front() == 0);
  CHECK(seqs.back() == 99);
  CHECK(counted == 200);
}

TEST_CASE("Does the gateway hold the local link down above journal_max, and still lose nothing?",
          "[integration][limits][backpressure]") {
  // A small journal_max: the journal passes it within the first second,
  // before a checkpoint lets its segments go. Each hold costs a checkpoint
  // and a reconnect (2 to 3 s); at 8 KiB, 3,000 messages took some 20 holds
  // and up to a minute, at 64 KiB two holds and under 15 s.
  Site site({.routes = kRoutes, .extra = "buffer:\n  journal_max: 64KiB\n", .devices = SiteClient{"devices"}});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  TestClient& cloud = site.cloud();
  BulkPublish spec;
  spec.count = 3000;
  spec.topic_of = [](size_t i) { return "dev/" + std::to_string(i % 10) + "/state"; };
  spec.payload_of = [](size_t i) { return seq_payload(i % 10, i); };
  auto r = site.devices().publish_many(spec);
  REQUIRE(r.ok());
  REQUIRE(r->acked == 3000);
  REQUIRE(wait_until([&] { return gw.log().find("local link: holding it down") != std::string::npos; }, 10s));
  // The broker queued for the gateway's session meanwhile; it resumes below half.
  REQUIRE(wait_until([&] { return check_sequences(cloud.received(), "sites/").distinct >= 3000; }, 60s));
  auto report = check_sequences(cloud.received(), "sites/");
  CHECK(report.distinct == 3000);
  CHECK(report.order_ok);
  CHECK(gw.log().find("local link: resuming intake") != std::string::npos);
  REQUIRE(gw.stop().ok());
}
