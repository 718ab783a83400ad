// gateway/engine/engine_loop.h — the one engine thread.
//
// It wakes on the eventfd that every journal append and link event signals
// (and on a timer only for reconnects, expiry and checkpoints), takes every
// journal record that is there, turns each into an Event, runs the routes,
// and commits in ONE SQLite transaction the outbox rows, the acknowledged
// rows' removal and the journal position reached. Then it lets the
// forwarders send. After a crash it resumes from the committed position, so
// each record's effects are committed exactly once.
//
// It is the only writer of the database and the only caller of the links'
// methods. It is the scheduler; the jobs are its parts: LinkSupervisor (a
// link's life), Forwarder (a queue and its ack lifecycle), EngineTimers,
// RuleReload, ClockWatch, IntakeGuard and BacklogLog. It reads time only
// from EngineParts::clock. Not thread-safe: construct, run() on one
// thread, done.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/base/event_fd.h"
#include "gateway/base/metrics.h"
#include "gateway/config/rule_watch.h"
#include "gateway/engine/backlog_log.h"
#include "gateway/engine/batch_pacer.h"
#include "gateway/engine/clock_watch.h"
#include "gateway/engine/device_tracker.h"
#include "gateway/engine/engine_timers.h"
#include "gateway/engine/event_pipeline.h"
#include "gateway/engine/forwarder.h"
#include "gateway/engine/intake_guard.h"
#include "gateway/engine/journal_batch.h"
#include "gateway/engine/link_supervisor.h"
#include "gateway/engine/memory_lookups.h"
#include "gateway/engine/rule_note_log.h"
#include "gateway/engine/rule_reload.h"
#include "gateway/http/http_dispatch.h"
#include "gateway/journal/journal.h"
#include "gateway/mqtt/link_events.h"
#include "gateway/mqtt/link_port.h"
#include "gateway/observe/status_collector.h"
#include "gateway/store/sqlite_outbox.h"
#include "rules/decision.h"
#include "rules/engine.h"
#include "rules/eval_context.h"
#include "rules/routes.h"

namespace edgegw::gateway {

class ServiceNotifier;
class DiskGuard;

struct EngineOptions {
  std::string gateway_id;
  uint64_t journal_max = 64ull << 20;  // local link paused above, resumed below half
  bool sync_full = false;
  size_t batch_bytes = 8u << 20;  // journal bytes per batch (DiskSizing: smaller on a small disk)
  Duration local_reconnect_min = std::chrono::seconds(1), local_reconnect_max = std::chrono::seconds(30);
  Duration upstream_reconnect_min = std::chrono::seconds(1), upstream_reconnect_max = std::chrono::minutes(2);
  std::vector<Subscription> local_subscriptions;
  std::vector<Subscription> upstream_subscriptions;
  size_t local_max_inflight = 64;
  size_t upstream_max_inflight = 64;
  uint64_t max_messages = 1'000'000;                     // for the 80 % warning
  std::string status_online = "{\"state\":\"online\"}";  // retained on edgegw/<id>/status
};

struct EngineParts {
  Journal& journal;
  SqliteOutbox& outbox;
  const rules::Routes& routes;
  EventFd& wake;
  LinkEventQueue& events;
  LinkPort& local;     // MqttLink in the daemon
  LinkPort* upstream;  // null: no upstream configured
  Metrics& metrics;
  const Clock& clock;  // every time the loop and its parts read (SystemClock in the daemon)
  std::shared_ptr<spdlog::logger> log;
  int signal_fd = -1;                           // signalfd for SIGTERM, SIGINT, SIGHUP
  std::shared_ptr<const rules::RuleSet> rules;  // null or empty: routes only
  // SIGHUP: loads and compiles the rule files again; null (after logging
  // every error) keeps the old rules running.
  std::function<std::shared_ptr<const rules::RuleSet>()> reload_rules;
  // The subscriptions a link needs for the routes and these rules.
  std::function<std::vector<Subscription>(Link, const rules::RuleSet*)> plan_subscriptions;
  RuleWatch* rule_watch = nullptr;     // null: rule files reload on SIGHUP only
  HttpJobSink* http = nullptr;         // the webhook worker; null: http actions are counted, not run
  ServiceNotifier* service = nullptr;  // systemd WATCHDOG=1 and STATUS=; null: none
  DeviceTracker* devices = nullptr;    // null: no device registry (gateway/engine/device_tracker.h)
  StatusCollector* status = nullptr;   // observability: called once per loop iteration
  DiskGuard* disk = nullptr;           // free space and the reserve (disk_guard.h); null: unchecked
};

class EngineLoop {
 public:
  EngineLoop(EngineParts parts, EngineOptions options);
  ~EngineLoop();

