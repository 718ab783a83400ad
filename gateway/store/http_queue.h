// gateway/store/http_queue.h — the rows of the durable webhook queue (table
// http_queue) and of the dead-letter table, as the SQL layer (sqlite_http_queue.h)
// and the dispatcher exchange them.
//
// An `http` rule action becomes an HttpRow in the same transaction as the
// batch that decided it; the row leaves the table only when the call got a
// 2xx answer (deleted) or finally failed (moved to deadletters, kind 'http',
// detail = the call as JSON). Plain data; no thread rules of its own.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "rules/decision.h"

namespace edgegw::gateway {

struct HttpRow {
  int64_t id = 0;  // assigned by the insert
  std::string rule;
  std::string method;  // POST | PUT | GET
  std::string url;
  std::string headers_json;  // a JSON object {"Name": "value", ...}
  std::string body;
  int64_t timeout_ms = 5000;
  int retries = 3;         // failed attempts allowed before the last one
  int attempts = 0;        // failed attempts so far
  int64_t created_ms = 0;  // wall clock, unix ms
  int64_t next_ms = 0;     // not attempted before this (wall clock, unix ms)
};

struct DeadLetter {
  int64_t id = 0;
  std::string kind;           // 'http' for webhooks, 'mqtt' for poison outbox rows
  std::string detail;         // kind 'http': {rule, method, url, headers, body, timeout_ms, retries}
                              // kind 'mqtt': {seq, priority, qos, retain, latest_only}
  int link = -1;              // kind 'mqtt': the link that refused it
  std::string topic;          // kind 'mqtt'
  int64_t payload_bytes = 0;  // kind 'mqtt'
  std::string reason;         // the last error: "HTTP 500", curl's message, ...
  int attempts = 0;
  int64_t created_ms = 0;
  int64_t failed_ms = 0;
};

// The row for a rule's call, due at once.
HttpRow http_row_from(const rules::HttpCall& call, int64_t now_ms);

}  // namespace edgegw::gateway
