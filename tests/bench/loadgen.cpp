// tests/bench/loadgen.cpp — the benchmark's load generator and sink, one
// binary with two modes, each one thread on a minimal MQTT 3.1.1 client
// (mqtt_wire.h).
//
//   edgegw_loadgen pub  --url U --count N [--devices D] [--rate R] [--window W] [--prefix P]
//   edgegw_loadgen sink --url U --expect N [--filter F] [--timeout S] [--idle S] [--id I --clean 0]
//   edgegw_loadgen rules --count N --mix topic|json|mixed    (prints a rules.d file)
//
// pub publishes N QoS 1 JSON events {"dev":"dK","seq":S,"ts":MICROS,...}
// round-robin over D device topics P/dK/state, seq counting from 1 per
// device, at full speed (R = 0) or R msg/s, with at most W unacknowledged.
// sink subscribes QoS 1 to F and prints one JSON line: delivered, unique,
// lost (expected - unique), gaps (missing seqs below the highest seen),
// duplicates, msg/s (first to last receive), latency p50/p99/max in ms
// (receive time - ts; both processes read the same clock).
//
// Why not Paho C or libmosquitto: measured here, Paho C async costs ~30 us
// of CPU per published QoS 1 message (command queue, mutexes, a search of
// the in-flight list per PUBACK) and libmosquitto ~28 us (one send() per
// PUBLISH, three recv() per incoming packet, on a VM where syscalls are
// dear); either would make the generator the bottleneck. mqtt_wire.h
// batches hundreds of packets per syscall.
// Generator and sink are separate processes (one core each when free).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

#include "mqtt_wire.h"
#include "rule_mix.h"

namespace {

// User + system CPU seconds of this process so far: the bench adds the
// generator's and the sink's to the brokers' and the gateway's to price a
// whole run (how busy the two cores were).
double cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

using edgegw::bench::MqttWire;

struct Options {
  std::string mode;
  std::string url = "tcp://127.0.0.1:1883";
  std::string prefix = "bench";
  std::string filter = "bench/#";
  std::string mix = "mixed";
  long count = 100000;
  long expect = 0;
  int devices = 100;
  double rate = 0;  // msg/s; 0 = as fast as the window allows
  int window = 1000;
  double timeout_s = 120;
  double idle_s = 5;
  std::string id;     // client id; default one per process
  bool clean = true;  // sink: false keeps a session the broker queues for
};

int64_t now_us() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

double mono_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

[[noreturn]] void die(const std::string& what, int rc = 0) {
  std::fprintf(stderr, "loadgen: %s (rc %d)\n", what.c_str(), rc);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  if (argc < 2) die("usage: edgegw_loadgen pub|sink|rules [--option value]...");
  Options o;
  o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url")
      o.url = v;
    else if (k == "--prefix")
      o.prefix = v;
    else if (k == "--filter")
      o.filter = v;
    else if (k == "--mix")
      o.mix = v;
    else if (k == "--count")
      o.count = std::stol(v);
    else if (k == "--expect")
      o.expect = std::stol(v);
    else if (k == "--devices")
      o.devices = std::stoi(v);
    else if (k == "--rate")
      o.rate = std::stod(v);
    else if (k == "--window")
      o.window = std::stoi(v);
    else if (k == "--timeout")
      o.timeout_s = std::stod(v);
    else if (k == "--idle")
      o.idle_s = std::stod(v);
    else if (k == "--id")
      o.id = v;
    else if (k == "--clean")
      o.clean = v != "0";
    else
      die("unknown option " + k);
  }
  return o;
}

// Host and port of "tcp://HOST:PORT" (or "HOST:PORT").
std::pair<std::string, int> host_port(std::string u) {
  if (auto p = u.find("://"); p != std::string::npos) u = u.substr(p + 3);
  auto c = u.rfind(':');
  if (c == std::string::npos) return {u, 1883};
  return {u.substr(0, c), std::stoi(u.substr(c + 1))};
}

std::string client_id(const Options& o, const char* role) {
  return o.id.empty() ? std::string("edgegw-loadgen-") + role + "-" + std::to_string(getpid()) : o.id;
}

// ---- generator

struct PubState : MqttWire::Handler {
  long acked = 0;
  void on_puback(uint16_t) override { ++acked; }
  void on_publish(std::string_view, std::string_view) override {}
};

int run_pub(const Options& o) {
  PubState st;
  auto [host, port] = host_port(o.url);
  MqttWire w(host, port, client_id(o, "pub"), true, st);

  std::vector<std::string> topics;
  for (int d = 0; d < o.devices; ++d) topics.push_back(o.prefix + "/d" + std::to_string(d) + "/state");
  std::vector<long> seq(o.devices, 0);
  char payload[160];
  const double start = mono_s();
  long i = 0;
  while (st.acked < o.count) {
    // Queue what the window and the rate allow, send it in one write, then
    // read the PUBACKs that are there (waiting only when nothing can be sent).
    int64_t wait_us = 100000;
    // At full speed, refill only once a quarter of the window is free, so each
    // write carries many packets instead of one per PUBACK that came back.
    const long room = o.window - (i - st.acked);
    const bool refill = o.rate > 0 || room >= std::max(1, o.window / 4) || i + room >= o.count;
    while (refill && i < o.count && i - st.acked < o.window) {
      if (o.rate > 0) {  // fixed rate: message i leaves at start + i / rate
        const double ahead = start + double(i) / o.rate - mono_s();
        if (ahead > 0) {
          wait_us = std::max<int64_t>(1, int64_t(ahead * 1e6));
          break;
        }
      }
      const int d = int(i % o.devices);
      const int len = std::snprintf(
          payload, sizeof payload, "{\"dev\":\"d%d\",\"seq\":%ld,\"ts\":%lld,\"temperature\":%.1f,\"battery\":%d}", d,
          ++seq[d], static_cast<long long>(now_us()), 15.0 + double(i % 200) / 10, int(i % 100));
      w.publish(topics[d], std::string_view(payload, size_t(len)), uint16_t(i % 65535 + 1));
      ++i;
      wait_us = 0;
    }
    w.flush();
    w.read_some_us(refill && i < o.count && i - st.acked < o.window ? wait_us : 100000);
  }
  const double secs = mono_s() - start;
  std::printf("{\"sent\":%ld,\"seconds\":%.3f,\"msg_per_s\":%.0f,\"cpu_s\":%.3f}\n", o.count, secs,
              double(o.count) / secs, cpu_s());
  return 0;
}

