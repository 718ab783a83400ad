// Recursive-descent parser: tokens -> detail::Node tree, checked at load
// time so that evaluation never meets an unknown name or a bad regex.
#include <algorithm>
#include <cmath>

#include "rules/expr_ast.h"
#include "rules/expr_checks.h"
#include "rules/expr_lexer.h"
#include "rules/expression.h"

namespace edgegw::rules {

namespace detail {
namespace {

constexpr int kMaxNesting = 64;  // keeps the parser's and evaluator's recursion bounded

NodePtr make(int column, auto alternative) {
  auto n = std::make_unique<Node>();
  n->v = std::move(alternative);
  n->column = column;
  return n;
}

const Literal* as_literal(const NodePtr& n) { return std::get_if<Literal>(&n->v); }

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  CompileResult<NodePtr> run() {
    if (peek().kind == Tok::end) return CompileError{1, "empty expression"};
    NodePtr root = parse_expr();
    if (root && peek().kind != Tok::end) {
      fail(peek().column, "unexpected " + describe(peek()) + " after the expression");
    }
    if (error_) return std::move(*error_);
    return root;
  }

  bool reads_payload() const { return reads_payload_; }

 private:
  // --- token helpers -------------------------------------------------------
  const Token& peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  const Token& take() { return tokens_[std::min(pos_++, tokens_.size() - 1)]; }
  bool is_word(std::string_view w, size_t ahead = 0) const {
    return peek(ahead).kind == Tok::ident && peek(ahead).text == w;
  }
  NodePtr fail(int column, std::string message) {
    if (!error_) error_ = CompileError{column, std::move(message)};
    return nullptr;
  }
  bool expect(Tok kind, std::string_view what, int opened_at) {
    if (peek().kind == kind) {
      take();
      return true;
    }
    std::string msg = "expected '" + std::string(what) + "'";
    if (opened_at > 0) msg += " to close the one at column " + std::to_string(opened_at);
    fail(peek().column, msg + ", found " + describe(peek()));
    return false;
  }

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) { ++p.depth_; }
    ~DepthGuard() { --p.depth_; }
    bool too_deep() const { return p.depth_ > kMaxNesting; }
  };

  // --- precedence levels, loosest first -------------------------------------
  NodePtr parse_expr() {
    DepthGuard guard(*this);
    if (guard.too_deep()) return fail(peek().column, "expression nested too deeply");
    return parse_or();
  }

  NodePtr parse_or() {
    NodePtr lhs = parse_and();
    while (lhs && is_word("or")) {
      const int col = take().column;
      NodePtr rhs = parse_and();
      if (!rhs) return nullptr;
      lhs = make(col, Binary{BinaryOp::or_, std::move(lhs), std::move(rhs)});
    }
    return lhs;
  }

  NodePtr parse_and() {
    NodePtr lhs = parse_not();
    while (lhs && is_word("and")) {
      const int col = take().column;
      NodePtr rhs = parse_not();
      if (!rhs) return nullptr;
      lhs = make(col, Binary{BinaryOp::and_, std::move(lhs), std::move(rhs)});
    }
    return lhs;
  }

  NodePtr parse_not() {
    if (!is_word("not")) return parse_comparison();
    const int col = take().column;
    DepthGuard guard(*this);
    if (guard.too_deep()) return fail(col, "expression nested too deeply");
    NodePtr operand = parse_not();
    if (!operand) return nullptr;
    return make(col, Unary{UnaryOp::logical_not, std::move(operand)});
  }

  // The comparison operator at the cursor (consumed), or nullopt.
  std::optional<BinaryOp> take_comparison() {
    static constexpr std::pair<Tok, BinaryOp> kOps[] = {
        {Tok::eq, BinaryOp::eq}, {Tok::ne, BinaryOp::ne}, {Tok::lt, BinaryOp::lt},
        {Tok::le, BinaryOp::le}, {Tok::gt, BinaryOp::gt}, {Tok::ge, BinaryOp::ge},
    };
    for (const auto& [tok, op] : kOps) {
      if (peek().kind == tok) {
        take();
        return op;
      }
    }
    if (is_word("in")) {
      take();
      return BinaryOp::in;
    }
    if (is_word("not") && is_word("in", 1)) {
      pos_ += 2;
      return BinaryOp::not_in;
    }
    return std::nullopt;
  }

