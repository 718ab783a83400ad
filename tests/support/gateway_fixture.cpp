#include "support/gateway_fixture.h"

#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <sstream>

#include "support/wait.h"

namespace edgegw::testing {
using namespace std::chrono_literals;

std::string gateway_yaml(int local_port, int upstream_port, const std::string& routes, const std::string& extra) {
  std::ostringstream y;
  y << "gateway:\n  id: it-gw\n  state_dir: {state_dir}\n  log_level: debug\n"
    << "local:\n  url: mqtt://127.0.0.1:" << local_port << "\n  reconnect: {min: 100ms, max: 1s}\n";
  if (upstream_port > 0) {
    y << "upstream:\n  url: mqtt://127.0.0.1:" << upstream_port
      << "\n  keepalive: 5s\n  reconnect: {min: 100ms, max: 1s}\n";
  }
  if (!routes.empty()) y << "forward:\n" << routes;
  y << "http:\n  listen: \"\"\n";
  if (extra.find("rules:") == std::string::npos) y << "rules:\n  paths: []\n";
  y << extra;
  return y.str();
}

Gateway::Gateway(const std::string& yaml) {
  std::string text = yaml;
  const std::string key = "{state_dir}";
  for (size_t p; (p = text.find(key)) != std::string::npos;) text.replace(p, key.size(), (dir_ / "state").string());
  std::ofstream(dir_ / "gateway.yaml") << text;
}

long Gateway::proc_status_kib(const std::string& field) const {
  if (!process_) return -1;
  std::ifstream in("/proc/" + std::to_string(process_->pid()) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

Gateway::~Gateway() {
  if (process_ && process_->running()) (void)process_->kill9();
}

Status Gateway::start(bool wait_upstream) {
  if (auto s = start_until("local link: subscribed"); !s.ok()) return s;
  if (wait_upstream && !process_->wait_for_output("upstream link: connected", 10s)) {
    return Status::error("edgegw", "upstream not connected within 10 s:\n" + process_->stderr_text());
  }
  return Status();
}

Status Gateway::start_until(const std::string& text, std::chrono::milliseconds deadline) {
  if (process_) {
    past_logs_ += process_->stderr_text();
    process_.reset();
  }
  SpawnOptions opts;
  opts.binary = EDGEGW_BINARY;
  opts.args = {"run", "-c", config_path().string()};
  opts.output_dir = dir_.path();
  opts.name = "edgegw-run" + std::to_string(++runs_);
  opts.env = {"JOURNAL_STREAM"};  // log to stderr even when the tests run under systemd
  opts.env.insert(opts.env.end(), env_.begin(), env_.end());
  auto child = ChildProcess::spawn(opts);
  if (!child.ok()) return child.status();
  process_.emplace(std::move(child.value()));
  if (!process_->wait_for_output(text, deadline)) {
    return Status::error("edgegw", "'" + text + "' not logged in time:\n" + process_->stderr_text());
  }
  return Status();
}

Status Gateway::stop(std::chrono::milliseconds deadline) {
  if (!process_) return Status();
  if (auto s = process_->signal(SIGTERM); !s.ok()) return s;
  auto st = process_->wait_exit(deadline);
  if (!st) {
    (void)process_->kill9();
    return Status::error("edgegw", "did not exit within the deadline after SIGTERM");
  }
  if (!(st->exited() && st->code == 0)) {
    return Status::error("edgegw", "exited with " + st->describe() + ":\n" + process_->stderr_text());
  }
  return Status();
}

Status Gateway::kill9() { return process_ ? process_->kill9() : Status(); }

Status Gateway::signal(int sig) { return process_ ? process_->signal(sig) : Status::error("edgegw", "not started"); }

bool Gateway::running() { return process_ && process_->running(); }

std::string Gateway::log() const { return past_logs_ + (process_ ? process_->stderr_text() : std::string()); }

Gateway::CommandResult Gateway::command(const std::vector<std::string>& args) const {
  CommandResult r;
  SpawnOptions opts;
  opts.binary = EDGEGW_BINARY;
  opts.args = args;
  opts.args.push_back("-c");
  opts.args.push_back(config_path().string());
  auto child = ChildProcess::spawn(opts);
  if (!child.ok()) return r;
  auto st = child->wait_exit(10s);
  if (st && st->exited()) r.exit_code = st->code;
  r.out = child->stdout_text();
  r.err = child->stderr_text();
  return r;
}

long Gateway::buffer_stat(const std::string& link, const std::string& field) const {
  auto r = command({"buffer", "stats", "--json"});
  if (r.exit_code != 0) return -1;
  auto doc = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return -1;
  const auto& v = doc["links"][link][field];
  return v.is_number() ? v.get<long>() : -1;
}

Status Cloud::subscribe_and_leave() {
  TestClient c(uri_, "cloud");
  if (auto r = c.connect(session()); !r.ok()) return r.status();
  if (auto s = c.subscribe(filter_, 1); !s.ok()) return s;
  return c.disconnect();
}

Result<TestClient*> Cloud::join() {
  client_ = std::make_unique<TestClient>(uri_, "cloud");
  if (auto r = client_->connect(session()); !r.ok()) return r.status();
  return client_.get();
}

}  // namespace edgegw::testing
