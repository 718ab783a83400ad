#include "gateway/engine/engine_loop.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>

#include "core/overloaded.h"
#include "gateway/disk/disk_guard.h"
#include "gateway/observe/service_notifier.h"

namespace edgegw::gateway {
namespace {

constexpr size_t kBatchRecords = 2048;
constexpr auto kCheckpointEvery = std::chrono::seconds(1);
constexpr auto kExpiryEvery = std::chrono::seconds(10);
constexpr auto kCommitRetry = std::chrono::milliseconds(500);
constexpr auto kFailedDeliveryPause = std::chrono::seconds(1);

// An MQTT 5 PUBACK reason code that will not change if the row is sent
// again (not authorized, topic name invalid, packet too large, payload
// format invalid, unspecified...). Quota exceeded and packet identifier in
// use are about the moment, not the row: those are sent again.
bool refused_for_good(int reason_code) {
  return reason_code >= 0x80 && reason_code != 0x91 && reason_code != 0x97;
}
constexpr auto kShutdownLinkTimeout = std::chrono::seconds(1);
constexpr auto kWarnEvery = std::chrono::seconds(60);  // repeated warnings, at most this often
// A save is often several file events (write, rename, a second file): wait
// until the rule files have been quiet this long, then reload once.
constexpr auto kReloadQuiet = std::chrono::milliseconds(300);
// The wall clock moving this much more or less than the monotonic clock
// between two looks is a step (NTP's first sync, a manual date), not drift.
constexpr int64_t kClockStepMs = 2000;

MonoTime mono_now() { return MonoTime(std::chrono::steady_clock::now().time_since_epoch()); }
int64_t wall_ms() { return to_unix_ms(TimePoint(std::chrono::system_clock::now().time_since_epoch())); }

}  // namespace

struct EngineLoop::LinkState {
  LinkState(MqttLink& l, Outbox& outbox, size_t max_inflight, Duration bmin, Duration bmax,
            std::vector<Subscription> s)
      : link(l), forwarder(l.link(), outbox, l, max_inflight), backoff(bmin, bmax), subs(std::move(s)) {}

