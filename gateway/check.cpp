#include "gateway/check.h"

#include "gateway/config.h"
#include "rules/routes.h"

namespace edgegw::gateway {

int run_check(const std::string& config_path, std::ostream& out, std::ostream& err,
              const std::string& mosquitto_conf) {
  Diagnostics diags;
  auto cfg = load_config(config_path, diags);
  size_t routes = 0;
  size_t rule_files = 0;
  if (cfg) {
    // Route expressions and templates are compiled here as the daemon would,
    // so their errors carry the position inside the YAML file.
    routes = rules::Routes::compile(cfg->forward, diags).size();
    rule_files = expand_rule_files(*cfg, diags).size();
    mosquitto_conf_hints(*cfg, diags, mosquitto_conf);
  }
  err << diags.format_all();
  if (diags.has_errors()) {
    err << config_path << ": " << diags.error_count() << " error(s)\n";
    return 1;
  }
  out << config_path << ": ok (" << routes << " route(s), " << rule_files << " rule file(s))\n";
  return 0;
}

}  // namespace edgegw::gateway
