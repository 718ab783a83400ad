// EngineLoop's batch: one SQLite transaction holds the outbox rows the
// batch's records and timers produced, the acknowledged and poisoned rows'
// removal (each Forwarder writes its own), the rule and device state they
// left, and the journal position reached.
#include "core/overloaded.h"
#include "gateway/disk/disk_guard.h"
#include "gateway/engine/engine_loop.h"

namespace edgegw::gateway {
namespace {
constexpr auto kWarnEvery = std::chrono::seconds(60);  // repeated warnings, at most this often
}  // namespace

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

Status EngineLoop::commit_batch(size_t take) {
  auto& records = batch_.records();
  take = std::min(take, records.size());
  const bool with_records = take > 0 || records.empty();  // else only the drain
  watch_clock();                                          // before the batch stamps rows with the new time
  int64_t now_ms = wall_ms();
  if (auto s = p_.outbox.begin(); !s.ok()) return s;
  BatchTally tally;
  if (auto s = write_batch(take, now_ms, tally); !s.ok()) {
    p_.outbox.rollback();
    return s;
  }
  uint64_t last = take == 0 ? committed_seq_ : records[take - 1].seq;
  Status s = last != committed_seq_ ? p_.outbox.set_journal_position(last) : Status();
  if (s.ok()) s = p_.outbox.commit();
  if (!s.ok()) {
    p_.outbox.rollback();
    return s;
  }
  committed_seq_ = last;
  pacer_.committed(take);
  batch_committed(take);
  if (with_records) pending_.clear();
  count_committed(tally);
  if (opt_.sync_full && committed_seq_ > released_seq_) {
    // synchronous=FULL: the commit is on disk, the journal records are redundant.
    if (p_.journal.release(committed_seq_).ok()) released_seq_ = committed_seq_;
  }
  return Status();
}

// Everything the batch writes, inside the open transaction.
Status EngineLoop::write_batch(size_t take, int64_t now_ms, BatchTally& tally) {
  auto& records = batch_.records();
  if (take > 0 || records.empty()) {  // timers, gateway and silence triggers, kept until their batch commits
    BatchEffects fx(*this, now_ms, now_ms, tally);
    if (auto s = pipeline_.carry_out(pending_, fx); !s.ok()) return s;
  }
  for (size_t i = 0; i < take; ++i) {
    if (auto s = route_record(records[i], now_ms, tally); !s.ok()) return s;
  }
  for (auto& f : forwarders_) {
    if (!f) continue;
    if (auto s = f->write_removals(now_ms); !s.ok()) return s;
  }
  if (rules::Engine* engine = rules_.engine()) {  // the state these decisions left, in the same transaction
    for (const auto& id : engine->dirty()) {
      if (auto s = p_.outbox.put_rule_state(id, engine->save_state(id)); !s.ok()) return s;
    }
  }
  if (http_) {
    if (auto s = http_->apply_results(now_ms); !s.ok()) return s;
  }
  if (p_.devices) return p_.devices->save_dirty(now_ms);
  return Status();
}

bool EngineLoop::commit_or_stop(size_t take, MonoTime now) {
  auto s = commit_batch(take);
  if (s.ok()) return true;
  if (s.code() == StatusCode::corrupt) {
    // The restart moves the file aside and starts a fresh one; the
    // journal still holds every record not committed.
    p_.log->critical("outbox: the database is corrupt ({}); exiting so the restart can recover", s.message());
    exit_code_ = 1;
    stop_requested_ = true;
    return false;
  }
  commit_failed(s, now);
  return false;
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
  if (rules::Engine* engine = rules_.engine()) engine->clear_dirty();
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
  timers_.commit_failed(now);
}

// The forwarders' rows that this commit removed: delivered, or dead letters.
void EngineLoop::count_removed() {
  for (int li = 0; li < 2; ++li) {
    if (!forwarders_[li]) continue;
    auto removed = forwarders_[li]->committed();
    Metrics::add(p_.metrics.delivered[li], removed.delivered.size());
    pacer_.committed(removed.delivered.size() + removed.deadlettered.size());
    if (removed.deadlettered.empty()) continue;
    Metrics::add(p_.metrics.deadlettered[li], removed.deadlettered.size());
    for (const auto& p : removed.deadlettered) {
      p_.log->error("{} link: row {} moved to the dead letters: {} (see `edgegw deadletters list`)",
                    link_name(static_cast<Link>(li)), p.seq, p.reason);
    }
  }
}

void EngineLoop::count_committed(const BatchTally& tally) {
  for (int li = 0; li < 2; ++li) Metrics::add(p_.metrics.enqueued[li], tally.appended[li]);
  count_removed();
  Metrics::add(p_.metrics.rejected_full, tally.rejected);
  Metrics::add(p_.metrics.dropped_full, tally.dropped);
  Metrics::add(p_.metrics.replaced_latest, tally.replaced);
  const MonoTime now = p_.clock.mono();
  if (tally.http_skipped > 0 && now >= next_http_warn_) {
    next_http_warn_ = now + kWarnEvery;
    p_.log->warn("rules: {} http action(s) not executed: the daemon does not run webhooks yet", tally.http_skipped);
  }
  if (tally.bad_topics > 0) {
    Metrics::add(p_.metrics.bad_topic, tally.bad_topics);
    if (now >= next_bad_topic_warn_) {
      next_bad_topic_warn_ = now + kWarnEvery;
      p_.log->warn("route: skipped a message from {} (counted; repeats are logged once a minute)",
                   tally.bad_topic_example);
    }
  }
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
  const auto& link = links_[static_cast<int>(q.link)];
  const bool up = link && link->connected();
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
  if (r->stored)
    ++tally.appended[static_cast<int>(q.link)];
  else
    ++tally.rejected;
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
          [&](rules::RuleNote& note) {
            note_log_.log(note, p_.clock.mono());
            return Status();
          },
      },
      d.decision);
}

}  // namespace edgegw::gateway