  enum class Phase { idle, connecting, connected, paused };
  MqttLink& link;
  Forwarder forwarder;
  Backoff backoff;
  std::vector<Subscription> subs;
  Phase phase = Phase::idle;
  MonoTime next_attempt{};
  bool ever_subscribed = false;
  bool was_connected = false;  // for logging state changes only
  uint64_t failures = 0;
  MonoTime resend_at{};        // after a refused delivery, no sends before this
  ReasonLimiter tls_log{kWarnEvery};  // the TLS probe's reasons: each change, a repeat once a minute
};

EngineLoop::EngineLoop(EngineParts parts, EngineOptions options)
    : p_(std::move(parts)),
      opt_(std::move(options)),
      batch_(p_.journal),
      pipeline_(p_.routes, lookups_, parser_, opt_.gateway_id) {
  pipeline_.set_devices(p_.devices);
  local_ = std::make_unique<LinkState>(p_.local, p_.outbox, opt_.local_max_inflight, opt_.local_reconnect_min,
                                       opt_.local_reconnect_max, opt_.local_subscriptions);
  if (p_.upstream) {
    upstream_ = std::make_unique<LinkState>(*p_.upstream, p_.outbox, opt_.upstream_max_inflight,
                                            opt_.upstream_reconnect_min, opt_.upstream_reconnect_max,
                                            opt_.upstream_subscriptions);
  }
  committed_seq_ = p_.outbox.journal_position();
  released_seq_ = committed_seq_;
  clock_wall_ms_ = era_start_ms_ = wall_ms();
  clock_mono_ = mono_now();
  if (p_.rules && !p_.rules->rules().empty()) use_engine(std::make_unique<rules::Engine>(p_.rules));
  if (p_.http) {
    http_ = std::make_unique<HttpDispatch>(p_.outbox, *p_.http, p_.metrics, p_.log, http_dispatch_options_from_env());
  }
  std::vector<std::pair<std::string, std::string>> state;
  if (auto s = p_.outbox.load_state(state); !s.ok()) p_.log->error("state: {}", s.message());
  for (const auto& [name, json] : state) lookups_.set_state(name, rules::Payload(json, parser_).get({}));
}

EngineLoop::~EngineLoop() = default;

// Timers and windows saved by the last run (design.md: rule timers survive a
// restart). A row the engine refuses (the rule was edited or removed while
// the gateway was down) is deleted: that rule starts fresh.
void EngineLoop::restore_rule_states() {
  std::vector<std::pair<std::string, std::string>> rows;
  if (auto s = p_.outbox.load_rule_states(rows); !s.ok()) {
    p_.log->error("rule state: {}", s.message());
    return;
  }
  size_t restored = 0;
  for (const auto& [rule, bytes] : rows) {
    if (rule_engine_->restore_state(rule, bytes)) {
      ++restored;
    } else if (auto s = p_.outbox.put_rule_state(rule, {}); !s.ok()) {
      p_.log->warn("rule state: {}", s.message());
    }
  }
  if (restored > 0) {
    p_.log->info("rules: restored the timers and windows of {} rule(s) ({} pending timer(s))", restored,
                 rule_engine_->pending_timers());
  }
  if (restored < rows.size()) {
    p_.log->info("rules: dropped the saved state of {} rule(s) that changed or went away", rows.size() - restored);
  }
}

void EngineLoop::stop() {
  stop_requested_ = true;
  p_.wake.notify();
}

EngineLoop::LinkState* EngineLoop::state_of(Link link) {
  return link == Link::local ? local_.get() : upstream_.get();
}

bool EngineLoop::removals_pending() const {
  for (int li = 0; li < 2; ++li) {
    if (!removes_[li].empty() || !poisoned_[li].empty()) return true;
  }
  for (const LinkState* ls : {local_.get(), upstream_.get()}) {
    if (ls && ls->forwarder.has_poisoned()) return true;
  }
  return false;
}

bool EngineLoop::link_up(Link link) const {
  const LinkState* ls = link == Link::local ? local_.get() : upstream_.get();
  return ls && ls->phase == LinkState::Phase::connected;
}

int EngineLoop::run() {
  MonoTime now = mono_now();
  next_checkpoint_ = now + kCheckpointEvery;
  next_expiry_ = now;
  if (p_.disk) p_.disk->start(now);
  gateway_event("started");
  while (!stop_requested_) {
    now = mono_now();
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline(now) - now);
    pollfd fds[3] = {{p_.wake.fd(), POLLIN, 0},
                     {p_.signal_fd, POLLIN, 0},
                     {p_.rule_watch ? p_.rule_watch->fd() : -1, POLLIN, 0}};  // poll skips fd -1
    int timeout_ms = static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 1000));
    ::poll(fds, 3, timeout_ms);
    p_.wake.drain();
    if (p_.signal_fd >= 0 && (fds[1].revents & POLLIN)) handle_signals();
    if (p_.rule_watch && (fds[2].revents & POLLIN) && p_.rule_watch->changed()) {
      reload_due_ = mono_now() + kReloadQuiet;
    }
    if (stop_requested_) break;

    handle_link_events();
    if (http_) http_->take_results(mono_now());
    // Take everything that is there, in batches; batches grow with load.
    bool more = true;
    while (more && !stop_requested_) {
      now = mono_now();
      if (p_.service) p_.service->on_loop(now, p_.metrics);  // every turn, and every batch of a busy one
      if (now < commit_retry_at_) break;
      more = process_journal(kBatchRecords);
      bool http_done = http_ && http_->has_results();
      // A full disk: the records that do not fit wait in the journal, and
      // the batch may commit only the drain (acknowledged rows' deletes).
      const size_t take = p_.disk && !batch_.empty() ? p_.disk->admit(batch_.records(), now) : batch_.size();
      if (p_.disk && p_.disk->hold_intake() && !journal_paused_) check_backpressure();  // now, not after the catch-up
      if (take == 0 && !batch_.empty() && !removals_pending()) break;  // nothing fits, nothing to drain: wait
      if (!batch_.empty() || removals_pending() || !pending_.empty() || http_done) {
        if (auto s = commit_batch(take); !s.ok()) {
          if (s.code() == StatusCode::corrupt) {
            // The restart moves the file aside and starts a fresh one; the
            // journal still holds every record not committed.
            p_.log->critical("outbox: the database is corrupt ({}); exiting so the restart can recover", s.message());
            exit_code_ = 1;
            stop_requested_ = true;
            break;
          }
          commit_failed(s, now);
          break;
        }
      }
      pump_forwarders();
      if (http_) http_->pump(mono_now(), wall_ms());
      handle_link_events();  // acks that arrived meanwhile ride the next batch
      if (p_.status) p_.status->on_loop(p_.outbox, rule_engine_.get());  // a long catch-up is not a stall
    }
    run_timers(mono_now());
    if (p_.status) p_.status->on_loop(p_.outbox, rule_engine_.get());
  }
  shutdown();
  return exit_code_;
}

