// tests/unit/store_test_helpers.h — small helpers the store's unit tests share.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>

#include "gateway/store/sqlite_outbox.h"

namespace edgegw::testing {

// An upstream row of normal priority, created at 1000 ms.
inline gateway::OutboxRow row(const std::string& topic, const std::string& payload) {
  gateway::OutboxRow r;
  r.topic = topic;
  r.payload = payload;
  r.created_ms = 1000;
  return r;
}

inline std::unique_ptr<gateway::SqliteOutbox> open_ok(const std::string& path, gateway::OutboxOptions options = {}) {
  auto r = gateway::SqliteOutbox::open(path, options);
  INFO(r.status().message());
  REQUIRE(r.ok());
  return std::move(*r);
}

}  // namespace edgegw::testing
