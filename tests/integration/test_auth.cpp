// Username and password_file on the upstream link, against a broker that
// refuses anonymous clients.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "support/gateway_fixture.h"
#include "support/mosquitto_broker.h"
#include "support/temp_dir.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string auth_yaml(int local_port, int upstream_port, const fs::path& password_file) {
  std::string y = gateway_yaml(local_port, upstream_port, "  - from: \"dev/#\"\n");
  std::string key = "upstream:\n";
  y.replace(y.find(key), key.size(), key + "  username: gateway\n  password_file: " + password_file.string() + "\n");
  return y;
}

}  // namespace

TEST_CASE("Does the upstream link log in with the password from password_file, and fail with a wrong one?",
          "[integration][auth]") {
  TempDir dir("edgegw-auth");
  std::string cmd = "mosquitto_passwd -b -c '" + (dir / "passwd").string() + "' gateway s3cret >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  MosquittoBroker local;
  MosquittoBroker upstream(
      BrokerOptions{.extra_config = {"allow_anonymous false", "password_file " + (dir / "passwd").string()}});
  REQUIRE(local.start().ok());
  REQUIRE(upstream.start().ok());

  auto write_secret = [&](const std::string& name, const std::string& secret) {
    std::ofstream(dir / name) << secret << "\n";
    fs::permissions(dir / name, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    return dir / name;
  };
  Gateway good(auth_yaml(local.port(), upstream.port(), write_secret("good.pw", "s3cret")));
  REQUIRE(good.start().ok());  // connected upstream with the password
  REQUIRE(good.stop().ok());
  CHECK(good.log().find("s3cret") == std::string::npos);  // never logged

  Gateway bad(auth_yaml(local.port(), upstream.port(), write_secret("bad.pw", "Wr0ngPa55")));
  REQUIRE(bad.start(/*wait_upstream=*/false).ok());
  REQUIRE(wait_until([&] { return bad.log().find("upstream link: cannot connect") != std::string::npos; }, 10s));
  CHECK(bad.log().find("upstream link: connected") == std::string::npos);
  REQUIRE(bad.stop().ok());
  CHECK(bad.log().find("Wr0ngPa55") == std::string::npos);  // not even when it is refused
}

TEST_CASE("Are the state folder 0700 and the database and journal files 0600?", "[integration][auth][files]") {
  MosquittoBroker local;
  REQUIRE(local.start().ok());
  Gateway gw(gateway_yaml(local.port(), 0, ""));
  REQUIRE(gw.start(false).ok());
  REQUIRE(gw.stop().ok());
  auto mode = [](const fs::path& p) { return fs::status(p).permissions() & fs::perms::mask; };
  CHECK(mode(gw.state_dir()) == fs::perms::owner_all);
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(gw.state_dir())) {
    INFO(e.path());
    if (e.is_directory()) {
      CHECK(mode(e.path()) == fs::perms::owner_all);
    } else {
      ++files;
      CHECK(mode(e.path()) == (fs::perms::owner_read | fs::perms::owner_write));
    }
  }
  CHECK(files >= 2);  // outbox.db and at least one journal segment
}
