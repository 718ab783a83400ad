// gateway/observe/status_snapshot.h — what the HTTP side may know about the engine.
//
// The engine thread builds a StatusSnapshot at most once a second
// (StatusCollector) and hands it to the StatusBoard; HTTP threads read the
// latest one and never touch SQLite or the engine's objects. Counters that
// move per message are not copied here: readers take them from Metrics.
//
// StatusBoard is thread-safe: one short mutex around a shared_ptr swap, plus
// atomics for the engine loop's heartbeat and the "started" latch.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/observe/health.h"
#include "gateway/base/metrics.h"
#include "rules/rule_note.h"

namespace edgegw::gateway {

struct LinkSnapshot {
  bool configured = false;
  uint64_t depth = 0;             // outbox rows waiting for this link
  uint64_t bytes = 0;             // their topic + payload bytes
  int64_t oldest_created_ms = 0;  // 0 when empty
  std::string tls_error;          // why a TLS connect fails, from the link's probe; "" when none
};

struct RuleSnapshot {
  std::string id, description, trigger;  // trigger: a one-line summary
  bool enabled = true;
  uint64_t matches = 0, fires = 0, failures = 0;    // failures: notes[bad_topic]
  int64_t last_fire_ms = 0;                         // 0: never
  std::array<uint64_t, rules::kNoteKinds> notes{};  // by rules::NoteKind: why it stopped, what it dropped
  std::string last_stop{};                          // the last note's name; "" when none
  int64_t last_stop_ms = 0;
};

struct BacklogSample {
  int64_t at_ms = 0;
  uint64_t depth = 0;  // upstream rows (local rows when there is no upstream)
};

struct StatusSnapshot {
  std::string gateway_id, version;
  int64_t at_ms = 0;  // wall clock when built
  int64_t started_ms = 0;
  LinkSnapshot links[2];         // indexed by Link
  double events_per_second = 0;  // received on both links, over the last interval
  std::vector<RuleSnapshot> rules;
  std::vector<BacklogSample> backlog;              // oldest first, the last hour, ending with now
  std::string devices_json = R"({"devices":[]})";  // the registry's document (store/device_json.h)
  bool devices_known = false;                      // the hook is wired: the counts below mean something
  uint64_t devices_total = 0, devices_online = 0;
};

// One sample per `every_ms` for the last `capacity` of them (a ring).
// Not thread-safe: the engine thread owns it.
class BacklogHistory {
 public:
  explicit BacklogHistory(int64_t every_ms = 30'000, size_t capacity = 120);
  // Records `depth` if the last sample is at least every_ms old.
  void add(int64_t now_ms, uint64_t depth);
  // Oldest first.
  std::vector<BacklogSample> samples() const;

 private:
  int64_t every_ms_;
  std::vector<BacklogSample> ring_;
  size_t next_ = 0;
  bool full_ = false;
};

class StatusBoard {
 public:
  StatusBoard(bool upstream_configured, int64_t stall_after_ms = 10'000)
      : upstream_configured_(upstream_configured), stall_after_ms_(stall_after_ms) {}

  // Engine thread.
  void publish(std::shared_ptr<const StatusSnapshot> s);
  void beat(int64_t mono_ms) { beat_ms_.store(mono_ms, std::memory_order_relaxed); }
  void set_started() { started_.store(true, std::memory_order_release); }

  // Any thread. Null until the engine published once.
  std::shared_ptr<const StatusSnapshot> snapshot() const;
  // The inputs of evaluate_health(), read from the atomics now.
  HealthInput health_input(const Metrics& m, int64_t now_mono_ms) const;

 private:
  const bool upstream_configured_;
  const int64_t stall_after_ms_;
  std::atomic<int64_t> beat_ms_{0};
  std::atomic<bool> started_{false};
  mutable std::mutex mu_;
  std::shared_ptr<const StatusSnapshot> snapshot_;
};

int64_t mono_ms_now();
int64_t wall_ms_now();

}  // namespace edgegw::gateway
