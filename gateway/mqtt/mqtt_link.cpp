#include "gateway/mqtt/mqtt_link.h"

#include <mqtt/async_client.h>

#include <atomic>
#include <cstdint>
#include <mutex>

namespace edgegw::gateway {
namespace {

// A broker that answers at all answers a handshake well within this; one
// that does not is reported as a timeout.
constexpr Duration kTlsProbeTimeout = std::chrono::seconds(3);

void* seq_context(int64_t seq) { return reinterpret_cast<void*>(static_cast<intptr_t>(seq)); }
int64_t context_seq(void* ctx) { return static_cast<int64_t>(reinterpret_cast<intptr_t>(ctx)); }

std::string token_reason(const mqtt::token& tok) {
  int rc = tok.get_return_code();
  std::string msg =
      rc == 0 ? "failed" : "return code " + std::to_string(rc) + " (" + mqtt::exception::error_str(rc) + ")";
  if (tok.get_reason_code() != mqtt::ReasonCode::SUCCESS) {
    msg += " (reason code " + std::to_string(static_cast<int>(tok.get_reason_code())) + ")";
  }
  return msg;
}

mqtt::ssl_options ssl_options_of(const LinkSettings& s) {
  mqtt::ssl_options ssl;
  if (!s.ca_file.empty()) ssl.set_trust_store(s.ca_file);
  if (!s.cert_file.empty()) ssl.set_key_store(s.cert_file);
  if (!s.key_file.empty()) ssl.set_private_key(s.key_file);
  // Paho's default checks the chain but not the host name (verify=0).
  ssl.set_enable_server_cert_auth(s.tls_verify);
  ssl.set_verify(s.tls_verify);
  return ssl;
}

}  // namespace

// The action listeners Paho calls on its thread. Each only pushes an event.
class MqttLink::Listeners {
 public:
  Listeners(Link link, LinkEventQueue& events)
      : connect(link, events), subscribe(link, events), unsubscribe(link, events), deliver(link, events) {}

  struct Connect : mqtt::iaction_listener {
    Connect(Link l, LinkEventQueue& q) : link(l), events(q) {}
    void on_success(const mqtt::token& tok) override {
      bool present = false;
      int receive_maximum = 65535;
      uint32_t maximum_packet_size = 0;
      try {
        auto response = tok.get_connect_response();
        present = response.is_session_present();
        const auto& props = response.get_properties();
        // Absent properties (or MQTT 3.1.1): the protocol defaults stand.
        if (props.contains(mqtt::property::RECEIVE_MAXIMUM)) {
          receive_maximum = mqtt::get<uint16_t>(props, mqtt::property::RECEIVE_MAXIMUM);
        }
        if (props.contains(mqtt::property::MAXIMUM_PACKET_SIZE)) {
          maximum_packet_size = mqtt::get<uint32_t>(props, mqtt::property::MAXIMUM_PACKET_SIZE);
        }
      } catch (...) {
      }
      events.push(Connected{link, present, receive_maximum, maximum_packet_size, new_client.exchange(false)});
    }
    void on_failure(const mqtt::token& tok) override { events.push(ConnectFailed{link, token_reason(tok)}); }
    Link link;
    LinkEventQueue& events;
    std::atomic<bool> new_client{false};  // until the first connect of a replaced client succeeds
  } connect;

  // One SUBSCRIBE per filter (Paho C++ 1.2's many-filter call with options
  // crashes in MQTTAsync_subscribeMany and drops the options); the batch is
  // reported as one Subscribed event once every filter has answered.
  struct Subscribe : mqtt::iaction_listener {
    Subscribe(Link l, LinkEventQueue& q) : link(l), events(q) {}
    void start(int n) {
      std::lock_guard<std::mutex> lock(mu);
      pending = n;
      refused.clear();
    }
    void on_success(const mqtt::token& tok) override {
      std::string why;
      try {
        auto response = tok.get_subscribe_response();
        for (auto rc : response.get_reason_codes()) {
          if (static_cast<int>(rc) >= 0x80) why = "refused with reason code " + std::to_string(static_cast<int>(rc));
        }
      } catch (...) {
      }
      done(why);
    }
    void on_failure(const mqtt::token& tok) override { done(token_reason(tok)); }
    void done(const std::string& why) {
      std::lock_guard<std::mutex> lock(mu);
      if (!why.empty()) refused += (refused.empty() ? "" : "; ") + why;
      if (--pending == 0) events.push(Subscribed{link, refused.empty(), refused});
    }
    Link link;
    LinkEventQueue& events;
    std::mutex mu;
    int pending = 0;
    std::string refused;
  } subscribe;

