// tests/support/sequence_check.h — the loss/duplicate/order oracle.
//
// Payloads are "<device>:<seq>"; lost = published - distinct arrived;
// duplicates = arrivals - distinct; order holds when, per device, the first
// arrival of each seq comes in increasing seq order.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/test_client.h"

namespace edgegw::testing {

struct SequenceReport {
  size_t arrivals = 0;
  size_t distinct = 0;
  size_t duplicates = 0;
  bool order_ok = true;
  std::string first_order_violation;
};

inline std::string seq_payload(size_t device, size_t seq) { return std::to_string(device) + ":" + std::to_string(seq); }

inline SequenceReport check_sequences(const std::vector<ReceivedMessage>& msgs, const std::string& topic_prefix) {
  SequenceReport r;
  std::map<std::string, std::set<long>> seen;
  std::map<std::string, long> last_first;
  for (const auto& m : msgs) {
    if (m.topic.rfind(topic_prefix, 0) != 0) continue;
    ++r.arrivals;
    auto colon = m.payload.find(':');
    if (colon == std::string::npos) continue;
    std::string device = m.payload.substr(0, colon);
    long seq = std::stol(m.payload.substr(colon + 1));
    if (!seen[device].insert(seq).second) continue;  // a duplicate
    auto it = last_first.find(device);
    if (it != last_first.end() && seq < it->second && r.order_ok) {
      r.order_ok = false;
      r.first_order_violation =
          "device " + device + ": " + std::to_string(seq) + " after " + std::to_string(it->second);
    }
    last_first[device] = std::max(seq, it == last_first.end() ? seq : it->second);
  }
  for (const auto& [d, s] : seen) r.distinct += s.size();
  r.duplicates = r.arrivals - r.distinct;
  return r;
}

}  // namespace edgegw::testing
