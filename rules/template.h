// rules/template.h — `{{ expr }}` inside strings: topics, log lines, payloads.
//
// Compiled once at load time; rendering never throws. In text, a value
// renders as Value::append_text does: strings as-is, null (a missing field)
// as nothing, numbers as JSON prints them ("3", not "3.0"), objects and
// lists as compact JSON. Inside `{{ }}`, a quoted "}}" does not close it.
//
// Threads: immutable after compile; render on any thread with its own
// EvalContext.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "rules/compile_error.h"
#include "rules/eval_context.h"
#include "rules/expression.h"

namespace edgegw::rules {

class Template {
 public:
  // Errors: an unclosed "{{", an empty "{{ }}", or the expression's own
  // error, with the column inside `text`.
  static CompileResult<Template> compile(std::string_view text);

  // For a topic to publish to: also rejects an empty text and '+', '#' or
  // NUL in the literal parts, at load time.
  static CompileResult<Template> compile_topic(std::string_view text);

  // Appends the rendered text to `out`.
  void render(const EvalContext& ctx, std::string& out) const;
  std::string render(const EvalContext& ctx) const;

  // Typed rendering: a template that is exactly one "{{ expr }}" gives the
  // expression's value (a number stays a number, missing is null);
  // anything else gives the rendered text as a string.
  Value render_value(const EvalContext& ctx) const;

  // Renders a topic name and checks it: an error (never an exception) if it
  // is empty, longer than 65535 bytes, contains '+', '#' or NUL, or has an
  // empty level because an expression rendered nothing ("a/{{ x }}/b" with
  // x missing). Empty levels that the template text or an expression's value
  // wrote ("a//b", or `{{ topic }}` being "/dev/1") are kept.
  Result<std::string> render_topic(const EvalContext& ctx) const;

  bool is_constant() const { return expression_count_ == 0; }
  bool is_single_expression() const { return pieces_.size() == 1 && pieces_[0].expr.has_value(); }
  bool reads_payload() const;
  const std::string& text() const { return text_; }

 private:
  struct Piece {
    std::string literal;  // when expr is empty
    std::optional<Expression> expr;
    size_t offset = 0;  // where the piece starts in text_
  };

  Template() = default;

  std::string text_;
  std::vector<Piece> pieces_;
  int expression_count_ = 0;
};

}  // namespace edgegw::rules
