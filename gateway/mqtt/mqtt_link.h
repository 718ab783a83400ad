// gateway/mqtt/mqtt_link.h — one MQTT connection (local or upstream) over Paho C++.
//
// Threads: every public method is for the engine thread. Paho's callbacks run
// on Paho's single receive thread (shared by all clients in the process);
// they never block and never call back into Paho: a message goes to the
// IngressSink (one journal write), everything else onto the LinkEventQueue.
// Paho's automatic reconnect is off: the engine owns the reconnect timer, so
// a failed first connect is retried too and any backoff from 100ms works.
// Nothing is persisted by Paho (NO_PERSISTENCE): the outbox is the source of
// truth for what must be sent.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "core/status.h"
#include "gateway/mqtt/link_events.h"
#include "gateway/mqtt/link_port.h"
#include "gateway/mqtt/tls_probe.h"

namespace mqtt {
class async_client;
class message;
}  // namespace mqtt

namespace edgegw::gateway {

struct LinkSettings {
  std::string server_uri;  // tcp://host:port or ssl://host:port
  std::string host;        // of server_uri, for the TLS probe (IPv6 without brackets)
  int port = 0;
  std::string client_id;
  std::string username;
  std::string password;
  int mqtt_version = 5;  // 5 or 3 (3.1.1)
  Duration session_expiry = std::chrono::hours(24 * 7);
  Duration keepalive = std::chrono::seconds(30);
  Duration connect_timeout = std::chrono::seconds(10);
  int max_inflight = 64;
  bool tls = false;
  std::string ca_file, cert_file, key_file;
  bool tls_verify = true;  // certificate chain and host name
  std::string will_topic;  // "" = no last will
  std::string will_payload;
  std::string msg_id_prefix;  // "<gateway id>:" — MQTT 5 user property edgegw-msg-id
  uint32_t max_packet = 0;    // MQTT 5 Maximum Packet Size sent in CONNECT; 0: none
};

// Receives messages on Paho's thread. Must not block beyond one write().
class IngressSink {
 public:
  virtual ~IngressSink() = default;
  virtual void on_message(Link link, const mqtt::message& msg) = 0;
};

class MqttLink : public LinkPort {
 public:
  MqttLink(Link link, LinkSettings settings, IngressSink& sink, LinkEventQueue& events);
  ~MqttLink() override;
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  // Starts an asynchronous connect; the outcome arrives as Connected or
  // ConnectFailed. Fails at once only if Paho refused the request. After a
  // publish failed in its first write, the connect is a new Paho client's.
  Status connect() override;
  // Subscribes (MQTT 5: No Local, Retain As Published, Retain Handling 1);
  // the outcome arrives as Subscribed.
  Status subscribe(const std::vector<Subscription>& subs) override;
  // One UNSUBSCRIBE per filter; each outcome arrives as Unsubscribed.
  Status unsubscribe(const std::vector<std::string>& filters) override;
  // Retained status message on the will topic (best effort, QoS 1).
  void publish_status(const std::string& payload) override;
  // Any retained message, best effort, QoS 1 (Home Assistant discovery and state).
  void publish_retained(const std::string& topic, const std::string& payload);
  bool send(const OutboxRow& row) override;
  size_t packet_size(const OutboxRow& row) const override;
  // Clean disconnect, waiting at most `timeout`. Engine thread only, never from a callback.
  void disconnect(Duration timeout) override;
  // After a ConnectFailed on a TLS link: connects once more with OpenSSL
  // alone, on a thread of the link's, to learn why (Paho only says "-1").
  // The outcome arrives as TlsProbed. Does nothing on a plain link or while
  // a probe still runs; the destructor cancels and joins it.
  void probe_tls() override;
  Link link() const override { return link_; }
  const std::string& server_uri() const override { return settings_.server_uri; }
  const LinkSettings& settings() const { return settings_; }

 private:
  class Listeners;
  void make_client();     // a Paho client with this link's callbacks
  void replace_client();  // drops the Paho client and everything it held

  Link link_;
  LinkSettings settings_;
  IngressSink& sink_;
  LinkEventQueue& events_;
  std::unique_ptr<Listeners> listeners_;
  std::unique_ptr<mqtt::async_client> client_;
  std::unique_ptr<TlsProber> prober_;  // TLS links only; last, so it goes first
};

// "mqtt://h:p" -> "tcp://h:p", "mqtts://h:p" -> "ssl://h:p" (what Paho 1.3 expects).
std::string paho_server_uri(const std::string& scheme, const std::string& host, int port);

}  // namespace edgegw::gateway
