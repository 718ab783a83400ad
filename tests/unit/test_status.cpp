// tests/unit/test_status.cpp — Status and Result carry a code callers branch on.
#include <catch2/catch.hpp>

#include "core/status.h"

using namespace edgegw;

TEST_CASE("Does a Status say what kind of failure it is, and stay a failure whatever code it is given?",
          "[core][status]") {
  CHECK(Status().ok());
  CHECK(Status().code() == StatusCode::ok);
  CHECK(Status().message() == "ok");

  Status plain = Status::error("outbox.db", "no such table: x");
  CHECK_FALSE(plain.ok());
  CHECK(plain.code() == StatusCode::error);
  CHECK(plain.message() == "outbox.db: no such table: x");

  Status full = Status::error(StatusCode::full, "outbox.db", "database or disk is full");
  CHECK_FALSE(full.ok());
  CHECK(full.code() == StatusCode::full);
  CHECK(full.context() == "outbox.db");
  CHECK(full.detail() == "database or disk is full");

  Status odd = Status::error(StatusCode::ok, "", "no code");  // a failure is never ok
  CHECK_FALSE(odd.ok());
  CHECK(odd.code() == StatusCode::error);
}

TEST_CASE("Does a failed Result hand back its Status with the code?", "[core][status]") {
  Result<int> r = Status::error(StatusCode::corrupt, "outbox.db", "file is not a database");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::corrupt);
  Result<int> good = 3;
  CHECK(good.status().code() == StatusCode::ok);
}

TEST_CASE("Has every StatusCode a name for logs?", "[core][status]") {
  CHECK(std::string(status_code_name(StatusCode::ok)) == "ok");
  CHECK(std::string(status_code_name(StatusCode::error)) == "error");
  CHECK(std::string(status_code_name(StatusCode::corrupt)) == "corrupt");
  CHECK(std::string(status_code_name(StatusCode::busy)) == "busy");
  CHECK(std::string(status_code_name(StatusCode::full)) == "full");
  CHECK(std::string(status_code_name(StatusCode::io)) == "io");
}
