// check_state_dir(): what `edgegw check` and `run` say about the state folder
// (`test` does not look at it).
#include <catch2/catch.hpp>

#include <fstream>

#include "gateway/config/config.h"
#include "support/temp_dir.h"

using namespace edgegw;
using namespace edgegw::gateway;

TEST_CASE("Is a missing state_dir reported only when run could not create it?", "[config]") {
  edgegw::testing::TempDir dir;
  REQUIRE(dir.ok());
  Config cfg;
  cfg.gateway.state_dir_pos = {"gateway.yaml", 2, 14};
  Diagnostics diags;
  cfg.gateway.state_dir = (dir.path() / "a" / "state").string();
  check_state_dir(cfg, diags);  // a writable folder above it: run creates it
  CHECK(diags.items().empty());
  std::ofstream(dir / "file") << "x";
  cfg.gateway.state_dir = (dir.path() / "file" / "state").string();
  check_state_dir(cfg, diags);
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].format().rfind("gateway.yaml:2:14: warning: gateway.state_dir: '" + cfg.gateway.state_dir +
                                            "' does not exist, and this user cannot create it",
                                        0) == 0);
  cfg.gateway.state_dir = (dir.path() / "file").string();
  check_state_dir(cfg, diags);
  CHECK(diags.has_errors());  // a file where the folder should be
}
