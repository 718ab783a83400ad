// Evaluation of a compiled expression. Null semantics follow design.md
// "Precise semantics": missing is null, ordering with null is false, a type
// error is null; nothing here throws.
#include <algorithm>
#include <array>
#include <cmath>

#include "rules/expr_ast.h"

namespace edgegw::rules::detail {

namespace {

// Level i of a topic ("a/b/c"[1] = "b"), negative from the end; null if absent.
Value topic_level(std::string_view topic, const PathKey& key) {
  if (!key.is_index) return {};
  const auto levels = static_cast<int64_t>(std::count(topic.begin(), topic.end(), '/')) + 1;
  const int64_t want = key.index < 0 ? levels + key.index : key.index;
  if (want < 0 || want >= levels) return {};
  size_t start = 0;
  for (int64_t i = 0; i < want; ++i) start = topic.find('/', start) + 1;
  const size_t end = topic.find('/', start);
  const size_t len = end == std::string_view::npos ? end : end - start;
  return Value::from_string(std::string(topic.substr(start, len)));
}

// < <= > >=: false with a null side, numbers and strings compare, else null.
Value compare(BinaryOp op, const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return Value::from_bool(false);
  int c = 0;
  if (a.is_number() && b.is_number()) {
    c = a.as_number() < b.as_number() ? -1 : (a.as_number() > b.as_number() ? 1 : 0);
  } else if (a.is_string() && b.is_string()) {
    c = a.as_string().compare(b.as_string());
  } else {
    return {};
  }
  switch (op) {
    case BinaryOp::lt: return Value::from_bool(c < 0);
    case BinaryOp::le: return Value::from_bool(c <= 0);
    case BinaryOp::gt: return Value::from_bool(c > 0);
    default: return Value::from_bool(c >= 0);
  }
}

Value arithmetic(BinaryOp op, const Value& a, const Value& b) {
  if (op == BinaryOp::add && a.is_string() && b.is_string()) {
    return Value::from_string(a.as_string() + b.as_string());
  }
  if (!a.is_number() || !b.is_number()) return {};
  const double x = a.as_number(), y = b.as_number();
  switch (op) {
    case BinaryOp::add: return Value::from_number(x + y);
    case BinaryOp::sub: return Value::from_number(x - y);
    case BinaryOp::mul: return Value::from_number(x * y);
    case BinaryOp::div: return y == 0 ? Value() : Value::from_number(x / y);
    case BinaryOp::mod: return y == 0 ? Value() : Value::from_number(std::fmod(x, y));
    default: return {};
  }
}

class Evaluator {
 public:
  Evaluator(const EvalContext& ctx, bool previous) : ctx_(ctx), previous_(previous) {}

  Value operator()(const Literal& n) const { return n.value; }

  Value operator()(const ListExpr& n) const {
    Value::Array items;
    items.reserve(n.items.size());
    for (const auto& item : n.items) items.push_back(eval(*item));
    return Value::from_array(std::move(items));
  }

  Value operator()(const PathExpr& n) const {
    if (!n.has_dynamic) return resolve(n, n.keys);
    // Storage for computed keys; reserved up front so the keys' views stay valid.
    std::vector<Value> computed;
    computed.reserve(n.steps.size());
    std::vector<PathKey> keys;
    for (const Step& s : n.steps) {
      if (!s.dynamic) {
        keys.push_back(PathKey{s.key, s.index, s.is_index});
        continue;
      }
      const Value& k = computed.emplace_back(eval(*s.dynamic));
      if (k.is_string()) {
        keys.push_back(PathKey{k.as_string(), 0, false});
      } else if (const auto index = k.is_number() ? exact_int64(k.as_number()) : std::nullopt) {
        keys.push_back(PathKey{{}, *index, true});
      } else {
        return {};
      }
    }
    return resolve(n, keys);
  }

  Value operator()(const Unary& n) const {
    const Value v = eval(*n.operand);
    if (n.op == UnaryOp::logical_not) return Value::from_bool(!v.truthy());
    return v.is_number() ? Value::from_number(-v.as_number()) : Value();
  }

  Value operator()(const Binary& n) const {
    if (n.op == BinaryOp::and_) return Value::from_bool(eval(*n.lhs).truthy() && eval(*n.rhs).truthy());
    if (n.op == BinaryOp::or_) return Value::from_bool(eval(*n.lhs).truthy() || eval(*n.rhs).truthy());
    const Value a = eval(*n.lhs);
    const Value b = eval(*n.rhs);
    switch (n.op) {
      case BinaryOp::eq: return Value::from_bool(a == b);
      case BinaryOp::ne: return Value::from_bool(!(a == b));
      case BinaryOp::lt:
      case BinaryOp::le:
      case BinaryOp::gt:
      case BinaryOp::ge: return compare(n.op, a, b);
      case BinaryOp::in: return b.is_null() ? Value::from_bool(false) : membership(a, b);
      case BinaryOp::not_in: {
        const Value m = b.is_null() ? Value::from_bool(false) : membership(a, b);
        return m.is_null() ? m : Value::from_bool(!m.as_bool());
      }
      default: return arithmetic(n.op, a, b);
    }
  }

  Value operator()(const Call& n) const {
    if (n.func == Func::changed) {
      // The same expression, once on this payload and once on the previous one.
      const Value now = eval(*n.args[0]);
      const Value before = Evaluator(ctx_, true).eval(*n.args[0]);
      return Value::from_bool(!(now == before));
    }
    std::array<Value, kMaxArgs> args;
    for (size_t i = 0; i < n.args.size(); ++i) args[i] = eval(*n.args[i]);
    const FuncArgs a{std::span<const Value>(args.data(), n.args.size()), n, ctx_};
    return function_info(n.func).impl(a);
  }

  Value eval(const Node& node) const { return std::visit(*this, node.v); }

 private:
  Value resolve(const PathExpr& n, std::span<const PathKey> keys) const {
    const Event& e = ctx_.event();
    const Lookups& look = ctx_.lookups();
    switch (n.root) {
      case Root::payload: return previous_ ? look.previous(e, keys) : ctx_.payload().get(keys);
      case Root::previous: return look.previous(e, keys);
      case Root::topic: return keys.empty() ? Value::from_string(e.topic) : topic_level(e.topic, keys[0]);
      case Root::retained: return Value::from_bool(e.retained);
      case Root::device: return look.device_field(e, keys[0].key);
      case Root::gateway: return Value::from_string(std::string(ctx_.gateway_id()));
      case Root::state: return keys[0].is_index ? Value() : lookup(look.state(keys[0].key), keys.subspan(1));
    }
    return {};
  }

  const EvalContext& ctx_;
  bool previous_;
};

}  // namespace

Value evaluate(const Node& node, const EvalContext& ctx, bool previous) { return Evaluator(ctx, previous).eval(node); }

}  // namespace edgegw::rules::detail
