// tests/support/http_get.h — GET from the gateway's HTTP server on loopback,
// and one sample out of its /metrics text. Header-only: the integration
// tests link Debian's cpp-httplib.
#pragma once

#include <httplib.h>

#include <string>

namespace edgegw::testing {

struct HttpReply {
  int status = -1;  // -1: no answer
  std::string body;
};

inline HttpReply http_get(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(5, 0);
  auto res = c.Get(path.c_str());
  if (!res) return {};
  return {res->status, res->body};
}

// One sample of a /metrics text, e.g.
// metric_sample(text, "edgegw_received_total{link=\"local\"}"); -1 if absent.
inline double metric_sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

inline double scrape(int port, const std::string& series) {
  return metric_sample(http_get(port, "/metrics").body, series);
}

}  // namespace edgegw::testing