  // One UNSUBSCRIBE per filter, each answered on its own (the filter is the token's).
  struct Unsubscribe : mqtt::iaction_listener {
    Unsubscribe(Link l, LinkEventQueue& q) : link(l), events(q) {}
    static std::string filter_of(const mqtt::token& tok) {
      auto topics = tok.get_topics();
      return topics && !topics->empty() ? (*topics)[0] : std::string();
    }
    void on_success(const mqtt::token& tok) override {
      std::string why;
      try {  // MQTT 5 reason codes; 0x11 "no subscription existed" is below 0x80: fine
        auto response = tok.get_unsubscribe_response();
        for (auto rc : response.get_reason_codes()) {
          if (static_cast<int>(rc) >= 0x80) why = "refused with reason code " + std::to_string(static_cast<int>(rc));
        }
      } catch (...) {
      }
      events.push(Unsubscribed{link, filter_of(tok), why.empty(), why});
    }
    void on_failure(const mqtt::token& tok) override {
      events.push(Unsubscribed{link, filter_of(tok), false, token_reason(tok)});
    }
    Link link;
    LinkEventQueue& events;
  } unsubscribe;

  struct Deliver : mqtt::iaction_listener {
    Deliver(Link l, LinkEventQueue& q) : link(l), events(q) {}
    void on_success(const mqtt::token& tok) override {
      events.push(Delivered{link, context_seq(tok.get_user_context())});
    }
    void on_failure(const mqtt::token& tok) override {
      // MQTTASYNC_FAILURE: the publish's first write failed on a dead socket.
      if (tok.get_return_code() == MQTTASYNC_FAILURE) lost_in_write = true;
      events.push(DeliveryFailed{link, context_seq(tok.get_user_context()), token_reason(tok),
                                 static_cast<int>(tok.get_reason_code())});
    }
    Link link;
    LinkEventQueue& events;
    std::atomic<bool> lost_in_write{false};
  } deliver;
};

std::string paho_server_uri(const std::string& scheme, const std::string& host, int port) {
  std::string s = (scheme == "mqtts" || scheme == "ssl") ? "ssl://" : "tcp://";
  bool ipv6 = host.find(':') != std::string::npos;
  return s + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

MqttLink::MqttLink(Link link, LinkSettings settings, IngressSink& sink, LinkEventQueue& events)
    : link_(link),
      settings_(std::move(settings)),
      sink_(sink),
      events_(events),
      listeners_(std::make_unique<Listeners>(link, events)) {
  make_client();
  if (settings_.tls) {
    TlsTarget target{settings_.host,      settings_.port,     settings_.ca_file,
                     settings_.cert_file, settings_.key_file, settings_.tls_verify};
    prober_ = std::make_unique<TlsProber>(std::move(target), kTlsProbeTimeout, [this](TlsProbeResult r) {
      events_.push(TlsProbed{link_, std::move(r)});
    });
  }
}

void MqttLink::make_client() {
  int version = settings_.mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  // maxBufferedMessages also bounds what may be queued while connected
  // (reliability.md §3.2): keep it above the in-flight window.
  mqtt::create_options create(version, settings_.max_inflight + 64);
  create.set_send_while_disconnected(false);
  client_ = std::make_unique<mqtt::async_client>(settings_.server_uri, settings_.client_id, create, nullptr);
  client_->set_message_callback([this](mqtt::const_message_ptr msg) {
    if (msg) sink_.on_message(link_, *msg);
  });
  client_->set_connection_lost_handler([this](const std::string& cause) {
    events_.push(ConnectionLost{link_, cause.empty() ? "connection lost" : cause});
  });
  client_->set_disconnected_handler([this](const mqtt::properties&, mqtt::ReasonCode rc) {
    events_.push(
        ConnectionLost{link_, "the broker disconnected us (reason code " + std::to_string(static_cast<int>(rc)) + ")"});
  });
}

// Paho C 1.3.12 frees the topic and payload of a QoS 1/2 publish whose first
// write failed, yet keeps the message among those it resends after a connect
// that finds the session: every reconnect then sends a PUBLISH with a freed
// topic, the broker closes the connection, and the link never comes back
// (Paho issue 1401). A new client holds nothing to resend; the outbox still
// holds every row in flight, and the engine sends them again (Connected::new_client).
//
// The old client is never destroyed: MQTTAsync_destroy frees that publish's
// topic and payload a second time, and on a TLS link the double free aborted
// the gateway. It stays disconnected and silent (no callbacks, nothing to
// send) until the process exits, reachable from a global list so that
// LeakSanitizer does not count it. This happens once per such failure.
void MqttLink::replace_client() {
  static auto* retired = new std::vector<std::unique_ptr<mqtt::async_client>>();  // never freed, on purpose
  client_->disable_callbacks();
  retired->push_back(std::move(client_));
  listeners_->deliver.lost_in_write = false;
  make_client();
  listeners_->connect.new_client = true;
}

MqttLink::~MqttLink() {
  if (client_) {
    try {
      client_->disable_callbacks();
      if (client_->is_connected()) client_->disconnect(0)->wait_for(std::chrono::seconds(1));
    } catch (...) {
    }
  }
}

Status MqttLink::connect() {
  if (listeners_->deliver.lost_in_write) replace_client();
  const auto& s = settings_;
  auto keepalive = std::chrono::duration_cast<std::chrono::seconds>(s.keepalive);
  auto expiry = std::chrono::duration_cast<std::chrono::seconds>(s.session_expiry).count();
  try {
    mqtt::connect_options opts;
    opts.set_mqtt_version(s.mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1);
    if (s.mqtt_version == 5) {
      // Clean start off and a session expiry of days: the broker keeps our
      // subscriptions and queues for us while we are away (Paho's default of
      // 0 would drop the session at every disconnect).
      opts.set_clean_start(false);
      mqtt::properties props;
      props.add(
          {mqtt::property::SESSION_EXPIRY_INTERVAL, static_cast<int32_t>(std::min<int64_t>(expiry, 0xFFFFFFFFll))});
      // The broker never sends us a packet above this: a 10 MiB payload is
      // dropped at the broker, not read into our memory to be dropped here.
      if (s.max_packet > 0) props.add({mqtt::property::MAXIMUM_PACKET_SIZE, static_cast<int32_t>(s.max_packet)});
      opts.set_properties(props);
    } else {
      opts.set_clean_session(expiry == 0);
    }
    // Paho pings after one interval without traffic from the broker and gives
    // up after one more without the PINGRESP: a silent dead link (no RST)
    // would take 2 x keepalive to notice. Asking Paho for half the interval
    // notices it within one keepalive (the 1.5 x the reliability matrix asks);
    // the broker sees pings twice as often, which it allows. 0: no keepalive.
    const auto interval = keepalive.count() > 0 ? std::max<int64_t>(1, (keepalive.count() + 1) / 2) : 0;
    opts.set_keep_alive_interval(static_cast<int>(interval));
    opts.set_connect_timeout(std::chrono::duration_cast<std::chrono::seconds>(s.connect_timeout));
    opts.set_automatic_reconnect(false);
    opts.set_max_inflight(s.max_inflight);
    if (!s.username.empty()) opts.set_user_name(s.username);
    if (!s.password.empty()) opts.set_password(s.password);
    if (!s.will_topic.empty()) {
      opts.set_will(mqtt::will_options(s.will_topic, s.will_payload, 1, true));
    }
    if (s.tls) opts.set_ssl(ssl_options_of(s));
    client_->connect(opts, nullptr, listeners_->connect);
  } catch (const mqtt::exception& e) {
    return Status::error(std::string(link_name(link_)) + " link", e.what());
  }
  return Status();
}

Status MqttLink::subscribe(const std::vector<Subscription>& subs) {
  if (subs.empty()) {
    events_.push(Subscribed{link_, true, ""});
    return Status();
  }
  listeners_->subscribe.start(static_cast<int>(subs.size()));
  for (size_t i = 0; i < subs.size(); ++i) {
    const auto& sub = subs[i];
    try {
      mqtt::subscribe_options opts;
      if (settings_.mqtt_version == 5) {
        // No Local: our own publishes do not come back (no echo loops).
        // Retain As Published: `retained` and `retain: keep` see the flag as set.
        // Retain Handling 1: retained messages only for a new subscription.
        opts = mqtt::subscribe_options(mqtt::subscribe_options::SUBSCRIBE_NO_LOCAL,
                                       mqtt::subscribe_options::RETAIN_AS_PUBLISHED,
                                       mqtt::subscribe_options::SEND_RETAINED_ON_NEW);
      }
      client_->subscribe(sub.filter, sub.qos, nullptr, listeners_->subscribe, opts);
    } catch (const mqtt::exception& e) {
      // Count the ones never sent as answered, so the batch still completes.
      for (size_t k = i; k < subs.size(); ++k) listeners_->subscribe.done("'" + subs[k].filter + "': " + e.what());
      return Status::error(std::string(link_name(link_)) + " link: subscribe '" + sub.filter + "'", e.what());
    }
  }
  return Status();
}

Status MqttLink::unsubscribe(const std::vector<std::string>& filters) {
  for (size_t i = 0; i < filters.size(); ++i) {
    try {
      client_->unsubscribe(filters[i], nullptr, listeners_->unsubscribe);
    } catch (const mqtt::exception& e) {
      // The ones never sent are answered too: each filter gets its event.
      for (size_t k = i; k < filters.size(); ++k) events_.push(Unsubscribed{link_, filters[k], false, e.what()});
      return Status::error(std::string(link_name(link_)) + " link: unsubscribe '" + filters[i] + "'", e.what());
    }
  }
  return Status();
}

void MqttLink::publish_status(const std::string& payload) {
  if (!settings_.will_topic.empty()) publish_retained(settings_.will_topic, payload);
}

void MqttLink::publish_retained(const std::string& topic, const std::string& payload) {
  try {
    client_->publish(mqtt::make_message(topic, payload, 1, true));
  } catch (const mqtt::exception&) {
    // Best effort: the next connect publishes it again.
  }
}

bool MqttLink::send(const OutboxRow& row) {
  try {
    auto msg = mqtt::message::create(row.topic, row.payload.data(), row.payload.size(), row.qos, row.retain);
    if (settings_.mqtt_version == 5 && link_ == Link::upstream) {
      mqtt::properties props;
      props.add({mqtt::property::USER_PROPERTY, "edgegw-msg-id", settings_.msg_id_prefix + std::to_string(row.seq)});
      if (row.replayed) props.add({mqtt::property::USER_PROPERTY, "edgegw-replayed", "true"});
      msg->set_properties(std::move(props));
    }
    client_->publish(msg, seq_context(row.seq), listeners_->deliver);
    return true;
  } catch (const mqtt::exception&) {
    return false;  // not connected or Paho's buffer is full: the row stays queued
  }
}

namespace {
size_t varint_size(size_t n) { return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4; }
size_t user_property_size(size_t key, size_t value) { return 1 + 2 + key + 2 + value; }
}  // namespace

size_t MqttLink::packet_size(const OutboxRow& row) const {
  size_t body = 2 + row.topic.size() + (row.qos > 0 ? 2 : 0) + row.payload.size();
  if (settings_.mqtt_version == 5) {
    size_t props = 0;
    if (link_ == Link::upstream) {  // as send() adds them
      props += user_property_size(13, settings_.msg_id_prefix.size() + std::to_string(row.seq).size());
      if (row.replayed) props += user_property_size(15, 4);
    }
    body += varint_size(props) + props;
  }
  return 1 + varint_size(body) + body;
}

void MqttLink::disconnect(Duration timeout) {
  try {
    if (client_->is_connected()) {
      client_->disconnect(std::chrono::duration_cast<std::chrono::milliseconds>(timeout))
          ->wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(timeout) + std::chrono::milliseconds(200));
    }
  } catch (const mqtt::exception&) {
  }
}

void MqttLink::probe_tls() {
  if (prober_) prober_->start();
}

}  // namespace edgegw::gateway
