// rules/route_spec.h — a `forward:` route as written in gateway.yaml, before
// compilation. The config loader fills it; rules/routes.h compiles it.
#pragma once

#include <optional>
#include <string>

#include "core/diag.h"

namespace edgegw::rules {

enum class Direction { out, in };               // out: local -> upstream; in: upstream -> local
enum class RetainMode { keep, always, never };  // keep | true | false
enum class WhileOffline { keep_all, latest_only };
enum class Priority { normal = 0, high = 1 };

struct RouteSpec {
  std::string from;  // MQTT filter on the source side
  SourcePos from_pos;
  std::optional<std::string> to;  // template; nullopt: same topic
  SourcePos to_pos;               // position of the template's first character
  Direction direction = Direction::out;
  std::optional<std::string> if_expr;
  SourcePos if_pos;  // position of the expression's first character
  int qos = 1;
  RetainMode retain = RetainMode::keep;
  WhileOffline while_offline = WhileOffline::keep_all;
  Priority priority = Priority::normal;
  SourcePos pos;  // the route's own position (its list item)
};

}  // namespace edgegw::rules
