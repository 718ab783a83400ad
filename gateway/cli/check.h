// gateway/cli/check.h — `edgegw check`: validate the config and everything it
// names. `edgegw run` runs the same checks first (check_config), so both
// commands report the same diagnostics.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "core/diag.h"
#include "gateway/config/config.h"
#include "rules/routes.h"
#include "rules/rule_set.h"

namespace edgegw::gateway {

struct CheckOptions {
  bool strict = false;                              // `run`: a missing rules path is always an error
  std::string mosquitto_conf = kMosquittoConfPath;  // the local broker's config, for queueing advice
  // `check` loads the HTTP modules the config needs; `run` loads each when it
  // first needs it (http_module.h), so a gateway without webhooks never maps libcurl.
  bool load_http_modules = true;
};

// What the checks loaded; `rules` is null when any error was reported.
struct Checked {
  std::optional<Config> cfg;
  rules::Routes routes;
  std::shared_ptr<const rules::RuleSet> rules;
  size_t rule_files = 0;
  size_t rule_count = 0;
};

// gateway.yaml, its routes, every rule file (even when gateway.yaml has
// errors: every mistake in one run), then the machine: state_dir, the local
// mosquitto.conf, the disk size and the HTTP modules. Every problem goes into
// `diags`, in the order it is printed. Nothing throws; any one thread.
Checked check_config(const std::string& config_path, const CheckOptions& opts, Diagnostics& diags);

// Prints every diagnostic to `err` as FILE:LINE:COL lines and a one-line
// summary to `out`. Returns 0 when there is no error (warnings allowed), 1
// otherwise.
int run_check(const std::string& config_path, std::ostream& out, std::ostream& err, const std::string& mosquitto_conf);

// Prints the diagnostics to `err` and, when there are errors, the summary
// line `CONFIG: N error(s)`. Returns true when there is no error.
bool report_diagnostics(const std::string& config_path, const Diagnostics& diags, std::ostream& err);

}  // namespace edgegw::gateway
