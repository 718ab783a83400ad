// The status page in a real browser: Debian's chromium, headless. It loads,
// renders from /api/status, shows the backlog change during an upstream
// outage, and logs no console errors (the page also writes any script error
// into #errors, which must stay empty).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "support/http_get.h"
#include "support/process.h"
#include "support/site.h"
#include "support/temp_dir.h"
#include "support/test_client.h"
#include "support/wait.h"

using namespace edgegw::testing;
using namespace std::chrono_literals;

namespace {

const char* kChromium = "/usr/bin/chromium";

struct Page {
  std::string dom;
  std::string log;  // chromium's stderr, with the page's console messages
};

// Loads `url` in headless chromium and returns the DOM once the scripts ran
// (virtual time lets the first refresh and one poll complete).
Page load(const std::string& url, const std::filesystem::path& dir, const std::string& name,
          const std::string& screenshot = "") {
  SpawnOptions opts;
  opts.binary = kChromium;
  opts.args = {"--headless",
               "--disable-gpu",
               "--no-sandbox",
               "--no-first-run",
               "--disable-extensions",
               "--enable-logging=stderr",
               "--v=0",
               "--user-data-dir=" + (dir / ("profile-" + name)).string(),
               "--virtual-time-budget=5000"};
  if (screenshot.empty()) {
    opts.args.push_back("--dump-dom");
  } else {
    opts.args.push_back("--screenshot=" + screenshot);
    opts.args.push_back("--window-size=1000,800");
    opts.args.push_back("--hide-scrollbars");
  }
  opts.args.push_back(url);
  opts.output_dir = dir;
  opts.name = name;
  auto child = ChildProcess::spawn(opts);
  REQUIRE(child.ok());
  auto exit = child->wait_exit(60s);
  if (!exit) (void)child->kill9();
  REQUIRE(exit.has_value());
  return {child->stdout_text(), child->stderr_text()};
}

// The text of the element with id `id` (no nested tags).
std::string element_text(const std::string& dom, const std::string& id) {
  std::smatch m;
  if (!std::regex_search(dom, m, std::regex("id=\"" + id + "\"[^>]*>([^<]*)<"))) return "<missing>";
  return m[1];
}

// Console messages chromium logged for the page ("...:INFO:CONSOLE:12] \"...\", source: ...").
std::vector<std::string> console_lines(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos) out.push_back(line);
  }
  return out;
}

std::string api_status(int port) { return http_get(port, "/api/status").body; }

}  // namespace

TEST_CASE("Does the status page load in a browser, show the backlog of an outage, and log no errors?",
          "[integration][observability][browser]") {
  INFO("the browser test needs Debian's chromium (scripts/deps.sh installs it)");
  REQUIRE(std::filesystem::exists(kChromium));
  Site site({.routes = "  - from: \"sensors/#\"\n    to: \"sites/{{ gateway.id }}/{{ topic }}\"\n",
             .http = true,
             .cloud = {}});
  REQUIRE(site.start().ok());
  Gateway& gw = site.gw();
  const int port = site.http_port();
  INFO(gw.log());
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  TempDir dir("edgegw-browser");

  Page before = load(url, dir.path(), "before");
  INFO(before.log);
  CHECK(before.dom.find("data-loaded=\"1\"") != std::string::npos);
  CHECK(element_text(before.dom, "uplink") == "connected");
  CHECK(element_text(before.dom, "backlog") == "0");
  CHECK(element_text(before.dom, "gw-id") == "it-gw");
  CHECK(element_text(before.dom, "errors") == "");
  CHECK(console_lines(before.log).empty());

  REQUIRE(site.upstream.stop().ok());
  TestClient device(site.local.uri(), "device");
  REQUIRE(device.connect().ok());
  for (int i = 0; i < 25; ++i) REQUIRE(device.publish("sensors/hall/temp", "{\"t\":" + std::to_string(i) + "}").ok());
  REQUIRE(wait_until(
      [&] {
        auto j = nlohmann::json::parse(api_status(port), nullptr, false);
        return !j.is_discarded() && j["backlog"]["messages"] == 25;
      },
      10s, 50ms));

  Page during = load(url, dir.path(), "during");
  INFO(during.log);
  CHECK(element_text(during.dom, "uplink") == "disconnected");
  CHECK(element_text(during.dom, "backlog") == "25");
  CHECK(element_text(during.dom, "health") == "degraded");
  CHECK(during.dom.find("<path") != std::string::npos);  // the sparkline was drawn
  CHECK(element_text(during.dom, "errors") == "");
  CHECK(console_lines(during.log).empty());

  // EDGEGW_SCREENSHOT=path: the picture in docs/observability.md.
  if (const char* shot = std::getenv("EDGEGW_SCREENSHOT")) {
    load(url, dir.path(), "screenshot", shot);
    CHECK(std::filesystem::exists(shot));
  }
}
