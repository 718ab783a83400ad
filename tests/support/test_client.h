// tests/support/test_client.h — an MQTT client for integration tests.
//
// TestClient wraps one Paho MQTT C++ async_client (no client-side
// persistence). Every call blocks the calling test thread until the broker
// answered or the client's timeout passed; Paho's callback thread only
// appends received messages to a mutex-guarded list and never blocks.
//
// Threads: call from one test thread; received()/count()/wait_for_count()
// may be called from any thread. Failures (broker away, timeout, a SUBACK or
// PUBACK reason code >= 0x80) are Status values; no Paho exception escapes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mqtt {
class async_client;
}

namespace edgegw::testing {

enum class MqttVersion { v311, v5 };

using UserProperties = std::vector<std::pair<std::string, std::string>>;

struct ReceivedMessage {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;  // as delivered; subscribe with retain_as_published to see the publisher's flag
  UserProperties user_properties;
  std::chrono::steady_clock::time_point received_at{};  // when Paho handed it to the client
};

struct ConnectOptions {
  bool clean_start = true;                 // MQTT 5 Clean Start; clean session for 3.1.1
  std::chrono::seconds session_expiry{0};  // MQTT 5 only
  std::chrono::seconds keep_alive{30};
};

struct SubscribeOptions {
  bool no_local = false;
  // On by default so tests can check the retain flag of live messages.
  bool retain_as_published = true;
  int retain_handling = 0;  // 0 send on subscribe, 1 only for a new subscription, 2 never
};

struct ConnectResult {
  bool session_present = false;
};

// A batch for publish_many(). Message i goes to topic_of(i) (default: `topic`)
// with payload_of(i) (default: i in decimal).
struct BulkPublish {
  std::string topic{};
  std::size_t count = 0;
  int qos = 1;
  // Publishes awaiting their PUBACK. Mosquitto's Receive Maximum is 20
  // (max_inflight_messages); beyond it publishes only queue inside Paho,
  // which measured slower, not faster.
  std::size_t max_in_flight = 20;
  std::function<std::string(std::size_t)> topic_of{};
  std::function<std::string(std::size_t)> payload_of{};
  std::chrono::milliseconds deadline{60'000};  // for the whole batch
};

struct BulkResult {
  std::size_t acked = 0;   // completions: PUBACK for QoS 1, written for QoS 0
  std::size_t failed = 0;  // publishes Paho refused or reported failed
  std::chrono::steady_clock::duration elapsed{};
  double per_second() const;  // acked / elapsed
};

class TestClient {
 public:
  // Does not connect. `server_uri` like "tcp://127.0.0.1:1883".
  TestClient(std::string server_uri, std::string client_id, MqttVersion version = MqttVersion::v5,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(5'000));
  // Disconnects (best effort) and waits for Paho to finish with this client.
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  Result<ConnectResult> connect(const ConnectOptions& opts = {});
  Status disconnect();
  bool is_connected() const;

  // Waits for completion: PUBACK for QoS 1, PUBCOMP for QoS 2, the write for QoS 0.
  Status publish(const std::string& topic, const std::string& payload, int qos = 1, bool retain = false,
                 const UserProperties& user_properties = {});
  // Waits for the SUBACK; fails if the broker refused the filter.
  Status subscribe(const std::string& filter, int qos = 1, const SubscribeOptions& opts = {});
  Status unsubscribe(const std::string& filter);

  // Keeps up to spec.max_in_flight publishes outstanding until spec.count
  // completed. Fails at the deadline or when any publish failed, with the
  // counts in the detail.
  Result<BulkResult> publish_many(const BulkPublish& spec);

  // Messages received so far, in arrival order.
  std::vector<ReceivedMessage> received() const;
  std::size_t count() const;
  void clear_received();
  // True once at least n messages have been received, false at the deadline.
  bool wait_for_count(std::size_t n, std::chrono::milliseconds deadline) const;

  const std::string& client_id() const { return client_id_; }

 private:
  class BulkListener;
  void on_message(ReceivedMessage msg);

  std::string client_id_;
  MqttVersion version_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<ReceivedMessage> received_;  // guarded by mutex_
  // Paho keeps raw references to these until their tokens complete, so they
  // are declared before client_ and outlive it.
  std::list<std::shared_ptr<BulkListener>> bulk_listeners_;
  std::unique_ptr<mqtt::async_client> client_;
};

// Connects several clients concurrently, each with `opts`; fails with the
// first failure. Why: Paho C 1.3.12 registers a new socket only on its
// receive thread's next 1 s poll when another client of the process is
// connected, so each sequential connect then costs ~2 s
// (eclipse-paho/paho.mqtt.c#1430); concurrent connects pay that once.
Status connect_all(const std::vector<TestClient*>& clients, const ConnectOptions& opts = {});

}  // namespace edgegw::testing
