#include "support/test_client.h"

#include <mqtt/async_client.h>

#include <algorithm>
#include <thread>

namespace edgegw::testing {
namespace {

constexpr int kFirstFailureCode = 0x80;  // MQTT 5 reason codes >= 0x80 are failures
constexpr int kMaxQueuedPublishes = 65'535;

int paho_version(MqttVersion v) { return v == MqttVersion::v5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1; }

UserProperties user_properties_of(const mqtt::message& m) {
  UserProperties out;
  const auto& props = m.get_properties();
  const auto n = props.count(mqtt::property::USER_PROPERTY);
  for (std::size_t i = 0; i < n; ++i) {
    auto [name, value] = mqtt::get<mqtt::string_pair>(props, mqtt::property::USER_PROPERTY, i);
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

std::string timeout_text(std::chrono::milliseconds t) {
  return "no answer within " + std::to_string(t.count()) + " ms";
}

}  // namespace

// Counts completions of publish_many()'s publishes. Runs on Paho's callback
// thread, so it only updates counters and wakes the publishing thread.
class TestClient::BulkListener : public mqtt::iaction_listener {
 public:
  void on_success(const mqtt::token& tok) override {
    complete(static_cast<int>(tok.get_reason_code()) < kFirstFailureCode);
  }
  void on_failure(const mqtt::token&) override { complete(false); }

  using Deadline = std::chrono::steady_clock::time_point;

  // Takes a slot in the window; false if none freed up before `end`.
  bool acquire(std::size_t window, Deadline end) {
    std::unique_lock<std::mutex> lock(mutex);
    if (!changed.wait_until(lock, end, [&] { return in_flight < window; })) return false;
    ++in_flight;
    return true;
  }

  // Waits for the outstanding publishes (until `end`) and reports the counts.
  void drain(Deadline end, BulkResult& r) {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait_until(lock, end, [&] { return in_flight == 0; });
    r.acked = acked;
    r.failed = failed;
  }

  void complete(bool ok) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      --in_flight;
      ++(ok ? acked : failed);
    }
    changed.notify_all();
  }

  std::mutex mutex;
  std::condition_variable changed;
  std::size_t in_flight = 0;  // all guarded by mutex
  std::size_t acked = 0;
  std::size_t failed = 0;
};

double BulkResult::per_second() const {
  const double secs = std::chrono::duration<double>(elapsed).count();
  return secs > 0 ? static_cast<double>(acked) / secs : 0.0;
}

TestClient::TestClient(std::string server_uri, std::string client_id, MqttVersion version,
                       std::chrono::milliseconds timeout)
    : client_id_(std::move(client_id)), version_(version), timeout_(timeout) {
  try {
    mqtt::create_options create(paho_version(version_));
    // Paho C counts publishes queued behind the broker's Receive Maximum
    // against this limit (default 100) and refuses more with
    // MQTTASYNC_MAX_BUFFERED_MESSAGES, even while connected.
    create.set_max_buffered_messages(kMaxQueuedPublishes);
    client_ = std::make_unique<mqtt::async_client>(server_uri, client_id_, create);
  } catch (const std::exception&) {
    return;  // client_ stays null; connect() reports the bad URI
  }
  // Paho's thread: copy the message out and return, never block here.
  client_->set_message_callback([this](mqtt::const_message_ptr m) {
    ReceivedMessage r{
        m->get_topic(), m->to_string(), m->get_qos(), m->is_retained(), {}, std::chrono::steady_clock::now()};
    try {
      r.user_properties = user_properties_of(*m);
    } catch (const std::exception&) {
      // A malformed property must not kill Paho's thread; the message still counts.
    }
    on_message(std::move(r));
  });
}

TestClient::~TestClient() {
  if (client_ && client_->is_connected()) (void)disconnect();
  client_.reset();
}

void TestClient::on_message(ReceivedMessage msg) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    received_.push_back(std::move(msg));
  }
  arrived_.notify_all();
}

Result<ConnectResult> TestClient::connect(const ConnectOptions& opts) {
  const std::string ctx = "connect " + client_id_;
  if (!client_) return Status::error(ctx, "invalid server URI");
  mqtt::connect_options co;
  co.set_mqtt_version(paho_version(version_));
  if (version_ == MqttVersion::v5) {
    co.set_clean_start(opts.clean_start);
    mqtt::properties props;
    props.add({mqtt::property::SESSION_EXPIRY_INTERVAL, static_cast<int>(opts.session_expiry.count())});
    co.set_properties(props);
  } else {
    co.set_clean_session(opts.clean_start);
  }
  co.set_keep_alive_interval(opts.keep_alive);
  co.set_connect_timeout(std::max<std::chrono::seconds>(std::chrono::seconds(1),
                                                        std::chrono::duration_cast<std::chrono::seconds>(timeout_)));
  try {
    auto tok = client_->connect(co);
    if (!tok->wait_for(timeout_)) return Status::error(ctx, timeout_text(timeout_));
    return ConnectResult{tok->get_connect_response().is_session_present()};
  } catch (const std::exception& e) {
    return Status::error(ctx, e.what());
  }
}

