#include "gateway/engine/link_supervisor.h"

#include <algorithm>

#include "core/overloaded.h"
#include "gateway/observe/status_collector.h"

namespace edgegw::gateway {
namespace {

constexpr auto kFailedDeliveryPause = std::chrono::seconds(1);
constexpr auto kWarnEvery = std::chrono::seconds(60);  // repeated warnings, at most this often

// An MQTT 5 PUBACK reason code that will not change if the row is sent
// again (not authorized, topic name invalid, packet too large, payload
// format invalid, unspecified...). Quota exceeded and packet identifier in
// use are about the moment, not the row: those are sent again.
bool refused_for_good(int reason_code) { return reason_code >= 0x80 && reason_code != 0x91 && reason_code != 0x97; }

}  // namespace

LinkSupervisor::LinkSupervisor(Parts parts, Options options)
    : p_(std::move(parts)),
      opt_(std::move(options)),
      backoff_(opt_.reconnect_min, opt_.reconnect_max),
      subs_(opt_.subscriptions),
      tls_log_(kWarnEvery) {}

void LinkSupervisor::on_event(const LinkEvent& ev) {
  std::visit(Overloaded{
                 [&](const Connected& e) { on_connected(e); },
                 [&](const ConnectFailed& e) { on_connect_failed(e); },
                 [&](const ConnectionLost& e) { on_connection_lost(e); },
                 [&](const Subscribed& e) { on_subscribed(e); },
                 [&](const Unsubscribed& e) { on_unsubscribed(e); },
                 [&](const Delivered& e) { on_delivered(e); },
                 [&](const DeliveryFailed& e) { on_delivery_failed(e); },
                 [&](const TlsProbed& e) { on_tls_probed(e.result); },
             },
             ev);
}

void LinkSupervisor::on_delivered(const Delivered& e) {
  int64_t created_ms = 0;
  if (p_.forwarder.on_acked(e.seq, created_ms) && p_.link == Link::upstream) {
    p_.metrics.delivery_latency.observe(to_unix_ms(p_.clock.now()) - created_ms);
  }
}

void LinkSupervisor::on_delivery_failed(const DeliveryFailed& e) {
  if (refused_for_good(e.reason_code) && p_.forwarder.on_refused(e.seq, "the broker refused it: " + e.reason)) {
    return;  // a poison row: to the dead letters, the queue goes on
  }
  p_.log->debug("{} link: delivery of row {} failed: {}", link_name(p_.link), e.seq, e.reason);
  p_.forwarder.on_failed(e.seq);
  // Refused while still connected: pause the resend, never spin on it.
  if (phase_ == Phase::connected) resend_at_ = p_.clock.mono() + kFailedDeliveryPause;
}

void LinkSupervisor::on_connected(const Connected& e) {
  if (phase_ == Phase::paused) {  // a late connect while we hold the link down: drop it
    p_.control.disconnect(Duration::zero());
    return;
  }
  phase_ = Phase::connected;
  backoff_.reset();
  failures_ = 0;
  was_connected_ = true;
  tls_log_.reset();
  note_tls_error("");
  p_.metrics.connected[index()] = true;
  p_.log->info("{} link: connected to {} (session {})", link_name(p_.link), p_.server_uri,
               e.session_present ? "present" : "new");
  p_.control.publish_status(opt_.status_online);
  // A new session needs every filter (and its Subscribed marks the link
  // subscribed); a kept one only what changed while we were away.
  send(subs_.on_connected(e.session_present), /*subscribe_even_none=*/!e.session_present);
  // A session the broker kept holds our subscriptions: they are in place
  // now, and events flow before the SUBACK, which can come minutes later
  // behind a large backlog (docs/reliability.md, "Power cuts"). Waiting for
  // it held READY=1 past systemd's start timeout.
  if (p_.link == Link::local && e.session_present) p_.metrics.local_subscribed = true;
  if (p_.link == Link::upstream && p_.gateway_event) p_.gateway_event("upstream_up");
  p_.forwarder.limit_window(static_cast<size_t>(e.receive_maximum));
  p_.forwarder.limit_packet_size(e.maximum_packet_size);
  if (e.new_client) {
    p_.log->warn("{} link: a publish failed in its first write; a new Paho client sends the {} row(s) in flight again",
                 link_name(p_.link), p_.forwarder.inflight());
  }
  // A new client resends nothing: the rows in flight go again, as for a lost session.
  p_.forwarder.on_connected(e.session_present && !e.new_client, to_unix_ms(p_.clock.now()));
}

void LinkSupervisor::on_subscribed(const Subscribed& e) {
  if (!e.ok) {
    p_.log->error("{} link: subscribe failed: {}", link_name(p_.link), e.detail);
    subs_.subscribe_failed();  // the next connect subscribes everything again
    return;
  }
  if (!ever_subscribed_) {
    p_.log->info("{} link: subscribed to {} filter(s)", link_name(p_.link), subs_.wanted().size());
  }
  ever_subscribed_ = true;
  if (p_.link == Link::local) p_.metrics.local_subscribed = true;
}

void LinkSupervisor::on_connect_failed(const ConnectFailed& e) {
  if (phase_ != Phase::connecting) return;
  phase_ = Phase::idle;
  next_attempt_ = p_.clock.mono() + backoff_.next();
  if (failures_++ == 0 || was_connected_) {
    p_.log->warn("{} link: cannot connect to {}: {}; retrying with backoff", link_name(p_.link), p_.server_uri,
                 e.reason);
    was_connected_ = false;
  } else {
    p_.log->debug("{} link: connect failed again: {}", link_name(p_.link), e.reason);
  }
  p_.control.probe_tls();  // Paho's reason is "-1" for every TLS refusal: ask OpenSSL (a TlsProbed follows)
}

void LinkSupervisor::on_connection_lost(const ConnectionLost& e) {
  if (phase_ != Phase::connected) return;
  phase_ = Phase::idle;
  p_.forwarder.on_disconnected();
  p_.metrics.connected[index()] = false;
  if (p_.link == Link::local) p_.metrics.local_subscribed = false;
  Metrics::add(p_.metrics.reconnects[index()]);
  next_attempt_ = p_.clock.mono() + backoff_.next();
  p_.log->warn("{} link: disconnected: {}", link_name(p_.link), e.reason);
  if (p_.link == Link::upstream && p_.gateway_event) p_.gateway_event("upstream_down");
}

void LinkSupervisor::on_tls_probed(const TlsProbeResult& r) {
  // A probe that ends after the link connected describes a failure that has gone.
  if (phase_ == Phase::connected) return;
  note_tls_error(r.reason);
  if (r.outcome == TlsProbeOutcome::ok) {
    p_.log->debug("{} link: the TLS handshake alone succeeds: the connect failed after it", link_name(p_.link));
    return;
  }
  if (!tls_log_.should_log(r.reason, p_.clock.mono())) return;
  // A refused certificate needs an operator; a broker away heals on its own.
  const auto level = r.outcome == TlsProbeOutcome::verify ? spdlog::level::err : spdlog::level::warn;
  p_.log->log(level, "{} link: TLS connect to {} failed: {}", link_name(p_.link), p_.server_uri, r.reason);
}

void LinkSupervisor::note_tls_error(const std::string& reason) {
  if (p_.status) p_.status->note_tls_error(p_.link, reason);
}

void LinkSupervisor::drive() {
  const MonoTime now = p_.clock.mono();
  if (phase_ != Phase::idle || now < next_attempt_) return;
  if (auto s = p_.control.connect(); !s.ok()) {
    p_.log->warn("{}", s.message());
    next_attempt_ = now + backoff_.next();
    return;
  }
  phase_ = Phase::connecting;
}

Status LinkSupervisor::pump() {
  if (phase_ != Phase::connected || p_.clock.mono() < resend_at_) return Status();
  return p_.forwarder.pump();
}

void LinkSupervisor::pause() {
  // At once: a broker replaying its queue keeps sending while a clean
  // disconnect waits for in-flight transfers, and each message is journal.
  p_.control.disconnect(Duration::zero());
  p_.forwarder.on_disconnected();
  phase_ = Phase::paused;
  p_.metrics.connected[index()] = false;
  if (p_.link == Link::local) p_.metrics.local_subscribed = false;
}

void LinkSupervisor::resume() {
  phase_ = Phase::idle;
  next_attempt_ = p_.clock.mono();
}

void LinkSupervisor::on_unsubscribed(const Unsubscribed& e) {
  if (e.ok) {
    subs_.unsubscribed(e.filter);
    p_.log->info("{} link: unsubscribed from '{}'", link_name(p_.link), e.filter);
  } else {  // still listed: sent again at the next connect
    p_.log->warn("{} link: unsubscribe '{}' failed: {}", link_name(p_.link), e.filter, e.detail);
  }
}

void LinkSupervisor::resubscribe(std::vector<Subscription> subs) {
  subs_.want(std::move(subs));
  if (phase_ == Phase::connected) send(subs_.sync(), /*subscribe_even_none=*/false);
}

// Unsubscribes first: a filter that goes and comes back is then held.
void LinkSupervisor::send(const SessionSubscriptions::Changes& c, bool subscribe_even_none) {
  if (!c.unsubscribe.empty()) {
    std::string names;
    for (const auto& f : c.unsubscribe) names += (names.empty() ? "'" : ", '") + f + "'";
    p_.log->info("{} link: unsubscribing from {} filter(s) nothing needs any more: {}", link_name(p_.link),
                 c.unsubscribe.size(), names);
    if (auto s = p_.control.unsubscribe(c.unsubscribe); !s.ok()) p_.log->error("{}", s.message());
  }
  if (!c.subscribe.empty() || subscribe_even_none) {
    if (ever_subscribed_ && !c.subscribe.empty()) {
      p_.log->info("{} link: subscribing to {} new filter(s)", link_name(p_.link), c.subscribe.size());
    }
    if (auto s = p_.control.subscribe(c.subscribe); !s.ok()) p_.log->error("{}", s.message());
  }
}

void LinkSupervisor::close(const std::string& offline_status, Duration timeout, bool cancel_connect) {
  if (phase_ == Phase::connected) p_.control.publish_status(offline_status);
  if (phase_ == Phase::connected || (cancel_connect && phase_ == Phase::connecting)) {
    p_.control.disconnect(timeout);
  }
}

std::optional<MonoTime> LinkSupervisor::next_deadline(MonoTime now) const {
  std::optional<MonoTime> d;
  if (phase_ == Phase::idle) d = next_attempt_;
  if (resend_at_ > now) d = d ? std::min(*d, resend_at_) : resend_at_;
  return d;
}

}  // namespace edgegw::gateway
