// gateway/engine/link_supervisor.h — one MQTT link's life: connect, back off
// and reconnect, subscribe, hold down (backpressure), and what the link
// reports about deliveries, passed on to its Forwarder.
//
// Subscriptions: the session is kept in step with the wanted filters
// (session_subscriptions.h): at each connect, and at once when resubscribe()
// changes them, filters no longer wanted are unsubscribed and new ones
// subscribed.
//
// Phases: idle (waits for the backoff to run out, then drive() connects)
// -> connecting -> connected; a lost connection or a failed connect goes
// back to idle with the next backoff delay. paused: held down by the engine
// (pause()/resume()); a late connect then is dropped.
//
// All times come from the Clock it is given (monotonic for timers). Engine
// thread only; no locks.
#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "gateway/base/metrics.h"
#include "gateway/engine/forwarder.h"
#include "gateway/engine/session_subscriptions.h"
#include "gateway/mqtt/backoff.h"
#include "gateway/mqtt/link_control.h"
#include "gateway/mqtt/link_events.h"
#include "gateway/mqtt/tls_probe.h"

namespace edgegw::gateway {

class StatusCollector;

class LinkSupervisor {
 public:
  struct Parts {
    Link link;
    std::string server_uri;  // for log lines
    LinkControl& control;
    Forwarder& forwarder;  // this link's queue
    const Clock& clock;
    Metrics& metrics;
    std::shared_ptr<spdlog::logger> log;
    StatusCollector* status = nullptr;  // the TLS error on /status; null: none
    // Called with "upstream_up" / "upstream_down" (the rules' gateway events); may be empty.
    std::function<void(std::string_view)> gateway_event;
  };
  struct Options {
    Duration reconnect_min = std::chrono::seconds(1), reconnect_max = std::chrono::seconds(30);
    std::vector<Subscription> subscriptions;  // wanted at start
    std::string status_online;                // retained on the will topic at each connect
  };
  enum class Phase { idle, connecting, connected, paused };

  LinkSupervisor(Parts parts, Options options);

  // Everything the link reported (link_events.h) for this link.
  void on_event(const LinkEvent& ev);
  // Connects when idle and the backoff delay has run out.
  void drive();
  // Lets the forwarder send, when connected and no refused delivery holds it.
  Status pump();
  // Backpressure: disconnect at once and stay down until resume().
  void pause();
  void resume();
  // New subscriptions (the rules changed). When the link is up, unsubscribes
  // the filters no longer wanted and subscribes the new ones now; else at the
  // next connect.
  void resubscribe(std::vector<Subscription> subs);
  // The filters unsubscribed whose UNSUBACK has not come yet.
  const std::vector<std::string>& unsubscribing() const { return subs_.unsubscribing(); }
  // Shutdown: publishes the offline status if connected, then disconnects,
  // waiting at most `timeout`; with `cancel_connect`, a connect in progress is dropped too.
  void close(const std::string& offline_status, Duration timeout, bool cancel_connect);

  Phase phase() const { return phase_; }
  bool connected() const { return phase_ == Phase::connected; }
  // When drive() or pump() next has work that only time brings; none when it waits on an event.
  std::optional<MonoTime> next_deadline(MonoTime now) const;

 private:
  void on_connected(const Connected& e);
  void on_connect_failed(const ConnectFailed& e);
  void on_connection_lost(const ConnectionLost& e);
  void on_subscribed(const Subscribed& e);
  void on_unsubscribed(const Unsubscribed& e);
  void send(const SessionSubscriptions::Changes& c, bool subscribe_even_none);
  void on_delivered(const Delivered& e);
  void on_delivery_failed(const DeliveryFailed& e);
  void on_tls_probed(const TlsProbeResult& r);
  void note_tls_error(const std::string& reason);
  int index() const { return static_cast<int>(p_.link); }

  Parts p_;
  Options opt_;
  Backoff backoff_;
  Phase phase_ = Phase::idle;
  MonoTime next_attempt_{};
  SessionSubscriptions subs_;
  bool ever_subscribed_ = false;  // for logging the first subscribe only
  bool was_connected_ = false;    // for logging state changes only
  uint64_t failures_ = 0;
  MonoTime resend_at_{};   // after a refused delivery, no sends before this
  ReasonLimiter tls_log_;  // the TLS probe's reasons: each change, a repeat once a minute
};

}  // namespace edgegw::gateway