// ---- sink

struct Sink : MqttWire::Handler {
  Options o;
  long delivered = 0, duplicates = 0, unique = 0, bad = 0;
  double first = 0, last = 0;
  std::vector<std::vector<bool>> seen;  // per device, by seq
  std::vector<uint32_t> latency_us;

  // Reads "dev":"dK","seq":S,"ts":T without a JSON library: the format is ours.
  static bool field(const char* p, size_t n, const char* key, long long& out) {
    const char* f = static_cast<const char*>(memmem(p, n, key, std::strlen(key)));
    if (!f) return false;
    f += std::strlen(key);
    const char* end_of = p + n;
    while (f < end_of && (*f == '"' || *f == 'd' || *f == ':')) ++f;
    char* end = nullptr;
    out = std::strtoll(f, &end, 10);
    return end != f;
  }

  void on(const char* p, size_t n) {
    const int64_t t = now_us();
    long long dev = 0, seq = 0, ts = 0;
    last = mono_s();
    if (delivered++ == 0) first = last;
    if (!field(p, n, "\"dev\"", dev) || !field(p, n, "\"seq\"", seq) || !field(p, n, "\"ts\"", ts) || dev < 0 ||
        seq < 1 || dev > 1000000) {
      ++bad;
      return;
    }
    if (size_t(dev) >= seen.size()) seen.resize(dev + 1);
    auto& s = seen[dev];
    if (size_t(seq) >= s.size()) s.resize(std::max<size_t>(seq + 1, s.size() * 2));
    if (s[seq]) {
      ++duplicates;
    } else {
      s[seq] = true;
      ++unique;
    }
    latency_us.push_back(uint32_t(std::clamp<int64_t>(t - ts, 0, UINT32_MAX)));
  }
  void on_publish(std::string_view, std::string_view payload) override { on(payload.data(), payload.size()); }
  void on_puback(uint16_t) override {}

  long gaps() const {  // seqs missing below the highest seen, per device
    long g = 0;
    for (const auto& s : seen) {
      size_t top = 0;
      for (size_t i = 1; i < s.size(); ++i)
        if (s[i]) top = i;
      for (size_t i = 1; i <= top; ++i) g += !s[i];
    }
    return g;
  }

  void report() {
    std::sort(latency_us.begin(), latency_us.end());
    auto pct = [&](double q) {
      return latency_us.empty() ? 0.0
                                : latency_us[std::min(latency_us.size() - 1, size_t(q * latency_us.size()))] / 1000.0;
    };
    const double secs = last - first;
    const long lost = o.expect > 0 ? std::max(0L, o.expect - unique) : gaps();
    std::printf(
        "{\"delivered\":%ld,\"unique\":%ld,\"lost\":%ld,\"gaps\":%ld,\"duplicates\":%ld,\"bad\":%ld,"
        "\"seconds\":%.3f,\"msg_per_s\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"cpu_s\":%.3f}\n",
        delivered, unique, lost, gaps(), duplicates, bad, secs, secs > 0 ? double(delivered - 1) / secs : 0.0, pct(0.5),
        pct(0.99), latency_us.empty() ? 0.0 : latency_us.back() / 1000.0, cpu_s());
    std::fflush(stdout);
  }
};

int run_sink(const Options& o) {
  Sink s;
  s.o = o;
  s.latency_us.reserve(size_t(std::max(o.expect, 1000L)));
  auto [host, port] = host_port(o.url);
  MqttWire w(host, port, client_id(o, "sink"), o.clean, s);
  w.subscribe(o.filter);
  // The caller waits for this line before it starts the generator.
  std::fprintf(stderr, "loadgen: sink subscribed to %s\n", o.filter.c_str());
  const double deadline = mono_s() + o.timeout_s;
  for (;;) {
    w.read_some(100);
    if (o.expect > 0 && s.unique >= o.expect) break;
    const double now = mono_s();
    if (now > deadline) break;
    if (s.delivered > 0 && now - s.last > o.idle_s) break;  // the stream stopped
  }
  s.report();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.mode == "pub") return run_pub(o);
  if (o.mode == "sink") return run_sink(o);
  if (o.mode == "rules") {
    std::fputs(edgegw::bench::rule_mix_yaml(edgegw::bench::parse_mix(o.mix), int(o.count), o.prefix).c_str(), stdout);
    return 0;
  }
  die("unknown mode " + o.mode);
}
