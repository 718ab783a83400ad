// gateway/engine/session_subscriptions.h — which filters one link's persistent
// session holds at the broker, and what to send to make it hold exactly the
// filters the gateway wants (the config's, the device profiles', the routes'
// and the rules'; design.md, "Delivery").
//
// A reload that drops a rule must also drop its filter from the session:
// otherwise the broker keeps delivering it, and keeps queueing it for the
// session's 7 days while the gateway is away. So the difference is sent both
// when the wanted set changes while connected and at each connect that finds
// the session kept (a change made while the link was down).
//
// What the session holds is only known from this process's own subscribes:
// after a start, or after a subscribe failed, every wanted filter is sent
// again (harmless: Retain Handling 1 replays nothing for an existing
// subscription), and filters that an earlier process subscribed are not known
// to unsubscribe. An unsubscribe is forgotten only when its UNSUBACK arrives,
// so one lost with the connection is sent again at the next connect.
//
// Pure logic: no I/O, no clock. Engine thread only (LinkSupervisor's).
#pragma once

#include <string>
#include <vector>

#include "gateway/mqtt/link_control.h"

namespace edgegw::gateway {

class SessionSubscriptions {
 public:
  struct Changes {
    std::vector<std::string> unsubscribe;  // first: a filter may go and come back in one reload
    std::vector<Subscription> subscribe;
    bool empty() const { return unsubscribe.empty() && subscribe.empty(); }
  };

  explicit SessionSubscriptions(std::vector<Subscription> wanted) : wanted_(std::move(wanted)) {}

  // The filters wanted from now on (in the order to subscribe them).
  void want(std::vector<Subscription> wanted) { wanted_ = std::move(wanted); }
  const std::vector<Subscription>& wanted() const { return wanted_; }

  // At a connect: what to send. A new session (`session_present` false) holds nothing.
  Changes on_connected(bool session_present);
  // While connected, after want(): what to send. The caller sends it at once.
  Changes sync();
  // A subscribe was refused or failed: the next connect subscribes every wanted filter.
  void subscribe_failed() { held_known_ = false; }
  // The broker acknowledged the unsubscribe of `filter`.
  void unsubscribed(const std::string& filter);

  // Filters unsubscribed and not yet acknowledged (for tests and logs).
  const std::vector<std::string>& unsubscribing() const { return unsubscribing_; }

 private:
  Changes diff(bool subscribe_all);

  std::vector<Subscription> wanted_;
  std::vector<Subscription> held_;          // subscribed by this process, as sent
  std::vector<std::string> unsubscribing_;  // sent, UNSUBACK not yet seen
  bool held_known_ = false;                 // held_ is all this process knows the session holds
};

}  // namespace edgegw::gateway
