#include "gateway/engine/engine_loop.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>

#include "gateway/disk/disk_guard.h"
#include "gateway/observe/service_notifier.h"

namespace edgegw::gateway {
namespace {

constexpr size_t kBatchRecords = 2048;
constexpr auto kShutdownLinkTimeout = std::chrono::seconds(1);
constexpr auto kOffline = "{\"state\":\"offline\"}";

LinkSupervisor::Options link_options(Duration min, Duration max, std::vector<Subscription> subs,
                                     const std::string& online) {
  return {min, max, std::move(subs), online};
}

}  // namespace

EngineLoop::EngineLoop(EngineParts parts, EngineOptions options)
    : p_(std::move(parts)),
      opt_(std::move(options)),
      batch_(p_.journal),
      pipeline_(p_.routes, lookups_, parser_, opt_.gateway_id),
      rules_(p_.outbox, pipeline_, opt_.gateway_id, p_.log, p_.reload_rules),
      note_log_(p_.log),
      clock_watch_(p_.clock),
      backlog_log_(p_.log, opt_.max_messages) {
  pipeline_.set_devices(p_.devices);
  auto make_link = [&](LinkPort& l, size_t max_inflight, LinkSupervisor::Options o) {
    const int li = static_cast<int>(l.link());
    forwarders_[li] = std::make_unique<Forwarder>(l.link(), p_.outbox, l, max_inflight);
    links_[li] = std::make_unique<LinkSupervisor>(
        LinkSupervisor::Parts{l.link(), l.server_uri(), l, *forwarders_[li], p_.clock, p_.metrics, p_.log, p_.status,
                              [this](std::string_view name) { gateway_event(name); }},
        std::move(o));
  };
  make_link(
      p_.local, opt_.local_max_inflight,
      link_options(opt_.local_reconnect_min, opt_.local_reconnect_max, opt_.local_subscriptions, opt_.status_online));
  if (p_.upstream) {
    make_link(*p_.upstream, opt_.upstream_max_inflight,
              link_options(opt_.upstream_reconnect_min, opt_.upstream_reconnect_max, opt_.upstream_subscriptions,
                           opt_.status_online));
  }
  intake_ = std::make_unique<IntakeGuard>(*links_[static_cast<int>(Link::local)], p_.metrics, p_.log, opt_.journal_max);
  committed_seq_ = p_.outbox.journal_position();
  released_seq_ = committed_seq_;
  rules_.start(p_.rules);
  if (p_.http) {
    http_ = std::make_unique<HttpDispatch>(p_.outbox, *p_.http, p_.metrics, p_.log, http_dispatch_options_from_env());
  }
  std::vector<std::pair<std::string, std::string>> state;
  if (auto s = p_.outbox.load_state(state); !s.ok()) p_.log->error("state: {}", s.message());
  for (const auto& [name, json] : state) lookups_.set_state(name, rules::Payload(json, parser_).get({}));
}

EngineLoop::~EngineLoop() = default;

void EngineLoop::stop() {
  stop_requested_ = true;
  p_.wake.notify();
}

bool EngineLoop::removals_pending() const {
  for (const auto& f : forwarders_) {
    if (f && f->removals_pending()) return true;
  }
  return false;
}

size_t EngineLoop::admit(MonoTime now) {
  return p_.disk && !batch_.empty() ? p_.disk->admit(batch_.records(), now) : batch_.size();
}

int EngineLoop::run() {
  start();
  while (!stop_requested_) {
    wait_for_work();
    if (stop_requested_) break;
    run_once();
  }
  shutdown();
  return exit_code_;
}

void EngineLoop::start() {
  if (started_) return;
  started_ = true;
  const MonoTime now = p_.clock.mono();
  timers_.start(now);
  if (p_.disk) p_.disk->start(now);
  gateway_event("started");
}

void EngineLoop::run_once() {
  handle_link_events();
  if (http_) http_->take_results(p_.clock.mono());
  take_journal();
  pacer_.turn_done(p_.clock.mono());
  run_timers(p_.clock.mono());
  if (p_.status) p_.status->on_loop(p_.outbox, rules_.engine());
}

// Sleeps until an fd is ready or the next deadline (at most a second).
void EngineLoop::wait_for_work() {
  if (Duration d = pacer_.wait(p_.clock.mono()); d > Duration::zero()) gather(d);
  const MonoTime now = p_.clock.mono();
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline(now) - now);
  pollfd fds[3] = {{p_.wake.fd(), POLLIN, 0},
                   {p_.signal_fd, POLLIN, 0},
                   {p_.rule_watch ? p_.rule_watch->fd() : -1, POLLIN, 0}};  // poll skips fd -1
  int timeout_ms = static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 1000));
  ::poll(fds, 3, timeout_ms);
  p_.wake.drain();
  if (p_.signal_fd >= 0 && (fds[1].revents & POLLIN)) handle_signals();
  if (p_.rule_watch && (fds[2].revents & POLLIN) && p_.rule_watch->changed()) timers_.files_changed(p_.clock.mono());
}

