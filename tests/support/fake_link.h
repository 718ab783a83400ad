// tests/support/fake_link.h — a link for unit tests of the engine's parts:
// FakeLinkControl records what the link supervisor asks of the connection,
// FakePublisher records the rows the forwarder hands over, and FakeLink is
// both, as the engine loop takes a link (LinkPort). Header-only; not
// thread-safe, like the real ones (engine thread only).
#pragma once

#include <string>
#include <vector>

#include "gateway/mqtt/link_control.h"
#include "gateway/mqtt/link_port.h"
#include "gateway/mqtt/publisher.h"

namespace edgegw::testing {

class FakeLinkControl final : public gateway::LinkControl {
 public:
  Status connect() override {
    ++connects;
    return refuse_connect ? Status::error("fake link", "refused") : Status();
  }
  Status subscribe(const std::vector<gateway::Subscription>& s) override {
    subscribes.push_back(s);
    return Status();
  }
  Status unsubscribe(const std::vector<std::string>& filters) override {
    unsubscribes.push_back(filters);
    return Status();
  }
  void publish_status(const std::string& payload) override { statuses.push_back(payload); }
  void disconnect(Duration timeout) override { disconnects.push_back(timeout); }
  void probe_tls() override { ++probes; }

  int connects = 0, probes = 0;
  bool refuse_connect = false;
  std::vector<std::vector<gateway::Subscription>> subscribes;
  std::vector<std::vector<std::string>> unsubscribes;
  std::vector<std::string> statuses;
  std::vector<Duration> disconnects;
};

class FakePublisher final : public gateway::Publisher {
 public:
  bool send(const gateway::OutboxRow& row) override {
    sent.push_back(row.seq);
    return true;
  }
  size_t packet_size(const gateway::OutboxRow& row) const override { return row.topic.size() + row.payload.size(); }
  std::vector<int64_t> sent;
};

// One whole link: records the connection's calls and every row sent. The
// outcomes (Connected, Delivered, ...) are the test's to push onto the
// engine's LinkEventQueue.
class FakeLink final : public gateway::LinkPort {
 public:
  explicit FakeLink(Link link) : link_(link), uri_(link == Link::local ? "tcp://local:1883" : "tcp://cloud:1883") {}
  Link link() const override { return link_; }
  const std::string& server_uri() const override { return uri_; }
  Status connect() override {
    ++connects;
    return Status();
  }
  Status subscribe(const std::vector<gateway::Subscription>& s) override {
    subscribes.push_back(s);
    return Status();
  }
  Status unsubscribe(const std::vector<std::string>& filters) override {
    unsubscribes.push_back(filters);
    return Status();
  }
  void publish_status(const std::string& payload) override { statuses.push_back(payload); }
  void disconnect(Duration timeout) override { disconnects.push_back(timeout); }
  void probe_tls() override {}
  bool send(const gateway::OutboxRow& row) override {
    sent.push_back(row);
    return true;
  }
  size_t packet_size(const gateway::OutboxRow& row) const override { return row.topic.size() + row.payload.size(); }

  int connects = 0;
  std::vector<std::vector<gateway::Subscription>> subscribes;
  std::vector<std::vector<std::string>> unsubscribes;
  std::vector<std::string> statuses;
  std::vector<Duration> disconnects;
  std::vector<gateway::OutboxRow> sent;

 private:
  Link link_;
  std::string uri_;
};

}  // namespace edgegw::testing
