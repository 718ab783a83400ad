// gateway/mqtt/link_control.h — what the link supervisor needs from a link:
// the connection's life, not its messages (those go through Publisher).
//
// Engine thread only. Every outcome arrives later as a LinkEvent
// (link_events.h): connect() as Connected or ConnectFailed, subscribe() as
// Subscribed, unsubscribe() as one Unsubscribed per filter, probe_tls() as
// TlsProbed. MqttLink is the real one; unit tests
// use a fake that records the calls.
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace edgegw::gateway {

struct Subscription {
  std::string filter;
  int qos = 1;
};

class LinkControl {
 public:
  virtual ~LinkControl() = default;
  // Starts an asynchronous connect. Fails at once only if the client refused the request.
  virtual Status connect() = 0;
  virtual Status subscribe(const std::vector<Subscription>& subs) = 0;
  // Removes these filters from the session (the rules no longer need them).
  virtual Status unsubscribe(const std::vector<std::string>& filters) = 0;
  // Retained status message on the will topic (best effort).
  virtual void publish_status(const std::string& payload) = 0;
  // Waits at most `timeout` for in-flight transfers; zero: at once.
  virtual void disconnect(Duration timeout) = 0;
  // After a ConnectFailed: asks why (a TLS link); does nothing on a plain one.
  virtual void probe_tls() = 0;
};

}  // namespace edgegw::gateway
