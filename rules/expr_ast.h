// rules/expr_ast.h — internal: the compiled form of an Expression.
//
// Built by expr_parser.cpp, read by expr_eval.cpp and expr_functions.cpp.
// Immutable once built; nothing outside rules/ includes this header.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rules/eval_context.h"
#include "rules/value.h"

namespace re2 {
class RE2;
}

namespace edgegw::rules::detail {

struct Node;
using NodePtr = std::unique_ptr<Node>;

enum class Root : uint8_t { payload, topic, retained, device, previous, state, gateway };

// `.name`, `["name"]`, `[3]`, or `[expr]` (dynamic: a string key or an integer index).
struct Step {
  std::string key;
  int64_t index = 0;
  bool is_index = false;
  NodePtr dynamic;
};

struct Literal {
  Value value;
};

struct ListExpr {
  std::vector<NodePtr> items;
};

struct PathExpr {
  Root root = Root::payload;
  std::vector<Step> steps;
  // When no step is dynamic: the steps as PathKeys, borrowing the keys in
  // `steps` (filled once the node has its final address, see finish_path()).
  std::vector<PathKey> keys;
  bool has_dynamic = false;
};

enum class UnaryOp : uint8_t { negate, logical_not };

struct Unary {
  UnaryOp op;
  NodePtr operand;
};

enum class BinaryOp : uint8_t { or_, and_, eq, ne, lt, le, gt, ge, in, not_in, add, sub, mul, div, mod };

struct Binary {
  BinaryOp op;
  NodePtr lhs;
  NodePtr rhs;
};

enum class Func : uint8_t {
  abs,
  min,
  max,
  round,
  floor,
  ceil,
  to_int,
  to_float,
  str,
  len,
  lower,
  upper,
  contains,
  starts_with,
  ends_with,
  matches,
  now,
  hour,
  minute,
  weekday,
  between,
  changed,
};

struct Call {
  Func func;
  std::vector<NodePtr> args;
  std::shared_ptr<const re2::RE2> regex;  // matches(): compiled at load
};

struct Node {
  std::variant<Literal, ListExpr, PathExpr, Unary, Binary, Call> v;
  int column = 0;  // 1-based, in the expression text: for traces of why a rule did not fire
};

// What a strict function sees: its evaluated arguments, its own node (for
// the regex compiled at load) and the context (for the time functions).
struct FuncArgs {
  std::span<const Value> v;
  const Call& call;
  const EvalContext& ctx;
};

struct FuncInfo {
  std::string_view name;
  Func func;
  int min_args;
  int max_args;
  bool bare_ok;                      // may be written without () (now, hour, ...)
  Value (*impl)(const FuncArgs& a);  // null for changed(), which the evaluator runs
};

inline constexpr int kMaxArgs = 8;

// The function table, in Func order.
std::span<const FuncInfo> functions();
const FuncInfo* find_function(std::string_view name);
inline const FuncInfo& function_info(Func f) { return functions()[static_cast<size_t>(f)]; }

// `needle in hay` and contains(hay, needle): an item of a list, a substring of
// a string, a key of an object; null when the types do not fit (the caller
// decides what a null `hay` means).
Value membership(const Value& needle, const Value& hay);

// Seconds since midnight for "HH:MM" or "HH:MM:SS"; nullopt otherwise.
std::optional<int> parse_time_of_day(std::string_view text);

// Evaluates `node`; `previous` reads payload fields from the previous payload
// (inside changed()).
Value evaluate(const Node& node, const EvalContext& ctx, bool previous);

}  // namespace edgegw::rules::detail
