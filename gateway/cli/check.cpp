#include "gateway/cli/check.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "gateway/config/config.h"
#include "gateway/http/http_module.h"
#include "gateway/config/rule_compile.h"
#include "rules/routes.h"
#include "rules/rule_set.h"

namespace edgegw::gateway {
namespace {

// The daemon loads its HTTP modules when it first needs them (http_module.h);
// check loads the ones this config needs now, so a missing or broken module
// is an error here rather than at the first webhook.
void check_http_modules(const Config& cfg, const std::vector<rules::RuleSpec>& specs, Diagnostics& diags) {
  std::string error;
  if (!cfg.http.listen.empty() && !make_http_listener(error))
    diags.error(SourcePos{cfg.path, 0, 0}, "http.listen: " + error);
  for (const auto& spec : specs) {
    for (const auto& action : spec.then) {
      if (action.kind != rules::ActionKind::http) continue;
      if (!make_http_client(error)) diags.error(action.pos, "http action: " + error);
      return;  // one is enough: the module is the same for all
    }
  }
}

// The outbox may grow to buffer.max_bytes (plus SQLite's own pages) and the
// journal to journal_max: on a file system smaller than both, the disk fills
// before the limits act (docs/reliability.md, "A full disk"). The state_dir
// may not exist yet (a build machine): the nearest folder that does decides.
void check_disk_size(const Config& cfg, Diagnostics& diags) {
  std::filesystem::path dir = cfg.gateway.state_dir;
  struct statvfs fs {};
  while (::statvfs(dir.c_str(), &fs) != 0) {
    if (!dir.has_relative_path() || dir == dir.parent_path()) return;
    dir = dir.parent_path();
  }
  const uint64_t size = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
  const uint64_t wanted = cfg.buffer.max_bytes + cfg.buffer.journal_max;
  if (wanted <= size) return;
  diags.warning(cfg.buffer.pos, "buffer.max_bytes (" + std::to_string(cfg.buffer.max_bytes) +
                                    " bytes) plus buffer.journal_max (" + std::to_string(cfg.buffer.journal_max) +
                                    " bytes) is larger than the file system of state_dir '" + cfg.gateway.state_dir +
                                    "' (" + std::to_string(size) +
                                    " bytes): the disk fills before the buffer limits act");
}

// Rule files, loader and compiler errors merged file by file, in line order,
// as a compiler prints them.
std::vector<rules::RuleSpec> check_rules(const std::vector<std::string>& files, Checked& c, Diagnostics& diags) {
  auto compiled = compile_rule_files(files, *c.cfg, diags);
  c.rule_count = compiled.specs.size();
  c.rules = std::move(compiled.rules);
  return std::move(compiled.specs);
}

}  // namespace

Checked check_config(const std::string& config_path, const CheckOptions& opts, Diagnostics& diags) {
  Checked c;
  c.cfg = load_config(config_path, diags);
  if (!c.cfg) return c;
  // Route expressions and templates are compiled here as the daemon would,
  // so their errors carry the position inside the YAML file.
  c.routes = rules::Routes::compile(c.cfg->forward, diags);
  auto files = expand_rule_files(*c.cfg, diags, opts.strict);
  c.rule_files = files.size();
  auto specs = check_rules(files, c, diags);
  check_state_dir(*c.cfg, diags);
  mosquitto_conf_hints(*c.cfg, diags, opts.mosquitto_conf);
  check_disk_size(*c.cfg, diags);
  if (opts.load_http_modules) check_http_modules(*c.cfg, specs, diags);
  if (diags.has_errors()) c.rules = nullptr;
  return c;
}

bool report_diagnostics(const std::string& config_path, const Diagnostics& diags, std::ostream& err) {
  err << diags.format_all();
  if (!diags.has_errors()) return true;
  err << config_path << ": " << diags.error_count() << " error(s)\n";
  return false;
}

int run_check(const std::string& config_path, std::ostream& out, std::ostream& err, const std::string& mosquitto_conf) {
  Diagnostics diags;
  CheckOptions opts;
  opts.mosquitto_conf = mosquitto_conf;
  Checked c = check_config(config_path, opts, diags);
  if (!report_diagnostics(config_path, diags, err)) return 1;
  out << config_path << ": ok (" << c.routes.size() << " route(s), " << c.rule_count << " rule(s) in " << c.rule_files
      << " file(s))\n";
  return 0;
}

}  // namespace edgegw::gateway