Status TestClient::disconnect() {
  const std::string ctx = "disconnect " + client_id_;
  if (!client_) return Status::error(ctx, "invalid server URI");
  try {
    if (!client_->disconnect()->wait_for(timeout_)) return Status::error(ctx, timeout_text(timeout_));
    return Status();
  } catch (const std::exception& e) {
    return Status::error(ctx, e.what());
  }
}

bool TestClient::is_connected() const { return client_ && client_->is_connected(); }

Status TestClient::publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                           const UserProperties& user_properties) {
  const std::string ctx = "publish '" + topic + "' from " + client_id_;
  if (!client_) return Status::error(ctx, "invalid server URI");
  try {
    auto msg = mqtt::make_message(topic, payload, qos, retain);
    if (!user_properties.empty()) {
      mqtt::properties props;
      for (const auto& [name, value] : user_properties) props.add({mqtt::property::USER_PROPERTY, name, value});
      msg->set_properties(props);
    }
    auto tok = client_->publish(msg);
    if (!tok->wait_for(timeout_)) return Status::error(ctx, timeout_text(timeout_));
    const int rc = static_cast<int>(tok->get_reason_code());
    if (rc >= kFirstFailureCode) return Status::error(ctx, "reason code " + std::to_string(rc));
    return Status();
  } catch (const std::exception& e) {
    return Status::error(ctx, e.what());
  }
}

Status TestClient::subscribe(const std::string& filter, int qos, const SubscribeOptions& opts) {
  const std::string ctx = "subscribe '" + filter + "' for " + client_id_;
  if (!client_) return Status::error(ctx, "invalid server URI");
  try {
    // Subscription options exist only in MQTT 5; 3.1.1 gets the defaults.
    mqtt::subscribe_options so;
    if (version_ == MqttVersion::v5) {
      so = mqtt::subscribe_options(opts.no_local, opts.retain_as_published,
                                   static_cast<mqtt::subscribe_options::RetainHandling>(opts.retain_handling));
    }
    auto tok = client_->subscribe(filter, qos, so);
    if (!tok->wait_for(timeout_)) return Status::error(ctx, timeout_text(timeout_));
    // 3.1.1 reports the granted QoS (0x80 = refused), MQTT 5 a reason code.
    const auto response = tok->get_subscribe_response();
    for (auto rc : response.get_reason_codes()) {
      if (static_cast<int>(rc) >= kFirstFailureCode) {
        return Status::error(ctx, "refused with reason code " + std::to_string(static_cast<int>(rc)));
      }
    }
    return Status();
  } catch (const std::exception& e) {
    return Status::error(ctx, e.what());
  }
}

Status TestClient::unsubscribe(const std::string& filter) {
  const std::string ctx = "unsubscribe '" + filter + "' for " + client_id_;
  if (!client_) return Status::error(ctx, "invalid server URI");
  try {
    if (!client_->unsubscribe(filter)->wait_for(timeout_)) return Status::error(ctx, timeout_text(timeout_));
    return Status();
  } catch (const std::exception& e) {
    return Status::error(ctx, e.what());
  }
}

Result<BulkResult> TestClient::publish_many(const BulkPublish& spec) {
  const std::string ctx = "publish_many from " + client_id_;
  if (!client_) return Status::error(ctx, "invalid server URI");
  // Kept until the client is gone: a publish still in flight at the deadline
  // completes later and must find its listener alive.
  auto listener = bulk_listeners_.emplace_back(std::make_shared<BulkListener>());
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + spec.deadline;
  const std::size_t window = std::max<std::size_t>(1, spec.max_in_flight);
  std::string error;
  for (std::size_t i = 0; i < spec.count && error.empty(); ++i) {
    if (!listener->acquire(window, end)) {
      error = "deadline passed";
      break;
    }
    try {
      auto msg = mqtt::make_message(spec.topic_of ? spec.topic_of(i) : spec.topic,
                                    spec.payload_of ? spec.payload_of(i) : std::to_string(i), spec.qos, false);
      client_->publish(msg, nullptr, *listener);
    } catch (const std::exception& e) {
      listener->complete(false);
      error = e.what();
    }
  }
  BulkResult r;
  listener->drain(end, r);
  r.elapsed = std::chrono::steady_clock::now() - start;
  if (r.acked == spec.count) return r;
  if (error.empty()) error = r.failed > 0 ? "publishes failed" : "deadline passed";
  return Status::error(ctx, error + ": " + std::to_string(r.acked) + " of " + std::to_string(spec.count) + " acked, " +
                                std::to_string(r.failed) + " failed");
}

std::vector<ReceivedMessage> TestClient::received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

std::size_t TestClient::count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_.size();
}

void TestClient::clear_received() {
  std::lock_guard<std::mutex> lock(mutex_);
  received_.clear();
}

bool TestClient::wait_for_count(std::size_t n, std::chrono::milliseconds deadline) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return arrived_.wait_for(lock, deadline, [&] { return received_.size() >= n; });
}

Status connect_all(const std::vector<TestClient*>& clients, const ConnectOptions& opts) {
  std::vector<Status> results(clients.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = clients[i]->connect(opts).status(); });
  }
  for (auto& t : threads) t.join();
  for (auto& s : results) {
    if (!s.ok()) return s;
  }
  return Status();
}

}  // namespace edgegw::testing
