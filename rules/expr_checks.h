// rules/expr_checks.h — internal: the load-time checks the parser runs on
// names, paths and calls, so that evaluation never meets an unknown name, a
// wrong argument count or a bad regex.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/compile_error.h"
#include "rules/expr_ast.h"

namespace edgegw::rules::detail {

std::optional<Root> find_root(std::string_view name);

// " (did you mean 'abs'?)" for the closest function name (or, unless
// `functions_only`, function or root name) within two edits; else "".
std::string suggestion(std::string_view name, bool functions_only);

// "abs() takes 1 argument, got 2"
std::string arity_message(const FuncInfo& f, int got);

// Which fields each root allows (topic[i], device.id, gateway.id, state.NAME, ...).
// `columns`: the root's column, then each step's.
std::optional<CompileError> check_path(const PathExpr& path, std::string_view root_name,
                                       const std::vector<int>& columns);

// Literal arguments: compiles the RE2 of matches() into `call.regex`, checks
// the times of between(). `columns`: each argument's column.
std::optional<CompileError> check_call(Call& call, const std::vector<int>& columns);

}  // namespace edgegw::rules::detail
