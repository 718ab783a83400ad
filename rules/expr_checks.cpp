#include "rules/expr_checks.h"

#include <re2/re2.h>

#include <algorithm>

namespace edgegw::rules::detail {

namespace {

struct RootName {
  std::string_view name;
  Root root;
};
constexpr RootName kRoots[] = {
    {"payload", Root::payload},   {"topic", Root::topic}, {"retained", Root::retained}, {"device", Root::device},
    {"previous", Root::previous}, {"state", Root::state}, {"gateway", Root::gateway},
};

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

const Literal* as_literal(const NodePtr& n) { return std::get_if<Literal>(&n->v); }

bool is_field(const Step& s) { return !s.is_index && !s.dynamic; }

std::optional<CompileError> check_device(const PathExpr& path, int col) {
  const auto& steps = path.steps;
  const auto known =
      std::find(std::begin(kDeviceFields), std::end(kDeviceFields), steps.empty() ? std::string() : steps[0].key);
  if (steps.size() == 1 && is_field(steps[0]) && known != std::end(kDeviceFields)) return std::nullopt;
  std::string list;
  for (std::string_view f : kDeviceFields) list += (list.empty() ? "device." : ", device.") + std::string(f);
  return CompileError{col, "'device' has the fields " + list};
}

std::optional<CompileError> check_regex(Call& call, int col) {
  const Literal* pattern = as_literal(call.args[1]);
  if (pattern == nullptr || !pattern->value.is_string()) {
    return CompileError{col, "matches() needs its pattern as a string literal"};
  }
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(pattern->value.as_string(), options);
  if (!re->ok()) return CompileError{col, "invalid regular expression: " + re->error()};
  call.regex = std::move(re);
  return std::nullopt;
}

}  // namespace

std::optional<Root> find_root(std::string_view name) {
  for (const RootName& r : kRoots) {
    if (r.name == name) return r.root;
  }
  return std::nullopt;
}

std::string suggestion(std::string_view name, bool functions_only) {
  std::vector<std::string_view> candidates;
  if (!functions_only) {
    for (const RootName& r : kRoots) candidates.push_back(r.name);
  }
  for (const FuncInfo& f : functions()) candidates.push_back(f.name);
  std::string_view best;
  size_t best_distance = 3;  // at most two edits, and fewer than the name is long
  for (std::string_view c : candidates) {
    const size_t d = edit_distance(name, c);
    if (d < best_distance && d < std::max<size_t>(name.size(), 2)) {
      best = c;
      best_distance = d;
    }
  }
  return best.empty() ? std::string() : " (did you mean '" + std::string(best) + "'?)";
}

std::string arity_message(const FuncInfo& f, int got) {
  std::string want = std::to_string(f.min_args);
  if (f.max_args == kMaxArgs) {
    want += " to " + std::to_string(kMaxArgs);
  } else if (f.max_args != f.min_args) {
    want += " or " + std::to_string(f.max_args);
  }
  const bool plural = f.max_args != 1 || f.min_args != 1;
  return std::string(f.name) + "() takes " + want + (plural ? " arguments" : " argument") + ", got " +
         std::to_string(got);
}

std::optional<CompileError> check_path(const PathExpr& path, std::string_view root_name,
                                       const std::vector<int>& columns) {
  const auto& steps = path.steps;
  const int col = columns[steps.empty() ? 0 : 1];
  const auto fail = [&](std::string message) { return CompileError{col, std::move(message)}; };
  switch (path.root) {
    case Root::payload:
    case Root::previous: return std::nullopt;
    case Root::topic:
      if (steps.empty() || (steps.size() == 1 && !is_field(steps[0]))) return std::nullopt;
      return fail("'topic' takes one level index, as in topic[1]");
    case Root::retained:
      if (steps.empty()) return std::nullopt;
      return fail("'retained' has no fields");
    case Root::state:
      if (!steps.empty() && is_field(steps[0])) return std::nullopt;
      return fail("'state' needs a name, as in state.NAME");
    case Root::gateway:
      if (steps.size() == 1 && is_field(steps[0]) && steps[0].key == "id") return std::nullopt;
      return fail("'gateway' has one field: gateway.id");
    case Root::device: return check_device(path, col);
  }
  return fail("unknown name '" + std::string(root_name) + "'");
}

std::optional<CompileError> check_call(Call& call, const std::vector<int>& columns) {
  if (call.func == Func::matches) return check_regex(call, columns[1]);
  if (call.func != Func::between) return std::nullopt;
  for (size_t i = 0; i < call.args.size(); ++i) {
    const Literal* lit = as_literal(call.args[i]);
    if (lit == nullptr) continue;  // computed: checked at run time (null if bad)
    if (!lit->value.is_string() || !parse_time_of_day(lit->value.as_string())) {
      return CompileError{columns[i], "between() needs times as 'HH:MM' or 'HH:MM:SS'"};
    }
  }
  return std::nullopt;
}

}  // namespace edgegw::rules::detail
