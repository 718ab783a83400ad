// rules/expr_lexer.h — internal: splits expression text into tokens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/compile_error.h"

namespace edgegw::rules::detail {

enum class Tok : uint8_t {
  end,
  number,
  string,
  ident,
  lparen,
  rparen,
  lbracket,
  rbracket,
  comma,
  dot,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  plus,
  minus,
  star,
  slash,
  percent,
};

struct Token {
  Tok kind = Tok::end;
  int column = 1;         // 1-based, of the token's first character
  std::string_view text;  // as written (borrows the compiled text)
  double number = 0;      // Tok::number
  std::string str;        // Tok::string, unescaped
};

// The tokens of `text`, ending with one Tok::end. Errors: an unterminated
// string, an unknown escape, a stray character, or C-style operators
// (&&, ||, !, =), which get a hint towards the word to use instead.
CompileResult<std::vector<Token>> tokenize(std::string_view text);

// How a token reads in an error message: "')'", "'abs'", "end of expression".
std::string describe(const Token& t);

}  // namespace edgegw::rules::detail
