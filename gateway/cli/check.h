// gateway/cli/check.h — `edgegw check`: validate the config and everything it names.
#pragma once

#include <ostream>
#include <string>

namespace edgegw::gateway {

// Prints every diagnostic to `err` as FILE:LINE:COL lines and a one-line
// summary to `out`. Returns 0 when there is no error (warnings allowed), 1
// otherwise.
// `mosquitto_conf`: the local broker's config to give queueing advice about.
int run_check(const std::string& config_path, std::ostream& out, std::ostream& err, const std::string& mosquitto_conf);

}  // namespace edgegw::gateway
