// Expression::inputs: the names an expression reads, with their values.
#include <string>
#include <vector>

#include "rules/expr_ast.h"
#include "rules/expression.h"

namespace edgegw::rules {
namespace detail {
namespace {

std::string_view root_name(Root r) {
  switch (r) {
    case Root::payload: return "payload";
    case Root::topic: return "topic";
    case Root::retained: return "retained";
    case Root::device: return "device";
    case Root::previous: return "previous";
    case Root::state: return "state";
    case Root::gateway: return "gateway";
  }
  return "";
}

bool plain_name(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (char c : key) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string path_text(const PathExpr& p) {
  std::string out(root_name(p.root));
  for (const Step& s : p.steps) {
    if (s.dynamic) {
      out += "[…]";
    } else if (s.is_index) {
      out += "[" + std::to_string(s.index) + "]";
    } else if (plain_name(s.key)) {
      out += "." + s.key;
    } else {
      out += "[" + Value::from_string(s.key).to_json() + "]";
    }
  }
  return out;
}

// Collects "name = value" for every path and bare time function under `node`,
// each name once, in the order they appear.
class InputCollector {
 public:
  explicit InputCollector(const EvalContext& ctx) : ctx_(ctx) {}

  void walk(const Node& node) {
    if (const auto* p = std::get_if<PathExpr>(&node.v)) {
      add(path_text(*p), node);
    } else if (const auto* c = std::get_if<Call>(&node.v)) {
      const FuncInfo& f = function_info(c->func);
      if (f.bare_ok && c->args.empty()) add(std::string(f.name), node);
      for (const auto& a : c->args) walk(*a);
    } else if (const auto* u = std::get_if<Unary>(&node.v)) {
      walk(*u->operand);
    } else if (const auto* b = std::get_if<Binary>(&node.v)) {
      walk(*b->lhs);
      walk(*b->rhs);
    } else if (const auto* l = std::get_if<ListExpr>(&node.v)) {
      for (const auto& item : l->items) walk(*item);
    }
  }

  std::string text() const {
    std::string out;
    for (const auto& [name, value] : seen_) out += (out.empty() ? "" : ", ") + name + " = " + value;
    return out.empty() ? "it reads nothing from the event" : out;
  }

 private:
  void add(std::string name, const Node& node) {
    for (const auto& [n, v] : seen_) {
      if (n == name) return;
    }
    const Value v = evaluate(node, ctx_, /*previous=*/false);
    seen_.emplace_back(std::move(name), v.is_null() ? "null (missing)" : v.to_json());
  }

  const EvalContext& ctx_;
  std::vector<std::pair<std::string, std::string>> seen_;
};

}  // namespace
}  // namespace detail

std::string Expression::inputs(const EvalContext& ctx) const {
  detail::InputCollector c(ctx);
  c.walk(*root_);
  return c.text();
}

}  // namespace edgegw::rules
