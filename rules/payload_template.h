// rules/payload_template.h — a publish payload written in YAML, compiled once.
//
// The config loader turns the YAML `payload:` node into a PayloadSpec; this
// compiles it into fixed JSON text with slots for the templates, and renders
// the MQTT payload bytes (design.md, Precise semantics):
//  - a map or list becomes compact JSON, keys in written order;
//  - in it, a string that is exactly one "{{ expr }}" becomes the value's
//    JSON (numbers stay numbers, a missing field is null and the key stays);
//    any other string with templates becomes a JSON string of its text;
//  - a string at the root is sent as its rendered text, not JSON-quoted;
//  - a number or bool at the root is sent as its JSON text; null at the root
//    is an empty payload.
//
// Threads: immutable after compile; render on any thread with its own EvalContext.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/diag.h"
#include "rules/eval_context.h"
#include "rules/template.h"

namespace edgegw::rules {

// A YAML value as written. Numbers are doubles, so integers beyond 2^53 lose
// precision (write such ids as strings).
struct PayloadSpec {
  // A map entry. Not a std::pair: pair<std::string, PayloadSpec> here would
  // instantiate pair with an incomplete type, which clang (the fuzz build)
  // rejects. Named like pair's members so code reads the same.
  struct Member;
  using List = std::vector<PayloadSpec>;
  using Map = std::vector<Member>;  // written order

  std::variant<std::monostate, bool, double, std::string, List, Map> value;
  SourcePos pos;  // where the value's text starts: template errors are placed from it
};

struct PayloadSpec::Member {
  std::string first;   // the key
  PayloadSpec second;  // its value
};

class PayloadTemplate {
 public:
  // Reports every template error to `diag` at its scalar's position plus the
  // column, as "WHERE.key[1]: MESSAGE"; nullopt if there was any.
  static std::optional<PayloadTemplate> compile(const PayloadSpec& spec, Diagnostics& diag, std::string_view where);

  // Appends the payload bytes to `out`.
  void render(const EvalContext& ctx, std::string& out) const;
  std::string render(const EvalContext& ctx) const;

  // True if the payload has no templates (render() then always gives the same bytes).
  bool is_constant() const;

 private:
  enum class Slot : uint8_t {
    json_text,    // fixed, already JSON-encoded text
    json_value,   // "{{ expr }}" alone: the value as JSON
    json_string,  // a string with templates: a JSON string of its text
    raw_text,     // the root string: its text as the payload
  };
  struct Piece {
    Slot slot = Slot::json_text;
    std::string text;
    std::optional<Template> tmpl;
  };
  class Builder;

  std::vector<Piece> pieces_;
};

}  // namespace edgegw::rules