void EngineLoop::handle_signals() {
  signalfd_siginfo info{};
  while (::read(p_.signal_fd, &info, sizeof info) == sizeof info) {
    if (info.ssi_signo == SIGHUP) {
      reload_rules("SIGHUP");
    } else {
      p_.log->info("{}: stopping", info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
      stop_requested_ = true;
    }
  }
}

void EngineLoop::handle_link_events() {
  p_.events.take_all(link_events_);
  for (const auto& ev : link_events_) {
    Link link = std::visit([](const auto& e) { return e.link; }, ev);
    if (LinkState* ls = state_of(link)) on_link_event(*ls, ev);
  }
}

void EngineLoop::on_link_event(LinkState& ls, const LinkEvent& ev) {
  Link link = ls.link.link();
  int li = static_cast<int>(link);
  auto name = link_name(link);
  if (const auto* e = std::get_if<Delivered>(&ev)) {
    int64_t created_ms = 0;
    if (ls.forwarder.on_acked(e->seq, created_ms)) {
      removes_[li].push_back(e->seq);
      if (link == Link::upstream) p_.metrics.delivery_latency.observe(wall_ms() - created_ms);
    }
  } else if (const auto* e = std::get_if<DeliveryFailed>(&ev)) {
    if (refused_for_good(e->reason_code) && ls.forwarder.on_refused(e->seq, "the broker refused it: " + e->reason)) {
      return;  // a poison row: to the dead letters, the queue goes on
    }
    p_.log->debug("{} link: delivery of row {} failed: {}", name, e->seq, e->reason);
    ls.forwarder.on_failed(e->seq);
    // Refused while still connected: pause the resend, never spin on it.
    if (ls.phase == LinkState::Phase::connected) ls.resend_at = mono_now() + kFailedDeliveryPause;
  } else if (const auto* e = std::get_if<Connected>(&ev)) {
    if (ls.phase == LinkState::Phase::paused) {  // a late connect while we hold the link down: drop it
      ls.link.disconnect(Duration::zero());
      return;
    }
    ls.phase = LinkState::Phase::connected;
    ls.backoff.reset();
    ls.failures = 0;
    ls.was_connected = true;
    ls.tls_log.reset();
    if (p_.status) p_.status->note_tls_error(link, "");
    p_.metrics.connected[li] = true;
    p_.log->info("{} link: connected to {} (session {})", name, ls.link.settings().server_uri,
                 e->session_present ? "present" : "new");
    ls.link.publish_status(opt_.status_online);
    if (!e->session_present || !ls.ever_subscribed) {
      if (auto s = ls.link.subscribe(ls.subs); !s.ok()) p_.log->error("{}", s.message());
    }
    // A session the broker kept holds our subscriptions: they are in place
    // now, and events flow before the SUBACK, which can come minutes later
    // behind a large backlog (docs/reliability.md, "Power cuts"). Waiting for
    // it held READY=1 past systemd's start timeout.
    if (link == Link::local && e->session_present) p_.metrics.local_subscribed = true;
    if (link == Link::upstream) gateway_event("upstream_up");
    ls.forwarder.limit_window(static_cast<size_t>(e->receive_maximum));
    ls.forwarder.limit_packet_size(e->maximum_packet_size);
    ls.forwarder.on_connected(e->session_present, wall_ms());
  } else if (const auto* e = std::get_if<Subscribed>(&ev)) {
    if (e->ok) {
      if (!ls.ever_subscribed) p_.log->info("{} link: subscribed to {} filter(s)", name, ls.subs.size());
      ls.ever_subscribed = true;
      if (link == Link::local) p_.metrics.local_subscribed = true;
    } else {
      p_.log->error("{} link: subscribe failed: {}", name, e->detail);
    }
  } else if (const auto* e = std::get_if<ConnectFailed>(&ev)) {
    if (ls.phase != LinkState::Phase::connecting) return;
    ls.phase = LinkState::Phase::idle;
    Duration delay = ls.backoff.next();
    ls.next_attempt = mono_now() + delay;
    if (ls.failures++ == 0 || ls.was_connected) {
      p_.log->warn("{} link: cannot connect to {}: {}; retrying with backoff", name, ls.link.settings().server_uri,
                   e->reason);
      ls.was_connected = false;
    } else {
      p_.log->debug("{} link: connect failed again: {}", name, e->reason);
    }
    ls.link.probe_tls();  // Paho's reason is "-1" for every TLS refusal: ask OpenSSL (a TlsProbed follows)
  } else if (const auto* e = std::get_if<TlsProbed>(&ev)) {
    on_tls_probed(ls, e->result);
  } else if (const auto* e = std::get_if<ConnectionLost>(&ev)) {
    if (ls.phase != LinkState::Phase::connected) return;
    ls.phase = LinkState::Phase::idle;
    ls.forwarder.on_disconnected();
    p_.metrics.connected[li] = false;
    if (link == Link::local) p_.metrics.local_subscribed = false;
    Metrics::add(p_.metrics.reconnects[li]);
    ls.next_attempt = mono_now() + ls.backoff.next();
    p_.log->warn("{} link: disconnected: {}", name, e->reason);
    if (link == Link::upstream) gateway_event("upstream_down");
  }
}

void EngineLoop::on_tls_probed(LinkState& ls, const TlsProbeResult& r) {
  // A probe that ends after the link connected describes a failure that has gone.
  if (ls.phase == LinkState::Phase::connected) return;
  const Link link = ls.link.link();
  if (p_.status) p_.status->note_tls_error(link, r.reason);
  if (r.outcome == TlsProbeOutcome::ok) {
    p_.log->debug("{} link: the TLS handshake alone succeeds: the connect failed after it", link_name(link));
    return;
  }
  if (!ls.tls_log.should_log(r.reason, mono_now())) return;
  // A refused certificate needs an operator; a broker away heals on its own.
  const auto level = r.outcome == TlsProbeOutcome::verify ? spdlog::level::err : spdlog::level::warn;
  p_.log->log(level, "{} link: TLS connect to {} failed: {}", link_name(link), ls.link.settings().server_uri,
              r.reason);
}

bool EngineLoop::process_journal(size_t max_records) {
  // A batch whose commit failed or was deferred is committed again as it
  // is, before anything newer: the batch reads only once it is empty.
  Status read = batch_.fill(max_records, opt_.batch_bytes);
  if (!read.ok()) {
    p_.log->error("journal: {}", read.message());
    return false;
  }
  // Stopped at max_records or max_bytes: the eventfd was already drained,
  // so ask the journal whether anything is left rather than wait for a wake.
  return !batch_.empty() && !p_.journal.caught_up();
}

// What the pipeline produces for one record, into the open batch: route rows
// stamped with the receive time (the delivery latency counts from there),
// rule decisions with the batch's time.
class EngineLoop::BatchEffects final : public EventPipeline::Effects {
 public:
  BatchEffects(EngineLoop& loop, int64_t now_ms, int64_t received_ms, BatchTally& tally)
      : loop_(loop), now_ms_(now_ms), received_ms_(received_ms > 0 ? received_ms : now_ms), tally_(tally) {}
  Status route(rules::Enqueue& row) override { return loop_.append_enqueue(row, received_ms_, tally_); }
  Status decide(rules::TimedDecision& d) override { return loop_.execute(d, now_ms_, tally_); }

 private:
  EngineLoop& loop_;
  int64_t now_ms_, received_ms_;
  BatchTally& tally_;
};

void EngineLoop::use_engine(std::unique_ptr<rules::Engine> engine) {
  rule_engine_ = std::move(engine);
  engine_ref_ = std::make_unique<EngineRef>(*rule_engine_, opt_.gateway_id);
  pipeline_.set_rules(engine_ref_.get());
  restore_rule_states();
}

// One journal record through the event pipeline. The record is left whole
// (its strings are lent to the Event and given back), so a batch whose
// commit fails can be committed again.
Status EngineLoop::route_record(JournalRecord& rec, int64_t now_ms, BatchTally& tally) {
  Event ev;
  ev.topic = std::move(rec.topic);
  ev.payload = std::move(rec.payload);
  ev.qos = rec.qos;
  ev.retained = rec.retain;
  ev.link = rec.link;
  ev.received_at = from_unix_ms(rec.received_ms);
  ev.journal_seq = rec.seq;
  Status status;
  if (p_.status && p_.status->note_topic(ev.topic)) status = p_.outbox.put_state(kHaSeenState, "true", now_ms);
  if (status.ok()) {
    BatchEffects fx(*this, now_ms, rec.received_ms, tally);
    rules::Routes::Outcome routed;
    status = pipeline_.run(ev, from_unix_ms(now_ms), fx, &routed);
    if (routed.bad_topics > 0) {
      tally.bad_topics += static_cast<uint64_t>(routed.bad_topics);
      tally.bad_topic_example = "'" + ev.topic + "': " + routed.last_error;
    }
  }
  rec.topic = std::move(ev.topic);
  rec.payload = std::move(ev.payload);
  return status;
}

Status EngineLoop::append_enqueue(rules::Enqueue& q, int64_t now_ms, BatchTally& tally) {
  bool up = link_up(q.link);
  OutboxRow row;
  row.link = q.link;
  row.topic = std::move(q.topic);
  row.payload = std::move(q.payload);
  row.qos = q.qos;
  row.retain = q.retain;
  row.priority = q.priority;
  row.latest_only = q.latest_only;
  row.replayed = !up;
  row.created_ms = now_ms;
  auto r = p_.outbox.append(std::move(row), q.latest_only && !up);
  if (!r.ok()) return r.status();
  if (r->stored) ++tally.appended[static_cast<int>(q.link)];
  else ++tally.rejected;
  tally.dropped += r->dropped_oldest;
  tally.replaced += r->replaced;
  return Status();
}

// Carries out one rule decision inside the current transaction. The pipeline
// has already applied a `set` to the lookups.
Status EngineLoop::execute(rules::TimedDecision& d, int64_t now_ms, BatchTally& tally) {
  return std::visit(
      Overloaded{
          [&](rules::Publish& pub) { return append_enqueue(pub.msg, now_ms, tally); },
          [&](rules::SetState& set) { return p_.outbox.put_state(set.name, set.value.to_json(), now_ms); },
          [&](rules::LogLine& line) {
            p_.log->log(spdlog::level::from_str(line.level), "rule {}: {}", line.rule, line.message);
            return Status();
          },
          [&](rules::HttpCall& call) {
            if (http_) return http_->enqueue(call, now_ms);
            ++tally.http_skipped;  // no webhook worker (not in the daemon)
            return Status();
          },
      },
      d.decision);
}

void EngineLoop::gateway_event(std::string_view name) {
  if (!rule_engine_) return;
  auto now = TimePoint(std::chrono::system_clock::now().time_since_epoch());
  rule_engine_->on_gateway_event(name, parser_, lookups_, opt_.gateway_id, now, pending_);
  rule_engine_->on_tick(now, parser_, lookups_, opt_.gateway_id, pending_);  // schedules every/cron
  p_.wake.notify();
}

void EngineLoop::reload_rules(std::string_view cause) {
  reload_due_.reset();
  if (!p_.reload_rules) return;
  auto rules = p_.reload_rules();
  if (!rules) {
    p_.log->error("{}: the rule files have errors; the old rules stay in force", cause);
    return;
  }
  if (rule_engine_) {
    rule_engine_->replace_rules(rules);
  } else if (!rules->rules().empty()) {
    use_engine(std::make_unique<rules::Engine>(rules));
  }
  p_.log->info("{}: {} rule(s) loaded", cause, rules->rules().size());
  if (!p_.plan_subscriptions) return;
  for (LinkState* ls : {local_.get(), upstream_.get()}) {
    if (!ls) continue;
    auto subs = p_.plan_subscriptions(ls->link.link(), rules.get());
    bool changed = subs.size() != ls->subs.size();
    for (size_t i = 0; !changed && i < subs.size(); ++i) changed = subs[i].filter != ls->subs[i].filter;
    ls->subs = std::move(subs);
    if (changed && ls->phase == LinkState::Phase::connected) {
      if (auto s = ls->link.subscribe(ls->subs); !s.ok()) p_.log->error("{}", s.message());
    }
  }
}

// The Pi has no real-time clock: it may boot in the past and be stepped
// forward by NTP, or be corrected backwards. Rows created by this process
// and rule timers move with the step, so buffer.max_age counts real time
// (design.md, Delivery) and a `delay: 2m` stays two minutes.
void EngineLoop::watch_clock() {
  const int64_t wall = wall_ms();
  const MonoTime mono = mono_now();
  const int64_t expected =
      clock_wall_ms_ + std::chrono::duration_cast<std::chrono::milliseconds>(mono - clock_mono_).count();
  clock_wall_ms_ = wall;
  clock_mono_ = mono;
  const int64_t delta = wall - expected;
  if (delta < kClockStepMs && delta > -kClockStepMs) return;
  auto moved = p_.outbox.shift_created(era_start_ms_, expected, delta);
  p_.log->warn("system clock stepped by {:+.1f} s; {} row(s) and the rule timers keep their real age", delta / 1000.0,
               moved.ok() ? *moved : 0);
  if (!moved.ok()) p_.log->error("outbox: {}", moved.status().message());
  era_start_ms_ += delta;
  if (rule_engine_) rule_engine_->clock_jumped(std::chrono::milliseconds(delta), from_unix_ms(wall));
}

Status EngineLoop::commit_batch(size_t take) {
  auto& records = batch_.records();
  take = std::min(take, records.size());
  const bool with_records = take > 0 || records.empty();  // else only the drain
  watch_clock();  // before the batch stamps rows with the new time
  int64_t now_ms = wall_ms();
  if (auto s = p_.outbox.begin(); !s.ok()) return s;
  BatchTally tally;
  auto fail = [this](Status s) {
    p_.outbox.rollback();
    return s;
  };
  if (with_records) {  // timers, gateway and silence triggers, kept until their batch commits
    BatchEffects fx(*this, now_ms, now_ms, tally);
    if (auto s = pipeline_.carry_out(pending_, fx); !s.ok()) return fail(s);
  }
  for (size_t i = 0; i < take; ++i) {
    if (auto s = route_record(records[i], now_ms, tally); !s.ok()) return fail(s);
  }
  for (int li = 0; li < 2; ++li) {
    for (int64_t seq : removes_[li]) {
      if (auto s = p_.outbox.remove(seq); !s.ok()) return fail(s);
    }
    if (LinkState* ls = state_of(static_cast<Link>(li)); ls && ls->forwarder.has_poisoned()) {
      for (auto& p : ls->forwarder.take_poisoned()) poisoned_[li].push_back(std::move(p));
    }
    for (const auto& p : poisoned_[li]) {
      if (auto s = p_.outbox.deadletter(p.seq, p.reason, now_ms); !s.ok()) return fail(s);
    }
  }
  if (rule_engine_) {  // the state these decisions left, in the same transaction
    for (const auto& id : rule_engine_->dirty()) {
      if (auto s = p_.outbox.put_rule_state(id, rule_engine_->save_state(id)); !s.ok()) return fail(s);
    }
  }
  if (http_) {
    if (auto s = http_->apply_results(now_ms); !s.ok()) return fail(s);
  }
  if (p_.devices) {
    if (auto s = p_.devices->save_dirty(now_ms); !s.ok()) return fail(s);
  }
  uint64_t last = take == 0 ? committed_seq_ : records[take - 1].seq;
  if (last != committed_seq_) {
    if (auto s = p_.outbox.set_journal_position(last); !s.ok()) return fail(s);
  }
  if (auto s = p_.outbox.commit(); !s.ok()) return fail(s);
  committed_seq_ = last;
  batch_committed(take);
  if (with_records) pending_.clear();
  count_committed(tally);
  if (opt_.sync_full && committed_seq_ > released_seq_) {
    // synchronous=FULL: the commit is on disk, the journal records are redundant.
    if (p_.journal.release(committed_seq_).ok()) released_seq_ = committed_seq_;
  }
  return Status();
}

// After a commit: the records taken leave the batch, the rest wait for room
// and are committed later as they are.
void EngineLoop::batch_committed(size_t take) {
  if (p_.disk) p_.disk->committed(batch_.bytes_of_first(take), take > 0);
  if (commit_failures_ > 0) {
    p_.log->info("outbox: commits succeed again, after {} failed attempt(s)", commit_failures_);
    commit_failures_ = 0;
  }
  if (p_.devices) p_.devices->committed();
  if (rule_engine_) rule_engine_->clear_dirty();
  batch_.taken(take);
  if (http_) http_->committed();
}

// One line when commits start failing and one when they succeed again
// (batch_committed), not one per retry.
void EngineLoop::commit_failed(const Status& s, MonoTime now) {
  const bool full = p_.disk && p_.disk->commit_failed();
  if (commit_failures_++ == 0) {
    p_.log->error("outbox: commit failed, retrying{}: {}", full ? " (the state_dir is full)" : "", s.message());
  }
  commit_retry_at_ = now + kCommitRetry;
}

void EngineLoop::count_committed(const BatchTally& tally) {
  for (int li = 0; li < 2; ++li) {
    Metrics::add(p_.metrics.enqueued[li], tally.appended[li]);
    Metrics::add(p_.metrics.delivered[li], removes_[li].size());
    if (LinkState* ls = state_of(static_cast<Link>(li))) ls->forwarder.on_removed(removes_[li]);
    removes_[li].clear();
    if (poisoned_[li].empty()) continue;
    Metrics::add(p_.metrics.deadlettered[li], poisoned_[li].size());
    std::vector<int64_t> seqs;
    for (const auto& p : poisoned_[li]) {
      seqs.push_back(p.seq);
      p_.log->error("{} link: row {} moved to the dead letters: {} (see `edgegw deadletters list`)",
                    link_name(static_cast<Link>(li)), p.seq, p.reason);
    }
    if (LinkState* ls = state_of(static_cast<Link>(li))) ls->forwarder.on_removed(seqs);
    poisoned_[li].clear();
  }
  Metrics::add(p_.metrics.rejected_full, tally.rejected);
  Metrics::add(p_.metrics.dropped_full, tally.dropped);
  Metrics::add(p_.metrics.replaced_latest, tally.replaced);
  if (tally.http_skipped > 0 && mono_now() >= next_http_warn_) {
    next_http_warn_ = mono_now() + kWarnEvery;
    p_.log->warn("rules: {} http action(s) not executed: the daemon does not run webhooks yet", tally.http_skipped);
  }
  if (tally.bad_topics > 0) {
    Metrics::add(p_.metrics.bad_topic, tally.bad_topics);
    MonoTime now = mono_now();
    if (now >= next_bad_topic_warn_) {
      next_bad_topic_warn_ = now + kWarnEvery;
      p_.log->warn("route: skipped a message from {} (counted; repeats are logged once a minute)",
                   tally.bad_topic_example);
    }
  }
}

void EngineLoop::pump_forwarders() {
  for (LinkState* ls : {local_.get(), upstream_.get()}) {
    if (!ls || ls->phase != LinkState::Phase::connected || mono_now() < ls->resend_at) continue;
    if (auto s = ls->forwarder.pump(); !s.ok()) p_.log->error("outbox: {}", s.message());
    if (ls->forwarder.has_poisoned()) p_.wake.notify();  // the next turn moves them to the dead letters
  }
}

void EngineLoop::drive_link(LinkState& ls, MonoTime now) {
  if (ls.phase != LinkState::Phase::idle || now < ls.next_attempt) return;
  if (auto s = ls.link.connect(); !s.ok()) {
    p_.log->warn("{}", s.message());
    ls.next_attempt = now + ls.backoff.next();
    return;
  }
  ls.phase = LinkState::Phase::connecting;
}

void EngineLoop::run_timers(MonoTime now) {
  watch_clock();
  check_backpressure();
  if (reload_due_ && now >= *reload_due_) reload_rules("rule files changed");
  if (p_.devices) run_device_timers(now);
  if (rule_engine_) {
    auto wall = TimePoint(std::chrono::system_clock::now().time_since_epoch());
    if (auto due = rule_engine_->next_due(); due && *due <= wall) {
      rule_engine_->on_tick(wall, parser_, lookups_, opt_.gateway_id, pending_);
    }
    if (!pending_.empty() && now >= commit_retry_at_) {
      const size_t take = p_.disk && !batch_.empty() ? p_.disk->admit(batch_.records(), now) : batch_.size();
      if (auto s = commit_batch(take); !s.ok()) commit_failed(s, now);
      pump_forwarders();
    }
  }
  drive_link(*local_, now);
  if (upstream_) drive_link(*upstream_, now);

  if (now >= next_checkpoint_) {
    next_checkpoint_ = now + kCheckpointEvery;
    // `edgegw buffer purge` may have changed the rows from its own process.
    if (auto s = p_.outbox.refresh_if_changed(); !s.ok()) p_.log->warn("outbox: {}", s.message());
    // Rows `deadletters retry` queued again, or resends after a refusal,
    // go out even when no new event wakes the loop.
    pump_forwarders();
    if (committed_seq_ > released_seq_) {
      // synchronous=NORMAL: the commit is durable against power loss only
      // after a checkpoint; release the journal behind it then.
      release_if_durable(/*wait=*/false);
    }
    log_backlog();
  }
  if (http_) http_->pump(now, wall_ms());  // retries that came due, breakers that reopen
  if (now >= next_expiry_) {
    next_expiry_ = now + kExpiryEvery;
    auto r = p_.outbox.expire(wall_ms());
    if (r.ok() && *r > 0) {
      Metrics::add(p_.metrics.expired, *r);
      p_.log->warn("outbox: {} row(s) older than buffer.max_age expired", *r);
    }
  }
}

void EngineLoop::release_if_durable(bool wait) {
  // Only a checkpoint that copied a commit makes it durable (a reader, such
  // as `edgegw buffer list`, can hold one back); until then the journal
  // segments behind it stay. On the tick the outbox's checkpoint thread has
  // done that work (wal_checkpointer.h); at shutdown, `wait` does it here.
  auto durable = p_.outbox.durable_journal_position(wait);
  if (!durable.ok()) {  // once per reason: on a full disk it fails every second
    if (checkpoint_log_.should_log(durable.status().message(), mono_now())) {
      p_.log->warn("outbox: checkpoint: {}", durable.status().message());
    }
    return;
  }
  checkpoint_log_.reset();
  uint64_t upto = std::min(*durable, committed_seq_);
  if (upto > released_seq_ && p_.journal.release(upto).ok()) released_seq_ = upto;
}

void EngineLoop::check_backpressure() {
  MonoTime now = mono_now();
  if (p_.disk) p_.disk->maintain(now);
  const bool disk_low = p_.disk && p_.disk->hold_intake();
  uint64_t backlog = p_.journal.backlog_bytes();
  bool over = backlog > opt_.journal_max;
  bool under_half = backlog < opt_.journal_max / 2;
  LinkState& ls = *local_;
  if (!journal_paused_ && (over || disk_low)) {
    journal_paused_ = true;
    p_.metrics.ingress_paused = true;
    p_.log->warn("local link: holding it down ({}); the broker queues for our session",
                 disk_low ? "state_dir is low on space" : "the journal is over buffer.journal_max");
    // At once: a broker replaying its queue keeps sending while a clean
    // disconnect waits for in-flight transfers, and each message is journal.
    ls.link.disconnect(Duration::zero());
    ls.forwarder.on_disconnected();
    ls.phase = LinkState::Phase::paused;
    p_.metrics.connected[0] = false;
    p_.metrics.local_subscribed = false;
  } else if (journal_paused_ && under_half && !disk_low) {
    journal_paused_ = false;
    p_.metrics.ingress_paused = false;
    p_.log->info("local link: resuming intake");
    ls.phase = LinkState::Phase::idle;
    ls.next_attempt = now;
  }
}

void EngineLoop::log_backlog() {
  if (!upstream_) return;
  // State changes only: each power of ten from 1,000 up, 80 % of
  // max_messages, and the return to empty.
  uint64_t depth = p_.outbox.stats(Link::upstream).messages;
  if (p_.service) p_.service->set_backlog(depth);
  uint64_t level = 0;
  for (uint64_t t = 1000; t <= depth; t *= 10) level = t;
  if (level > backlog_logged_level_) {
    p_.log->info("outbox: upstream backlog passed {} rows", level);
  }
  backlog_logged_level_ = std::max(backlog_logged_level_, level);
  bool high = depth * 10 >= opt_.max_messages * 8;
  if (high && !backlog_high_) p_.log->warn("outbox: upstream backlog {} rows is over 80% of buffer.max_messages", depth);
  backlog_high_ = high;
  if (depth == 0 && backlog_logged_level_ > 0) {
    p_.log->info("outbox: upstream backlog drained");
    backlog_logged_level_ = 0;
  }
}

MonoTime EngineLoop::next_deadline(MonoTime now) const {
  MonoTime d = std::min(next_checkpoint_, next_expiry_);
  for (const LinkState* ls : {local_.get(), upstream_.get()}) {
    if (ls && ls->phase == LinkState::Phase::idle) d = std::min(d, ls->next_attempt);
  }
  if (commit_retry_at_ > now) d = std::min(d, commit_retry_at_);
  if (reload_due_) d = std::min(d, *reload_due_);
  if (p_.service) d = std::min(d, p_.service->next_due());
  if (rule_engine_) {
    if (auto due = rule_engine_->next_due()) {
      auto wall = TimePoint(std::chrono::system_clock::now().time_since_epoch());
      d = std::min(d, now + std::max(Duration::zero(), *due - wall));
    }
  }
  for (const LinkState* ls : {local_.get(), upstream_.get()}) {
    if (ls && ls->resend_at > now) d = std::min(d, ls->resend_at);
  }
  if (auto h = http_ ? http_->next_deadline(now, wall_ms()) : std::nullopt) d = std::min(d, *h);
  if (auto due = device_deadline(now)) d = std::min(d, *due);
  return std::max(d, now);
}

void EngineLoop::shutdown() {
  // Stop intake first, then commit what the journal holds. "Flush" means
  // commit to disk, not deliver: the upstream may be down.
  if (local_->phase == LinkState::Phase::connected) local_->link.publish_status("{\"state\":\"offline\"}");
  if (local_->phase == LinkState::Phase::connected || local_->phase == LinkState::Phase::connecting) {
    local_->link.disconnect(kShutdownLinkTimeout);
  }
  handle_link_events();
  if (http_) http_->take_results(mono_now());  // answered calls leave the queue now, not after the restart
  for (int i = 0; i < 1000; ++i) {
    bool more = process_journal(kBatchRecords);
    bool http_done = http_ && http_->has_results();
    if (batch_.empty() && !removals_pending() && !http_done) break;
    if (auto s = commit_batch(); !s.ok()) {
      p_.log->error("outbox: final commit failed: {}; the journal keeps the records for the next start", s.message());
      break;
    }
    if (!more) break;
  }
  if (upstream_ && upstream_->phase == LinkState::Phase::connected) {
    upstream_->link.publish_status("{\"state\":\"offline\"}");
    upstream_->link.disconnect(kShutdownLinkTimeout);
  }
  if (committed_seq_ > released_seq_) release_if_durable(/*wait=*/true);
  p_.log->info("stopped: journal committed up to record {}", committed_seq_);
}

}  // namespace edgegw::gateway