  // Runs until SIGTERM/SIGINT (or stop()), then flushes to disk and
  // disconnects. Returns the process exit code.
  int run();
  // Any thread: asks run() to return (as SIGTERM does).
  void stop();

  // run()'s steps, for unit tests that drive the loop on a fake clock
  // without waiting on its fds. start(): the timers and the `started`
  // gateway event (once; run() calls it too). run_once(): one turn, as
  // after a wake-up: link events, the journal in batches, the timers.
  void start();
  void run_once();

 private:
  class BatchEffects;  // the pipeline's effects, into the open batch
  struct BatchTally {  // what one batch did, counted once it committed
    uint64_t appended[2] = {0, 0};
    uint64_t rejected = 0, dropped = 0, replaced = 0, bad_topics = 0, http_skipped = 0;
    std::string bad_topic_example;
  };

  // The scheduler (engine_loop.cpp).
  void wait_for_work();
  void gather(Duration d);
  void take_journal();
  void handle_signals();
  void handle_link_events();
  bool process_journal(size_t max_records);
  void run_timers(MonoTime now);
  void run_rule_timers(MonoTime now);
  void run_checkpoint();
  void pump_forwarders();
  void check_backpressure();
  void release_if_durable(bool wait);
  void log_backlog();
  void reload_rules(std::string_view cause);
  void watch_clock();
  void arm_rule_timers();
  void gateway_event(std::string_view name);
  void shutdown();
  MonoTime next_deadline(MonoTime now) const;
  // Acknowledged or poisoned rows wait to leave the outbox.
  bool removals_pending() const;
  // How many of the batch's records the disk takes now (disk_guard.h).
  size_t admit(MonoTime now);
  int64_t wall_ms() const { return to_unix_ms(p_.clock.now()); }

  // One batch, one transaction (engine_loop_batch.cpp).
  // Commits the first `take` of batch_; the rest stay for a later batch
  // (a full disk, disk_guard.h). take 0 with records waiting: only the
  // drain (acknowledged rows' removal), no timer decisions either.
  Status commit_batch(size_t take = SIZE_MAX);
  Status write_batch(size_t take, int64_t now_ms, BatchTally& tally);
  bool commit_or_stop(size_t take, MonoTime now);
  void batch_committed(size_t take);
  void commit_failed(const Status& s, MonoTime now);
  void count_committed(const BatchTally& tally);
  void count_removed();
  Status route_record(JournalRecord& rec, int64_t now_ms, BatchTally& tally);
  Status append_enqueue(rules::Enqueue& q, int64_t now_ms, BatchTally& tally);
  Status execute(rules::TimedDecision& d, int64_t now_ms, BatchTally& tally);

  // Device triggers and silence (engine_loop_devices.cpp).
  void run_device_timers(MonoTime now);
  std::optional<MonoTime> device_deadline(MonoTime now) const;

  EngineParts p_;
  EngineOptions opt_;
  std::unique_ptr<Forwarder> forwarders_[2];  // by Link; [upstream] null: no upstream
  std::unique_ptr<LinkSupervisor> links_[2];  // by Link, each with its forwarder
  std::unique_ptr<IntakeGuard> intake_;       // backpressure on links_[local]
  std::atomic<bool> stop_requested_{false};
  bool started_ = false;

  // Reused per batch: no allocation once warm.
  JournalBatch batch_;                         // read from the journal, not yet committed
  BatchPacer pacer_;                           // a stream's rows gather for a moment between turns
  rules::JsonParser parser_;                   // reused for every event's payload
  std::vector<rules::TimedDecision> pending_;  // from timers and gateway events, for the next batch
  MemoryLookups lookups_;                      // state.NAME and previous payloads
  EventPipeline pipeline_;                     // the per-event order, shared with `edgegw test`
  RuleReload rules_;                           // the rule engine; null engine(): routes only
  RuleNoteLog note_log_;                       // drops, and with log_level debug every rule decision
  EngineTimers timers_;
  ClockWatch clock_watch_;
  BacklogLog backlog_log_;
  std::vector<LinkEvent> link_events_;
  uint64_t committed_seq_ = 0;
  uint64_t released_seq_ = 0;
  uint64_t commit_failures_ = 0;                          // in a row; logged once, and once when it ends
  ReasonLimiter checkpoint_log_{std::chrono::hours(24)};  // a failing checkpoint: each new reason once
  int exit_code_ = 0;
  MonoTime next_http_warn_{};
  MonoTime next_bad_topic_warn_{};
  std::unique_ptr<HttpDispatch> http_;  // set when parts.http is
};

}  // namespace edgegw::gateway
