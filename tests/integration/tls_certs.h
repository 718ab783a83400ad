// tests/integration/tls_certs.h — certificates and brokers for the TLS tests
// (test_tls.cpp, test_tls_cycles.cpp): a private CA made with openssl at
// test time, certificates of each kind, a TLS listener for Mosquitto and a
// gateway config whose upstream verifies against that CA.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "support/gateway_fixture.h"
#include "support/mosquitto_broker.h"
#include "support/temp_dir.h"

namespace edgegw::testing {

inline constexpr const char* kFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

enum class Cert {
  valid,        // issued by the test CA for 127.0.0.1
  wrong_host,   // issued by the test CA for broker.example.com
  self_signed,  // for 127.0.0.1, but signed by itself, not by the configured CA
  expired,      // issued by the test CA for 127.0.0.1, valid from 10 to 8 days ago
};

// Makes the test CA (ca.key, ca.crt) once, and NAME.key, NAME.crt of `kind`.
// Each command also checks that the result is what it claims to be (the
// expired one is expired, the self-signed one fails against the CA), so a
// refusal below cannot come from a broken certificate of another kind.
inline bool make_cert(const TempDir& dir, const std::string& name, Cert kind) {
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string san = kind == Cert::wrong_host ? "DNS:broker.example.com" : "IP:127.0.0.1";
  std::ofstream(dir / (name + ".ext")) << "subjectAltName=" << san << "\n";
  std::string cmd = "cd '" + dir.path().string() + "' && ( [ -f ca.key ] || openssl req -x509 " + key +
                    " -days 2 -subj /CN=edgegw-test-ca -keyout ca.key -out ca.crt ) && ";
  if (kind == Cert::self_signed) {
    cmd += "openssl req -x509 " + key + " -days 2 -subj /CN=" + name + " -addext subjectAltName=" + san + " -keyout " +
           name + ".key -out " + name + ".crt && ! openssl verify -CAfile ca.crt " + name + ".crt";
  } else {
    // libfaketime puts openssl's clock 10 days back: a 2-day certificate
    // signed "then" ended 8 days ago (OpenSSL 3.0's x509 has no -not_after).
    const std::string past = kind == Cert::expired ? std::string("LD_PRELOAD=") + kFaketime + " FAKETIME=-10d " : "";
    cmd += "openssl req " + key + " -subj /CN=" + name + " -keyout " + name + ".key -out " + name + ".csr && " + past +
           "openssl x509 -req -in " + name + ".csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile " + name +
           ".ext -out " + name + ".crt && ";
    cmd += kind == Cert::expired ? "! openssl x509 -checkend 0 -noout -in " + name + ".crt"
                                 : "openssl verify -CAfile ca.crt " + name + ".crt";
  }
  return std::system(("(" + cmd + ") >/dev/null 2>&1").c_str()) == 0;
}

inline bool copy_cert(const TempDir& dir, const std::string& from, const std::string& to) {
  std::error_code ec;
  for (const char* ext : {".crt", ".key"}) {
    std::filesystem::copy_file(dir / (from + ext), dir / (to + ext), std::filesystem::copy_options::overwrite_existing,
                               ec);
    if (ec) return false;
  }
  return true;
}

inline std::string tls_yaml(int local_port, int tls_port, const TempDir& certs, bool verify) {
  std::string y = gateway_yaml(local_port, 0, "");
  y += "upstream:\n  url: mqtts://127.0.0.1:" + std::to_string(tls_port) +
       "\n  reconnect: {min: 100ms, max: 500ms}\n  tls:\n    ca_file: " + (certs / "ca.crt").string() +
       "\n    verify: " + (verify ? "true" : "false") + "\n";
  y += "forward:\n  - from: \"dev/#\"\n";
  return y;
}

// mosquitto.conf lines: the TLS listener presents NAME.crt; `plain_port`, if
// set, adds a plain listener for the test's own subscriber.
inline std::vector<std::string> tls_listener(const TempDir& certs, const std::string& name, int plain_port = 0) {
  std::vector<std::string> lines = {"cafile " + (certs / "ca.crt").string(),
                                    "certfile " + (certs / (name + ".crt")).string(),
                                    "keyfile " + (certs / (name + ".key")).string()};
  if (plain_port > 0) lines.push_back("listener " + std::to_string(plain_port) + " 127.0.0.1");
  return lines;
}

// A valid certificate `good`; a plain local broker and an upstream whose
// TLS listener presents it, with a plain listener (plain_uri()) for the
// test's own subscriber.
struct GoodTls {
  GoodTls() { REQUIRE(made); }
  std::string plain_uri() const { return "tcp://127.0.0.1:" + std::to_string(*plain_port); }
  void start() {
    REQUIRE(plain_port.ok());
    REQUIRE(local.start().ok());
    REQUIRE(upstream.start().ok());
  }

  TempDir certs{"edgegw-certs"};
  bool made = make_cert(certs, "good", Cert::valid);
  edgegw::Result<int> plain_port = pick_free_port();
  MosquittoBroker local;
  MosquittoBroker upstream{
      BrokerOptions{.extra_config = tls_listener(certs, "good", plain_port.ok() ? *plain_port : 0)}};
};

}  // namespace edgegw::testing
