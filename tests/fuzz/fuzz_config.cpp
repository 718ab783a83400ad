// gateway.yaml: any text through load_config and the rule-path expansion.
// load_config reads a path, so each input is written to one file in a
// private temporary folder first (relative paths resolve inside it).
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_input.h"
#include "gateway/config/config.h"
#include "rules/routes.h"

using namespace edgegw;

namespace {

const std::string& config_path() {
  static const std::string path = [] {
    std::string dir = "/tmp/edgegw-fuzz-config-XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) std::abort();
    return dir + "/gateway.yaml";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = config_path();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  Diagnostics diags;
  if (auto cfg = gateway::load_config(path, diags)) {
    (void)rules::Routes::compile(cfg->forward, diags);
    (void)gateway::expand_rule_files(*cfg, diags);
  }
  (void)diags.format_all();
  return 0;
}