// After a turn that moved a stream's worth of rows, the next ones gather
// for a moment (batch_pacer.h). Only a signal cuts the wait short; the
// poll after it handles the signal.
void EngineLoop::gather(Duration d) {
  pollfd fd{p_.signal_fd, POLLIN, 0};
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  ::ppoll(&fd, 1, &ts, nullptr);
}

// Takes everything that is there, in batches; batches grow with load.
void EngineLoop::take_journal() {
  bool more = true;
  while (more && !stop_requested_) {
    const MonoTime now = p_.clock.mono();
    if (p_.service) p_.service->on_loop(now, p_.metrics);  // every turn, and every batch of a busy one
    if (timers_.commit_held(now)) break;
    more = process_journal(kBatchRecords);
    bool http_done = http_ && http_->has_results();
    // A full disk: the records that do not fit wait in the journal, and
    // the batch may commit only the drain (acknowledged rows' deletes).
    const size_t take = admit(now);
    if (p_.disk && p_.disk->hold_intake() && !intake_->paused()) check_backpressure();  // now, not after the catch-up
    if (take == 0 && !batch_.empty() && !removals_pending()) break;  // nothing fits, nothing to drain: wait
    if (!batch_.empty() || removals_pending() || !pending_.empty() || http_done) {
      if (!commit_or_stop(take, now)) break;
    }
    pump_forwarders();
    if (http_) http_->pump(p_.clock.mono(), wall_ms());
    handle_link_events();                                           // acks that arrived meanwhile ride the next batch
    if (p_.status) p_.status->on_loop(p_.outbox, rules_.engine());  // a long catch-up is not a stall
  }
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
    if (auto& ls = links_[static_cast<int>(link)]) ls->on_event(ev);
  }
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

void EngineLoop::gateway_event(std::string_view name) {
  rules::Engine* engine = rules_.engine();
  if (!engine) return;
  const TimePoint now = p_.clock.now();
  engine->on_gateway_event(name, parser_, lookups_, opt_.gateway_id, now, pending_);
  engine->on_tick(now, parser_, lookups_, opt_.gateway_id, pending_);  // schedules every/cron
  p_.wake.notify();
}

void EngineLoop::reload_rules(std::string_view cause) {
  timers_.reloaded();
  auto rules = rules_.reload(cause);
  if (!rules) return;
  arm_rule_timers();  // new every and cron rules start now, not at the next message
  if (!p_.plan_subscriptions) return;
  for (int li = 0; li < 2; ++li) {
    if (links_[li]) links_[li]->resubscribe(p_.plan_subscriptions(static_cast<Link>(li), rules.get()));
  }
}

// Rows created by this process and rule timers move with a step of the wall
// clock (clock_watch.h).
void EngineLoop::watch_clock() {
  auto step = clock_watch_.check();
  if (!step) return;
  auto moved = p_.outbox.shift_created(step->era_start_ms, step->expected_ms, step->delta_ms);
  p_.log->warn("system clock stepped by {:+.1f} s; {} row(s) and the rule timers keep their real age",
               step->delta_ms / 1000.0, moved.ok() ? *moved : 0);
  if (!moved.ok()) p_.log->error("outbox: {}", moved.status().message());
  if (rules::Engine* engine = rules_.engine()) {
    engine->clock_jumped(std::chrono::milliseconds(step->delta_ms), from_unix_ms(step->wall_ms));
  }
  arm_rule_timers();  // every and cron from the new time on, without waiting for a message
}

// Engine::on_tick arms every `every` and `cron` rule (and runs what is due).
void EngineLoop::arm_rule_timers() {
  if (rules::Engine* engine = rules_.engine()) {
    engine->on_tick(p_.clock.now(), parser_, lookups_, opt_.gateway_id, pending_);
    if (!pending_.empty()) p_.wake.notify();  // the next turn commits what fired
  }
}

void EngineLoop::pump_forwarders() {
  for (int li = 0; li < 2; ++li) {
    if (!links_[li]) continue;
    if (auto s = links_[li]->pump(); !s.ok()) p_.log->error("outbox: {}", s.message());
    if (!forwarders_[li]->poisoned().empty()) p_.wake.notify();  // the next turn moves them to the dead letters
  }
}

