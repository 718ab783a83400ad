#include "gateway/engine/session_subscriptions.h"

#include <algorithm>

namespace edgegw::gateway {
namespace {

bool has_filter(const std::vector<Subscription>& subs, const std::string& filter) {
  return std::any_of(subs.begin(), subs.end(), [&filter](const Subscription& s) { return s.filter == filter; });
}

bool has_sub(const std::vector<Subscription>& subs, const Subscription& sub) {
  return std::any_of(subs.begin(), subs.end(),
                     [&sub](const Subscription& s) { return s.filter == sub.filter && s.qos == sub.qos; });
}

void add_once(std::vector<std::string>& list, const std::string& filter) {
  if (std::find(list.begin(), list.end(), filter) == list.end()) list.push_back(filter);
}

}  // namespace

SessionSubscriptions::Changes SessionSubscriptions::on_connected(bool session_present) {
  if (!session_present) {  // a new session holds nothing, not even what we unsubscribed
    held_.clear();
    unsubscribing_.clear();
    held_known_ = true;
    return diff(/*subscribe_all=*/true);
  }
  // A kept session: unsubscribes the link lost are sent again.
  Changes c = diff(/*subscribe_all=*/!held_known_);
  for (const auto& f : unsubscribing_) {
    if (!has_filter(wanted_, f)) add_once(c.unsubscribe, f);
  }
  held_known_ = true;
  return c;
}

SessionSubscriptions::Changes SessionSubscriptions::sync() { return diff(/*subscribe_all=*/false); }

// Moves held_ to wanted_ and says what that takes.
SessionSubscriptions::Changes SessionSubscriptions::diff(bool subscribe_all) {
  Changes c;
  for (const auto& s : held_) {
    if (!has_filter(wanted_, s.filter)) {
      c.unsubscribe.push_back(s.filter);
      add_once(unsubscribing_, s.filter);
    }
  }
  for (const auto& s : wanted_) {
    if (subscribe_all || !has_sub(held_, s)) c.subscribe.push_back(s);
    unsubscribed(s.filter);  // wanted again: a late UNSUBACK must not make us send it again
  }
  held_ = wanted_;
  return c;
}

void SessionSubscriptions::unsubscribed(const std::string& filter) {
  unsubscribing_.erase(std::remove(unsubscribing_.begin(), unsubscribing_.end(), filter), unsubscribing_.end());
}

}  // namespace edgegw::gateway
