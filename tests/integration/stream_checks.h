// tests/integration/stream_checks.h — the loss check of the stream tests
// (test_soak.cpp, test_outage.cpp). Catch2 assertions: integration tests only.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>

#include "support/sequence_check.h"
#include "support/stream.h"
#include "support/test_client.h"
#include "support/wait.h"

namespace edgegw::testing {

// Every accepted message arrived upstream (duplicates allowed).
inline void expect_all_arrived(const Stream& stream, TestClient& cloud, std::chrono::seconds deadline) {
  const auto accepted = stream.accepted();
  auto missing = [&] {
    std::set<std::string> got;
    for (const auto& m : cloud.received()) got.insert(m.payload);
    size_t n = 0;
    for (const auto& a : accepted) n += got.count(a) == 0;
    return n;
  };
  CHECK(wait_until([&] { return missing() == 0; }, deadline));
  auto report = check_sequences(cloud.received(), "sites/");
  std::string first_missing;
  {
    std::set<std::string> got;
    for (const auto& m : cloud.received()) got.insert(m.payload);
    size_t listed = 0;
    for (const auto& a : accepted) {
      if (got.count(a) == 0 && listed++ < 20) first_missing += " " + a.substr(0, 40);
    }
  }
  INFO(accepted.size() << " accepted, " << report.distinct << " distinct arrived, " << report.duplicates
                       << " duplicates, " << missing() << " missing:" << first_missing);
  CHECK(missing() == 0);
  CHECK(report.order_ok);
  WARN(accepted.size() << " accepted, " << missing() << " lost, " << report.duplicates << " duplicates");
}

}  // namespace edgegw::testing