void EngineLoop::run_rule_timers(MonoTime now) {
  rules::Engine* engine = rules_.engine();
  if (!engine) return;
  const TimePoint wall = p_.clock.now();
  if (auto due = engine->next_due(); due && *due <= wall) {
    engine->on_tick(wall, parser_, lookups_, opt_.gateway_id, pending_);
  }
  if (!pending_.empty() && !timers_.commit_held(now)) {
    if (auto s = commit_batch(admit(now)); !s.ok()) commit_failed(s, now);
    pump_forwarders();
  }
}

void EngineLoop::run_timers(MonoTime now) {
  watch_clock();
  check_backpressure();
  if (timers_.reload_due(now)) reload_rules("rule files changed");
  if (p_.devices) run_device_timers(now);
  run_rule_timers(now);
  for (auto& ls : links_) {
    if (ls) ls->drive();
  }
  if (timers_.checkpoint_due(now)) run_checkpoint();
  if (http_) http_->pump(now, wall_ms());  // retries that came due, breakers that reopen
  if (timers_.expiry_due(now)) {
    auto r = p_.outbox.expire(wall_ms());
    if (r.ok() && *r > 0) {
      Metrics::add(p_.metrics.expired, *r);
      p_.log->warn("outbox: {} row(s) older than buffer.max_age expired", *r);
    }
    // The kept window (gateway.journal_keep) moves on even when nothing new is committed.
    if (auto s = p_.journal.trim(); !s.ok()) p_.log->warn("journal: {}", s.message());
  }
}

void EngineLoop::run_checkpoint() {
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

void EngineLoop::release_if_durable(bool wait) {
  // Only a checkpoint that copied a commit makes it durable (a reader, such
  // as `edgegw buffer list`, can hold one back); until then the journal
  // segments behind it stay. On the tick the outbox's checkpoint thread has
  // done that work (wal_checkpointer.h); at shutdown, `wait` does it here.
  auto durable = p_.outbox.durable_journal_position(wait);
  if (!durable.ok()) {  // once per reason: on a full disk it fails every second
    if (checkpoint_log_.should_log(durable.status().message(), p_.clock.mono())) {
      p_.log->warn("outbox: checkpoint: {}", durable.status().message());
    }
    return;
  }
  checkpoint_log_.reset();
  uint64_t upto = std::min(*durable, committed_seq_);
  if (upto > released_seq_ && p_.journal.release(upto).ok()) released_seq_ = upto;
}

void EngineLoop::check_backpressure() {
  if (p_.disk) p_.disk->maintain(p_.clock.mono());
  intake_->check(p_.journal.backlog_bytes(), p_.disk && p_.disk->hold_intake());
}

void EngineLoop::log_backlog() {
  if (!links_[static_cast<int>(Link::upstream)]) return;
  const uint64_t depth = p_.outbox.stats(Link::upstream).messages;
  if (p_.service) p_.service->set_backlog(depth);
  backlog_log_.update(depth);
}

MonoTime EngineLoop::next_deadline(MonoTime now) const {
  std::optional<MonoTime> rules_due;
  if (const rules::Engine* engine = rules_.engine()) {
    if (auto due = engine->next_due()) rules_due = now + std::max(Duration::zero(), *due - p_.clock.now());
  }
  auto link_due = [&](const std::unique_ptr<LinkSupervisor>& ls) { return ls ? ls->next_deadline(now) : std::nullopt; };
  return timers_.next_deadline(
      now, {link_due(links_[0]), link_due(links_[1]), p_.service ? std::optional(p_.service->next_due()) : std::nullopt,
            rules_due, http_ ? http_->next_deadline(now, wall_ms()) : std::nullopt, device_deadline(now)});
}

void EngineLoop::shutdown() {
  // Stop intake first, then commit what the journal holds. "Flush" means
  // commit to disk, not deliver: the upstream may be down.
  links_[static_cast<int>(Link::local)]->close(kOffline, kShutdownLinkTimeout, /*cancel_connect=*/true);
  handle_link_events();
  if (http_) http_->take_results(p_.clock.mono());  // answered calls leave the queue now, not after the restart
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
  if (auto& up = links_[static_cast<int>(Link::upstream)]) up->close(kOffline, kShutdownLinkTimeout, false);
  if (committed_seq_ > released_seq_) release_if_durable(/*wait=*/true);
  p_.log->info("stopped: journal committed up to record {}", committed_seq_);
}

}  // namespace edgegw::gateway
