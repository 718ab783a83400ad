// Which filters a link's kept session holds, and what a reload or a connect
// sends to bring it to the wanted set (issue 20, item 5: nothing was ever
// unsubscribed).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gateway/engine/session_subscriptions.h"

using namespace edgegw::gateway;

namespace {

std::vector<std::string> filters(const std::vector<Subscription>& subs) {
  std::vector<std::string> out;
  for (const auto& s : subs) out.push_back(s.filter);
  return out;
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("Does a new session get every wanted filter and no unsubscribe?", "[runtime][subscriptions]") {
  SessionSubscriptions s({{"a/#", 1}, {"b/#", 1}});
  auto c = s.on_connected(/*session_present=*/false);
  CHECK(filters(c.subscribe) == Names{"a/#", "b/#"});
  CHECK(c.unsubscribe.empty());
}

TEST_CASE("Does a reload unsubscribe what is no longer wanted and subscribe only what is new?",
          "[runtime][subscriptions]") {
  SessionSubscriptions s({{"a/#", 1}, {"keep/#", 1}});
  (void)s.on_connected(false);
  s.want({{"keep/#", 1}, {"b/#", 1}});
  auto c = s.sync();
  CHECK(c.unsubscribe == Names{"a/#"});
  CHECK(filters(c.subscribe) == Names{"b/#"});
  CHECK(s.sync().empty());  // sent once
  s.want({{"keep/#", 2}, {"b/#", 1}});
  CHECK(filters(s.sync().subscribe) == Names{"keep/#"});  // a new QoS is a new SUBSCRIBE
}

TEST_CASE("Does a kept session get, at the next connect, the changes made while the link was down?",
          "[runtime][subscriptions]") {
  SessionSubscriptions s({{"a/#", 1}});
  (void)s.on_connected(false);
  s.want({{"b/#", 1}});  // the link is down: nothing sent
  auto c = s.on_connected(/*session_present=*/true);
  CHECK(c.unsubscribe == Names{"a/#"});
  CHECK(filters(c.subscribe) == Names{"b/#"});

  SessionSubscriptions lost({{"a/#", 1}});
  (void)lost.on_connected(false);
  lost.want({{"b/#", 1}});
  auto fresh = lost.on_connected(/*session_present=*/false);  // the broker dropped the session
  CHECK(fresh.unsubscribe.empty());
  CHECK(filters(fresh.subscribe) == Names{"b/#"});
}

TEST_CASE("Is an unsubscribe without its UNSUBACK sent again at the next connect, and only then?",
          "[runtime][subscriptions]") {
  SessionSubscriptions s({{"a/#", 1}, {"b/#", 1}});
  (void)s.on_connected(false);
  s.want({{"b/#", 1}});
  CHECK(s.sync().unsubscribe == Names{"a/#"});
  CHECK(s.unsubscribing() == Names{"a/#"});
  auto again = s.on_connected(true);  // the connection dropped before the UNSUBACK
  CHECK(again.unsubscribe == Names{"a/#"});
  CHECK(again.subscribe.empty());
  s.unsubscribed("a/#");
  CHECK(s.unsubscribing().empty());
  CHECK(s.on_connected(true).empty());
}

TEST_CASE("Does a filter that goes and comes back before its UNSUBACK stay subscribed?", "[runtime][subscriptions]") {
  SessionSubscriptions s({{"a/#", 1}});
  (void)s.on_connected(false);
  s.want({});
  CHECK(s.sync().unsubscribe == Names{"a/#"});
  s.want({{"a/#", 1}});
  auto back = s.sync();
  CHECK(back.unsubscribe.empty());
  CHECK(filters(back.subscribe) == Names{"a/#"});  // after the UNSUBSCRIBE, so the broker holds it
  s.unsubscribed("a/#");                           // the late UNSUBACK of the first
  CHECK(s.on_connected(true).empty());
}

TEST_CASE("Does a process's first connect, or one after a failed subscribe, subscribe every filter again?",
          "[runtime][subscriptions]") {
  SessionSubscriptions s({{"a/#", 1}});
  CHECK(filters(s.on_connected(/*session_present=*/true).subscribe) == Names{"a/#"});  // not known what it holds
  CHECK(s.on_connected(true).empty());
  s.subscribe_failed();
  CHECK(filters(s.on_connected(true).subscribe) == Names{"a/#"});
}
