#include "rules/unreachable_triggers.h"

#include "core/topic.h"

namespace edgegw::rules {

namespace {

// "rules[N]" with N the rule's index in its own file, as the loader names it.
std::vector<std::string> rule_names(const std::vector<RuleSpec>& rules) {
  std::vector<std::string> names;
  for (size_t i = 0; i < rules.size(); ++i) {
    size_t index = 0;
    for (size_t j = 0; j < i; ++j) index += rules[j].pos.file == rules[i].pos.file ? 1 : 0;
    names.push_back("rules[" + std::to_string(index) + "] ('" + rules[i].id + "')");
  }
  return names;
}

void add(std::vector<OwnTopic>& out, Link link, std::optional<std::string> filter, std::string what) {
  if (filter && valid_topic_filter(*filter)) out.push_back({link, std::move(*filter), std::move(what)});
}

void add_rule_actions(const RuleSpec& rule, const std::string& name, std::vector<OwnTopic>& out) {
  for (size_t i = 0; i < rule.then.size(); ++i) {
    const ActionSpec& a = rule.then[i];
    const std::string what = name + " then[" + std::to_string(i) + "]";
    if (a.broken) continue;  // the loader reported it; its fields are not to be trusted
    if (a.kind == ActionKind::publish && a.topic) {
      add(out, a.to, template_filter(a.topic->text), what);
    } else if (a.kind == ActionKind::forward && a.topic) {
      add(out, Link::upstream, template_filter(a.topic->text), what);
    } else if (a.kind == ActionKind::forward) {
      // The triggering message's own topic: whatever the trigger matched.
      for (const auto& t : rule.when.topics) add(out, Link::upstream, t.text, what);
    }
  }
}

}  // namespace

std::optional<std::string> template_filter(std::string_view text) {
  std::string out;
  std::string level;
  bool has_expr = false;
  auto end_level = [&] {
    out += has_expr ? std::string("+") : level;
    level.clear();
    has_expr = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "{{") == 0) {
      size_t close = text.find("}}", i + 2);
      if (close == std::string_view::npos) return std::nullopt;
      has_expr = true;
      i = close + 1;
    } else if (text[i] == '/') {
      end_level();
      out += '/';
    } else {
      level += text[i];
    }
  }
  end_level();
  return out;
}

std::vector<OwnTopic> own_topics(const std::vector<RuleSpec>& rules, const std::vector<RouteSpec>& routes) {
  std::vector<OwnTopic> out;
  const auto names = rule_names(rules);
  for (size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].enabled) add_rule_actions(rules[i], names[i], out);
  }
  for (size_t i = 0; i < routes.size(); ++i) {
    const RouteSpec& r = routes[i];
    const Link to = r.direction == Direction::in ? Link::local : Link::upstream;
    add(out, to, r.to ? template_filter(*r.to) : r.from, "forward[" + std::to_string(i) + "]");
  }
  return out;
}

void warn_unreachable_triggers(const std::vector<RuleSpec>& rules, const std::vector<OwnTopic>& own,
                               bool local_no_local, bool upstream_no_local, Diagnostics& diags) {
  const auto names = rule_names(rules);
  for (size_t i = 0; i < rules.size(); ++i) {
    const RuleSpec& r = rules[i];
    const Link link = r.when.from_upstream ? Link::upstream : Link::local;
    if (!r.enabled || r.when.broken || !(link == Link::local ? local_no_local : upstream_no_local)) continue;
    for (const Located& t : r.when.topics) {
      for (const OwnTopic& o : own) {
        if (o.link != link || !filter_covers(o.filter, t.text)) continue;
        std::string where = names[i].substr(0, names[i].find(' '));
        diags.warning(t.pos, where + ".when.topic: '" + t.text + "' only matches topics that " + o.what +
                                 " publishes on the " + std::string(link_name(link)) +
                                 " broker, and the gateway never receives its own publishes (No Local): "
                                 "they do not fire this rule, only other clients' messages do");
        break;
      }
    }
  }
}

}  // namespace edgegw::rules