  NodePtr parse_comparison() {
    NodePtr lhs = parse_additive();
    if (!lhs) return nullptr;
    const int col = peek().column;
    const auto op = take_comparison();
    if (!op) return lhs;
    NodePtr rhs = parse_additive();
    if (!rhs) return nullptr;
    const int next_col = peek().column;
    if (take_comparison()) {
      return fail(next_col, "comparisons do not chain; combine them with 'and'");
    }
    return make(col, Binary{*op, std::move(lhs), std::move(rhs)});
  }

  NodePtr parse_additive() {
    NodePtr lhs = parse_multiplicative();
    while (lhs && (peek().kind == Tok::plus || peek().kind == Tok::minus)) {
      const Token& t = take();
      const BinaryOp op = t.kind == Tok::plus ? BinaryOp::add : BinaryOp::sub;
      NodePtr rhs = parse_multiplicative();
      if (!rhs) return nullptr;
      lhs = make(t.column, Binary{op, std::move(lhs), std::move(rhs)});
    }
    return lhs;
  }

  NodePtr parse_multiplicative() {
    NodePtr lhs = parse_unary();
    while (lhs && (peek().kind == Tok::star || peek().kind == Tok::slash || peek().kind == Tok::percent)) {
      const Token& t = take();
      const BinaryOp op = t.kind == Tok::star ? BinaryOp::mul : t.kind == Tok::slash ? BinaryOp::div : BinaryOp::mod;
      NodePtr rhs = parse_unary();
      if (!rhs) return nullptr;
      lhs = make(t.column, Binary{op, std::move(lhs), std::move(rhs)});
    }
    return lhs;
  }

  NodePtr parse_unary() {
    if (peek().kind != Tok::minus) return parse_primary();
    const int col = take().column;
    DepthGuard guard(*this);
    if (guard.too_deep()) return fail(col, "expression nested too deeply");
    NodePtr operand = parse_unary();
    if (!operand) return nullptr;
    if (const Literal* lit = as_literal(operand); lit && lit->value.is_number()) {
      return make(col, Literal{Value::from_number(-lit->value.as_number())});
    }
    return make(col, Unary{UnaryOp::negate, std::move(operand)});
  }

  // --- primaries -------------------------------------------------------------
  NodePtr parse_primary() {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::number: take(); return make(t.column, Literal{Value::from_number(t.number)});
      case Tok::string: take(); return make(t.column, Literal{Value::from_string(t.str)});
      case Tok::lparen: {
        take();
        NodePtr inner = parse_expr();
        if (!inner || !expect(Tok::rparen, ")", t.column)) return nullptr;
        return inner;
      }
      case Tok::lbracket: return parse_list();
      case Tok::ident: return parse_name();
      default: return fail(t.column, "expected an expression, found " + describe(t));
    }
  }

  NodePtr parse_list() {
    const int col = take().column;
    ListExpr list;
    if (peek().kind != Tok::rbracket) {
      do {
        NodePtr item = parse_expr();
        if (!item) return nullptr;
        list.items.push_back(std::move(item));
      } while (peek().kind == Tok::comma && take().kind == Tok::comma);
    }
    if (!expect(Tok::rbracket, "]", col)) return nullptr;
    return make(col, std::move(list));
  }

  NodePtr parse_name() {
    const Token& t = take();
    const std::string_view name = t.text;
    if (name == "true" || name == "false") return make(t.column, Literal{Value::from_bool(name == "true")});
    if (name == "null") return make(t.column, Literal{});
    if (name == "and" || name == "or" || name == "not" || name == "in") {
      return fail(t.column, "expected an expression, found '" + std::string(name) + "'");
    }
    if (peek().kind == Tok::lparen) return parse_call(t);
    if (const auto root = find_root(name)) return parse_path(t, *root);
    if (const FuncInfo* f = find_function(name)) {
      if (f->bare_ok) return make(t.column, Call{f->func, {}, nullptr});
      const std::string n(name);
      return fail(t.column, "'" + n + "' is a function: write " + n + "(...)");
    }
    return fail(t.column, "unknown name '" + std::string(name) + "'" + suggestion(name, false));
  }

  NodePtr parse_call(const Token& name_tok) {
    const std::string_view name = name_tok.text;
    const FuncInfo* f = find_function(name);
    if (f == nullptr) {
      return fail(name_tok.column, "unknown function '" + std::string(name) + "'" + suggestion(name, true));
    }
    const int open_col = take().column;
    Call call{f->func, {}, nullptr};
    std::vector<int> arg_columns;
    if (peek().kind != Tok::rparen) {
      do {
        arg_columns.push_back(peek().column);
        NodePtr arg = parse_expr();
        if (!arg) return nullptr;
        call.args.push_back(std::move(arg));
      } while (peek().kind == Tok::comma && take().kind == Tok::comma);
    }
    if (!expect(Tok::rparen, ")", open_col)) return nullptr;
    const int n = static_cast<int>(call.args.size());
    if (n < f->min_args || n > f->max_args) return fail(name_tok.column, arity_message(*f, n));
    if (f->func == Func::changed) reads_payload_ = true;
    if (auto err = check_call(call, arg_columns)) return fail(err->column, std::move(err->message));
    return make(name_tok.column, std::move(call));
  }

  NodePtr parse_path(const Token& root_tok, Root root);
  bool parse_step(PathExpr& path);

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  bool reads_payload_ = false;
  std::optional<CompileError> error_;
};

