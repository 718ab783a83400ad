#include "rules/template.h"

#include <cstdio>

#include "core/topic.h"

namespace edgegw::rules {

namespace {

constexpr size_t kMaxTopicBytes = 65535;

// Index of the "}}" closing a "{{" whose body starts at `from`, skipping
// quoted strings (so '{{ "a}}b" }}' works), or npos.
size_t find_close(std::string_view text, size_t from) {
  char quote = 0;
  for (size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      return i;
    }
  }
  return std::string_view::npos;
}

constexpr std::string_view kBlank = " \t\r\n";

bool is_blank(std::string_view s) { return s.find_first_not_of(kBlank) == std::string_view::npos; }

// For error messages and logs: quoted, at most 200 bytes, and when the topic
// is not clean UTF-8 text every byte outside printable ASCII as \xNN, so a
// hostile value cannot write control characters into the log.
std::string quoted_topic(std::string_view topic) {
  constexpr size_t kShown = 200;
  const bool clean = find_unfit_topic_char(topic) == std::string_view::npos;
  std::string out = "'";
  for (char ch : topic.substr(0, kShown)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) {
      out += "\\0";
    } else if (!clean && (c < 0x20 || c >= 0x7F)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    } else {
      out += ch;
    }
  }
  if (topic.size() > kShown) out += "...";
  return out + "'";
}

}  // namespace

CompileResult<Template> Template::compile(std::string_view text) {
  Template t;
  t.text_ = std::string(text);
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      t.pieces_.push_back(Piece{std::string(text.substr(pos)), std::nullopt, pos});
      break;
    }
    if (open > pos) t.pieces_.push_back(Piece{std::string(text.substr(pos, open - pos)), std::nullopt, pos});
    const size_t close = find_close(text, open + 2);
    const int open_col = static_cast<int>(open) + 1;
    if (close == std::string_view::npos) return CompileError{open_col, "'{{' is not closed by '}}'"};
    std::string_view body = text.substr(open + 2, close - open - 2);
    if (is_blank(body)) return CompileError{open_col, "empty '{{ }}'"};
    const size_t lead = body.find_first_not_of(kBlank);
    body = body.substr(lead, body.find_last_not_of(kBlank) + 1 - lead);
    auto expr = Expression::compile(body);
    if (!expr) {
      const int body_col = static_cast<int>(open + 2 + lead);
      return CompileError{body_col + expr.error().column, expr.error().message};
    }
    t.pieces_.push_back(Piece{{}, std::move(expr).value(), open});
    ++t.expression_count_;
    pos = close + 2;
  }
  return t;
}

CompileResult<Template> Template::compile_topic(std::string_view text) {
  if (text.empty()) return CompileError{1, "empty topic"};
  auto t = compile(text);
  if (!t) return t;
  for (const Piece& p : t.value().pieces_) {
    const size_t bad = p.expr ? std::string::npos : p.literal.find_first_of(std::string_view("+#\0", 3));
    if (bad != std::string::npos) {
      const char c = p.literal[bad];
      const std::string what = c == '\0' ? "a NUL byte" : "'" + std::string(1, c) + "'";
      return CompileError{static_cast<int>(p.offset + bad) + 1,
                          "a topic to publish to cannot contain " + what + " (wildcards are for filters)"};
    }
  }
  return t;
}

void Template::render(const EvalContext& ctx, std::string& out) const {
  for (const Piece& p : pieces_) {
    if (p.expr) {
      p.expr->evaluate(ctx).append_text(out);
    } else {
      out += p.literal;
    }
  }
}

std::string Template::render(const EvalContext& ctx) const {
  std::string out;
  render(ctx, out);
  return out;
}

Value Template::render_value(const EvalContext& ctx) const {
  if (is_single_expression()) return pieces_[0].expr->evaluate(ctx);
  return Value::from_string(render(ctx));
}

Result<std::string> Template::render_topic(const EvalContext& ctx) const {
  std::string out;
  // (offset, piece) where an expression rendered nothing; allocated only then.
  std::vector<std::pair<size_t, const Piece*>> empties;
  for (const Piece& p : pieces_) {
    if (!p.expr) {
      out += p.literal;
      continue;
    }
    const size_t before = out.size();
    p.expr->evaluate(ctx).append_text(out);
    if (out.size() == before) empties.emplace_back(before, &p);
  }
  // Built only on failure: the happy path allocates nothing but `out`.
  const auto fail = [&](std::string detail) {
    return Status::error("topic template '" + text_ + "'", std::move(detail));
  };
  if (out.empty()) return fail("rendered an empty topic");
  for (const auto& [at, piece] : empties) {
    const bool opens = at == 0 || out[at - 1] == '/';
    const bool closes = at == out.size() || out[at] == '/';
    if (opens && closes) {
      return fail("rendered topic " + quoted_topic(out) + " has an empty level: '{{ " + piece->expr->text() +
                  " }}' rendered nothing");
    }
  }
  const size_t bad = out.find_first_of(std::string_view("+#\0", 3));
  if (bad != std::string::npos) {
    const std::string what = out[bad] == '\0' ? "a NUL byte" : "'" + std::string(1, out[bad]) + "'";
    return fail("rendered topic " + quoted_topic(out) + " contains " + what);
  }
  if (out.size() > kMaxTopicBytes) return fail("rendered topic is longer than 65535 bytes");
  if (const size_t at = find_unfit_topic_char(out); at != std::string::npos) {
    const auto byte = static_cast<unsigned char>(out[at]);
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", byte);
    return fail("rendered topic " + quoted_topic(out) + " contains " +
                (byte < 0x80 ? std::string("the control character ") + hex
                             : "malformed UTF-8 or a control character at byte " + std::to_string(at)));
  }
  // A '$' first level is the broker's ($SYS, $share): only the text may
  // write one, never a value (a device named "$SYS" must not escape the prefix).
  if (out.front() == '$' && (pieces_.empty() || pieces_.front().expr || pieces_.front().literal.empty())) {
    return fail("rendered topic " + quoted_topic(out) + " starts with '$', which a value may not write");
  }
  return out;
}

bool Template::reads_payload() const {
  for (const Piece& p : pieces_) {
    if (p.expr && p.expr->reads_payload()) return true;
  }
  return false;
}

}  // namespace edgegw::rules
