#include "rules/payload_template.h"

namespace edgegw::rules {

// Walks a PayloadSpec, merging fixed JSON into as few text pieces as possible.
class PayloadTemplate::Builder {
 public:
  Builder(Diagnostics& diag, std::vector<Piece>& pieces) : diag_(diag), pieces_(pieces) {}

  bool ok() const { return ok_; }

  void root(const PayloadSpec& spec, const std::string& where) {
    if (const auto* s = std::get_if<std::string>(&spec.value)) {
      if (auto t = compile_string(*s, spec.pos, where)) {
        pieces_.push_back(Piece{Slot::raw_text, {}, std::move(*t)});
      }
      return;
    }
    if (std::holds_alternative<std::monostate>(spec.value)) return;  // empty payload
    value(spec, where);
  }

 private:
  void value(const PayloadSpec& spec, const std::string& where) {
    std::visit([&](const auto& v) { emit(v, spec.pos, where); }, spec.value);
  }

  void emit(std::monostate, const SourcePos&, const std::string&) { fixed("null"); }
  void emit(bool b, const SourcePos&, const std::string&) { fixed(b ? "true" : "false"); }
  void emit(double d, const SourcePos&, const std::string&) {
    std::string s;
    append_json_number(d, s);
    fixed(s);
  }

  void emit(const std::string& s, const SourcePos& pos, const std::string& where) {
    if (s.find("{{") == std::string::npos) {
      std::string quoted;
      append_json_string(s, quoted);
      fixed(quoted);
      return;
    }
    auto t = compile_string(s, pos, where);
    if (!t) return;
    const Slot slot = t->is_single_expression() ? Slot::json_value : Slot::json_string;
    pieces_.push_back(Piece{slot, {}, std::move(*t)});
  }

  void emit(const PayloadSpec::List& list, const SourcePos&, const std::string& where) {
    fixed("[");
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) fixed(",");
      value(list[i], where + "[" + std::to_string(i) + "]");
    }
    fixed("]");
  }

  void emit(const PayloadSpec::Map& map, const SourcePos&, const std::string& where) {
    fixed("{");
    for (size_t i = 0; i < map.size(); ++i) {
      std::string key;
      if (i > 0) key += ',';
      append_json_string(map[i].first, key);
      key += ':';
      fixed(key);
      value(map[i].second, where.empty() ? map[i].first : where + "." + map[i].first);
    }
    fixed("}");
  }

  std::optional<Template> compile_string(const std::string& s, const SourcePos& pos, const std::string& where) {
    auto t = Template::compile(s);
    if (t) return std::move(t).value();
    report(diag_, pos, where, t.error());
    ok_ = false;
    return std::nullopt;
  }

  void fixed(std::string_view text) {
    if (pieces_.empty() || pieces_.back().slot != Slot::json_text) pieces_.push_back(Piece{});
    pieces_.back().text += text;
  }

  Diagnostics& diag_;
  std::vector<Piece>& pieces_;
  bool ok_ = true;
};

std::optional<PayloadTemplate> PayloadTemplate::compile(const PayloadSpec& spec, Diagnostics& diag,
                                                        std::string_view where) {
  PayloadTemplate out;
  Builder builder(diag, out.pieces_);
  builder.root(spec, std::string(where));
  if (!builder.ok()) return std::nullopt;
  return out;
}

void PayloadTemplate::render(const EvalContext& ctx, std::string& out) const {
  for (const Piece& p : pieces_) {
    switch (p.slot) {
      case Slot::json_text: out += p.text; break;
      case Slot::json_value: p.tmpl->render_value(ctx).append_json(out); break;
      case Slot::json_string: append_json_string(p.tmpl->render(ctx), out); break;
      case Slot::raw_text: p.tmpl->render(ctx, out); break;
    }
  }
}

std::string PayloadTemplate::render(const EvalContext& ctx) const {
  std::string out;
  render(ctx, out);
  return out;
}

bool PayloadTemplate::is_constant() const {
  for (const Piece& p : pieces_) {
    if (p.tmpl && !p.tmpl->is_constant()) return false;
  }
  return true;
}

}  // namespace edgegw::rules