// `.name`, `[literal]` or `[expr]`.
bool Parser::parse_step(PathExpr& path) {
  Step step;
  if (take().kind == Tok::dot) {
    if (peek().kind != Tok::ident) {
      fail(peek().column, "expected a field name after '.', found " + describe(peek()));
      return false;
    }
    step.key = std::string(take().text);
  } else {
    const int open_col = tokens_[pos_ - 1].column;
    NodePtr key = parse_expr();
    if (!key || !expect(Tok::rbracket, "]", open_col)) return false;
    const Literal* lit = as_literal(key);
    if (lit && lit->value.is_string()) {
      step.key = lit->value.as_string();
    } else if (lit && lit->value.is_number() && exact_int64(lit->value.as_number())) {
      step.is_index = true;
      step.index = *exact_int64(lit->value.as_number());
    } else if (lit && lit->value.is_number() && std::trunc(lit->value.as_number()) == lit->value.as_number()) {
      fail(open_col + 1, "index " + lit->value.to_text() + " is out of range");
      return false;
    } else if (lit) {
      fail(open_col + 1, "an index must be a string or a whole number");
      return false;
    } else {
      step.dynamic = std::move(key);
      path.has_dynamic = true;
    }
  }
  path.steps.push_back(std::move(step));
  return true;
}

NodePtr Parser::parse_path(const Token& root_tok, Root root) {
  PathExpr path;
  path.root = root;
  std::vector<int> columns{root_tok.column};
  while (peek().kind == Tok::dot || peek().kind == Tok::lbracket) {
    columns.push_back(peek().column);
    if (!parse_step(path)) return nullptr;
  }
  if (auto err = check_path(path, root_tok.text, columns)) return fail(err->column, std::move(err->message));
  if (root == Root::payload) reads_payload_ = true;
  NodePtr node = make(root_tok.column, std::move(path));
  // Now that the steps have their final address, the keys may borrow them.
  auto& p = std::get<PathExpr>(node->v);
  if (!p.has_dynamic) {
    for (const Step& s : p.steps) p.keys.push_back(PathKey{s.key, s.index, s.is_index});
  }
  return node;
}

}  // namespace
}  // namespace detail

CompileResult<Expression> Expression::compile(std::string_view text) {
  auto tokens = detail::tokenize(text);
  if (!tokens) return tokens.error();
  detail::Parser parser(std::move(tokens).value());
  auto root = parser.run();
  if (!root) return root.error();
  std::shared_ptr<const detail::Node> shared(std::move(root).value().release());
  return Expression(std::string(text), std::move(shared), parser.reads_payload());
}

Value Expression::evaluate(const EvalContext& ctx) const { return detail::evaluate(*root_, ctx, /*previous=*/false); }

}  // namespace edgegw::rules
