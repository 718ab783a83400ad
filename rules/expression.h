// rules/expression.h — the condition language of rules and routes.
//
// Compiled once at load time, evaluated per event. The language:
//
//   literals    12  -3.5  1e3  'text'  "text"  true  false  null  [1, 'a']
//   names       payload  payload.a.b  payload["a b"]  payload.list[0]
//               topic  topic[i]  (level i, 0-based; negative counts from the end)
//               retained  device.id  device.online  device.profile
//               previous.x  state.NAME  gateway.id
//   operators   or < and < not < (== != < <= > >= in, not in) < (+ -) < (* / %)
//               < unary -; parentheses group. Comparisons do not chain.
//   functions   abs(x) min(a, b, ...) max(a, b, ...) (or one list argument)
//               round(x[, digits]) floor(x) ceil(x) int(x) float(x) str(x)
//               len(x) (characters of a string, items of a list or object)
//               lower(s) upper(s) (ASCII) contains(a, b) starts_with(s, p)
//               ends_with(s, p) matches(s, 'RE2') (search anywhere; anchor
//               with ^ and $; the pattern must be a literal, compiled at load)
//               now() (Unix time in seconds, with a fraction)
//               hour() minute() weekday() (0 = Monday ... 6 = Sunday)
//               between('22:00', '06:00') (start inclusive, end exclusive,
//               wraps midnight; 'HH:MM' or 'HH:MM:SS'; equal bounds: never)
//               changed(expr): expr differs between this payload and the
//               previous one (`payload` reads the previous payload inside).
//               now, hour, minute and weekday may be written without ().
//
// Null semantics (design.md, Precise semantics): a missing field is null;
// == and != compare presence (null == null); < <= > >= with a null side are
// false; and/or/not treat null as false; a type error at run time (such as
// 'a' * 2, 1 / 0, or ordering a string against a number) gives null, never
// an exception. `in`: membership in a list, a substring of a string, or a
// key of an object. + adds numbers or joins strings; % is C's fmod.
//
// Threads: an Expression is immutable after compile; evaluate it on any
// thread with that thread's own EvalContext.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "rules/compile_error.h"
#include "rules/eval_context.h"
#include "rules/value.h"

namespace edgegw::rules {

namespace detail {
struct Node;
}

class Expression {
 public:
  // Errors: unknown function or name (with a "did you mean" suggestion),
  // wrong argument count, bad regex, bad between() time, syntax errors; the
  // column points into `text`.
  static CompileResult<Expression> compile(std::string_view text);

  // Never throws; the result of a failed operation is null.
  Value evaluate(const EvalContext& ctx) const;

  // The value as a condition: evaluate(ctx).truthy().
  bool test(const EvalContext& ctx) const { return evaluate(ctx).truthy(); }

  // What the expression read, for "why did my rule not fire": each name it
  // reads (payload.temp, topic[1], state.mode …) and each time function,
  // once, with its value in `ctx`: "payload.temp = 21.5, hour = 7". Off the
  // hot path: explain and debug logging only.
  std::string inputs(const EvalContext& ctx) const;

  // Whether evaluating may read the payload (and so parse it).
  bool reads_payload() const { return reads_payload_; }

  const std::string& text() const { return text_; }

 private:
  Expression(std::string text, std::shared_ptr<const detail::Node> root, bool reads_payload)
      : text_(std::move(text)), root_(std::move(root)), reads_payload_(reads_payload) {}

  std::string text_;
  std::shared_ptr<const detail::Node> root_;
  bool reads_payload_ = false;
};

}  // namespace edgegw::rules
