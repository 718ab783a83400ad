#include "rules/expr_lexer.h"

#include <charconv>
#include <optional>

namespace edgegw::rules::detail {

namespace {

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }

struct SymbolRule {
  std::string_view text;
  Tok kind;
};

// Longest first, so "<=" wins over "<".
constexpr SymbolRule kSymbols[] = {
    {"==", Tok::eq},    {"!=", Tok::ne},      {"<=", Tok::le},      {">=", Tok::ge},   {"(", Tok::lparen},
    {")", Tok::rparen}, {"[", Tok::lbracket}, {"]", Tok::rbracket}, {",", Tok::comma}, {".", Tok::dot},
    {"<", Tok::lt},     {">", Tok::gt},       {"+", Tok::plus},     {"-", Tok::minus}, {"*", Tok::star},
    {"/", Tok::slash},  {"%", Tok::percent},
};

// Operators users bring from C, JavaScript or Jinja, and what to write here.
struct Hint {
  std::string_view text;
  std::string_view message;
};
constexpr Hint kHints[] = {
    {"&&", "use 'and' instead of '&&'"},
    {"||", "use 'or' instead of '||'"},
    {"!", "use 'not' instead of '!'"},
    {"=", "use '==' to compare ('=' alone is not an operator)"},
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  CompileResult<std::vector<Token>> run() {
    std::vector<Token> out;
    while (true) {
      while (pos_ < text_.size() &&
             (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
        ++pos_;
      }
      Token t;
      t.column = static_cast<int>(pos_) + 1;
      if (pos_ >= text_.size()) {
        out.push_back(std::move(t));
        return out;
      }
      if (auto err = next(t)) return std::move(*err);
      out.push_back(std::move(t));
    }
  }

 private:
  std::optional<CompileError> next(Token& t) {
    const char c = text_[pos_];
    if (is_digit(c)) return number(t);
    if (c == '\'' || c == '"') return string(t);
    if (is_ident_start(c)) {
      const size_t start = pos_;
      while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
      t.kind = Tok::ident;
      t.text = text_.substr(start, pos_ - start);
      return std::nullopt;
    }
    for (const Hint& h : kHints) {
      if (text_.substr(pos_).starts_with(h.text) && !text_.substr(pos_).starts_with("!=") &&
          !text_.substr(pos_).starts_with("==")) {
        return CompileError{t.column, std::string(h.message)};
      }
    }
    for (const SymbolRule& s : kSymbols) {
      if (text_.substr(pos_).starts_with(s.text)) {
        t.kind = s.kind;
        t.text = text_.substr(pos_, s.text.size());
        pos_ += s.text.size();
        return std::nullopt;
      }
    }
    return CompileError{t.column, "unexpected character '" + std::string(1, c) + "'"};
  }

  // digits [. digits] [e [+-] digits]
  std::optional<CompileError> number(Token& t) {
    const size_t start = pos_;
    auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
      return pos_ > from;
    };
    digits();
    if (pos_ + 1 < text_.size() && text_[pos_] == '.' && is_digit(text_[pos_ + 1])) {
      ++pos_;
      digits();
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digits()) return CompileError{t.column, "malformed number"};
    }
    if (pos_ < text_.size() && is_ident_start(text_[pos_])) {
      return CompileError{t.column, "malformed number"};
    }
    t.kind = Tok::number;
    t.text = text_.substr(start, pos_ - start);
    const auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), t.number);
    if (r.ec != std::errc()) return CompileError{t.column, "number out of range"};
    return std::nullopt;
  }

  std::optional<CompileError> string(Token& t) {
    const char quote = text_[pos_];
    const size_t start = pos_++;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_];
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) break;
        const char e = text_[pos_ + 1];
        switch (e) {
          case '\\':
          case '\'':
          case '"': c = e; break;
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          default:
            return CompileError{static_cast<int>(pos_) + 1, "unknown escape '\\" + std::string(1, e) + "' in string"};
        }
        ++pos_;
      }
      t.str += c;
      ++pos_;
    }
    if (pos_ >= text_.size()) return CompileError{t.column, "unterminated string"};
    ++pos_;  // the closing quote
    t.kind = Tok::string;
    t.text = text_.substr(start, pos_ - start);
    return std::nullopt;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

CompileResult<std::vector<Token>> tokenize(std::string_view text) { return Lexer(text).run(); }

std::string describe(const Token& t) {
  if (t.kind == Tok::end) return "end of expression";
  return "'" + std::string(t.text) + "'";
}

}  // namespace edgegw::rules::detail
