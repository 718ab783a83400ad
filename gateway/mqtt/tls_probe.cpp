#include "gateway/mqtt/tls_probe.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cstring>
#include <ctime>
#include <system_error>
#include <utility>

#include "core/units.h"

namespace edgegw::gateway {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Long enough to see a TLS 1.3 server refuse our certificate (its alert comes
// after the client's handshake is done), short enough not to hold a thread.
constexpr Duration kAlertWait = 250ms;
constexpr auto kCancelSlice = 100ms;
constexpr const char* kClosed = "TLS handshake failed: the server closed the connection";

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Socket& operator=(Socket&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Waits for `events` on fd until `deadline`, looking at `cancel` every 100 ms.
// 1: ready; 0: timed out or cancelled; -1: poll failed.
int wait_fd(int fd, short events, SteadyClock::time_point deadline, const std::atomic<bool>* cancel) {
  for (;;) {
    if (cancel && cancel->load()) return 0;
    auto left = deadline - SteadyClock::now();
    if (left <= Duration::zero()) return 0;
    auto slice = std::chrono::duration_cast<std::chrono::milliseconds>(std::min<Duration>(left, kCancelSlice));
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, slice.count())));
    if (rc > 0) return 1;
    if (rc < 0 && errno != EINTR) return -1;
  }
}

// A non-blocking TCP connection to the first address that answers.
Socket tcp_connect(const TlsTarget& t, SteadyClock::time_point deadline, Duration timeout,
                   const std::atomic<bool>* cancel, std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(t.port);
  if (int rc = ::getaddrinfo(t.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    why = "cannot resolve '" + t.host + "': " + ::gai_strerror(rc);
    return Socket();
  }
  why = "no address for '" + t.host + "'";
  for (addrinfo* a = found; a; a = a->ai_next) {
    Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (s.fd() < 0) continue;
    int err = ::connect(s.fd(), a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      int ready = wait_fd(s.fd(), POLLOUT, deadline, cancel);
      socklen_t len = sizeof(err);
      if (ready == 0) {
        why = "TCP connect timed out after " + format_duration(timeout);
        break;
      }
      if (ready < 0 || ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    }
    if (err == 0) {
      ::freeaddrinfo(found);
      return s;
    }
    why = lower_first(std::strerror(err));
  }
  ::freeaddrinfo(found);
  return Socket();
}

// The first certificate error OpenSSL's verification met, and the
// certificate it was about (SSL_get_verify_result keeps only the number).
struct VerifyFailure {
  int error = X509_V_OK;
  int depth = 0;
  std::unique_ptr<X509, X509Free> cert;
};

int failure_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int on_verify(int ok, X509_STORE_CTX* ctx) {
  if (ok) return 1;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* f = ssl ? static_cast<VerifyFailure*>(SSL_get_ex_data(ssl, failure_index())) : nullptr;
  if (f && f->error == X509_V_OK) {
    f->error = X509_STORE_CTX_get_error(ctx);
    f->depth = X509_STORE_CTX_get_error_depth(ctx);
    if (X509* c = X509_STORE_CTX_get_current_cert(ctx); c && X509_up_ref(c) == 1) f->cert.reset(c);
  }
  return 0;
}

std::string name_text(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return "?";
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(std::max(0L, n)));
  BIO_free(bio);
  return out;
}

std::string time_text(const ASN1_TIME* t) {
  std::tm tm{};
  char buf[32];
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "?";
  return buf;
}

// "DNS:broker.example.com, IP:10.0.0.1", or the subject when there is no subjectAltName.
std::string names_text(X509* cert) {
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  std::string out;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    std::string one;
    if (n->type == GEN_DNS) {
      one = "DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                                 static_cast<size_t>(ASN1_STRING_length(n->d.dNSName)));
    } else if (n->type == GEN_IPADD) {
      char buf[INET6_ADDRSTRLEN] = "?";
      int len = ASN1_STRING_length(n->d.iPAddress);
      if (len == 4 || len == 16) {
        ::inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(n->d.iPAddress), buf, sizeof buf);
      }
      one = std::string("IP:") + buf;
    }
    if (!one.empty()) out += (out.empty() ? "" : ", ") + one;
  }
  GENERAL_NAMES_free(names);
  return out.empty() ? name_text(X509_get_subject_name(cert)) : out;
}

std::string verify_reason(const VerifyFailure& f, const std::string& host) {
  std::string out = std::string("certificate verify failed: ") + X509_verify_cert_error_string(f.error);
  if (!f.cert) return out;
  X509* c = f.cert.get();
  switch (f.error) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return out + " (expected " + host + ", the certificate names " + names_text(c) + ")";
    case X509_V_ERR_CERT_HAS_EXPIRED: return out + " (notAfter " + time_text(X509_get0_notAfter(c)) + ")";
    case X509_V_ERR_CERT_NOT_YET_VALID: return out + " (notBefore " + time_text(X509_get0_notBefore(c)) + ")";
    default: break;
  }
  std::string subject = name_text(X509_get_subject_name(c)), issuer = name_text(X509_get_issuer_name(c));
  out += " (subject " + subject + (issuer == subject ? "" : ", issuer " + issuer);
  return out + (f.depth > 0 ? ", depth " + std::to_string(f.depth) + ")" : ")");
}

// OpenSSL's error queue as "reason: reason", oldest first; empties it.
std::string error_queue() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    std::string r;
    if (ERR_SYSTEM_ERROR(e)) {
      r = lower_first(std::strerror(ERR_GET_REASON(e)));  // errno: no table of OpenSSL's own
    } else if (const char* text = ERR_reason_error_string(e)) {
      r = text;
    } else {
      char buf[256];
      r = ERR_error_string(e, buf);
    }
    if (r == "system lib" || out.find(r) != std::string::npos) continue;  // says no more than errno did
    out += (out.empty() ? "" : ": ") + r;
  }
  return out;
}

std::unique_ptr<SSL_CTX, SslCtxFree> make_context(const TlsTarget& t, TlsProbeResult& r) {
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  auto fail = [&](const std::string& what) {
    r = {TlsProbeOutcome::verify, what + ": " + error_queue()};
    return nullptr;
  };
  if (!ctx) return fail("cannot create a TLS context");
  // A key with a passphrase must fail here, not prompt on the terminal.
  SSL_CTX_set_default_passwd_cb(ctx.get(), [](char*, int, int, void*) { return 0; });
  if (!t.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), t.ca_file.c_str(), nullptr) != 1) {
      return fail("cannot load ca_file '" + t.ca_file + "'");
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return fail("cannot load the default CA certificates");
  }
  if (!t.cert_file.empty()) {
    // Without key_file the key is read from cert_file, as Paho does.
    const std::string& key = t.key_file.empty() ? t.cert_file : t.key_file;
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), t.cert_file.c_str()) != 1) {
      return fail("cannot load cert_file '" + t.cert_file + "'");
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail("cannot load key_file '" + key + "'");
    }
  }
  return ctx;
}

std::string handshake_reason(SSL* ssl, int ssl_error, int sys_errno) {
  std::string queue = error_queue();
  if (!queue.empty()) return "TLS handshake failed: " + queue;
  if (ssl_error == SSL_ERROR_SYSCALL && sys_errno != 0) {
    return "TLS handshake failed: " + lower_first(std::strerror(sys_errno));
  }
  if (long v = SSL_get_verify_result(ssl); v != X509_V_OK) {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(v);
  }
  return kClosed;
}

// After SSL_connect succeeded: a TLS 1.3 server that refuses our
// certificate says so in an alert that only a read sees.
TlsProbeResult read_alert(SSL* ssl, int fd, const std::atomic<bool>* cancel) {
  const auto until = SteadyClock::now() + kAlertWait;
  char byte;
  while (wait_fd(fd, POLLIN, until, cancel) == 1) {
    ERR_clear_error();
    int rc = SSL_read(ssl, &byte, 1);
    if (rc > 0) break;
    int e = SSL_get_error(ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) continue;  // a session ticket, say
    int saved = errno;
    if (e == SSL_ERROR_ZERO_RETURN) return {TlsProbeOutcome::handshake, kClosed};
    return {TlsProbeOutcome::handshake, handshake_reason(ssl, e, saved)};
  }
  return {};
}

TlsProbeResult handshake(const TlsTarget& t, SSL_CTX* ctx, int fd, SteadyClock::time_point deadline, Duration timeout,
                         const std::atomic<bool>* cancel) {
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx));
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) return {TlsProbeOutcome::handshake, "TLS setup failed: " + error_queue()};
  const bool ip = is_ip_literal(t.host);
  if (!ip) SSL_set_tlsext_host_name(ssl.get(), t.host.c_str());  // SNI carries names, never addresses
  VerifyFailure failure;
  if (t.verify) {
    SSL_set_ex_data(ssl.get(), failure_index(), &failure);
    SSL_set_verify(ssl.get(), SSL_VERIFY_PEER, on_verify);
    int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), t.host.c_str())
                 : SSL_set1_host(ssl.get(), t.host.c_str());
    if (set != 1) return {TlsProbeOutcome::handshake, "TLS setup failed for host '" + t.host + "'"};
  }
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    int e = SSL_get_error(ssl.get(), rc);
    int saved = errno;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, cancel) == 1) continue;
      return {TlsProbeOutcome::network, "TLS handshake timed out after " + format_duration(timeout)};
    }
    if (failure.error != X509_V_OK) return {TlsProbeOutcome::verify, verify_reason(failure, t.host)};
    return {TlsProbeOutcome::handshake, handshake_reason(ssl.get(), e, saved)};
  }
  TlsProbeResult r = read_alert(ssl.get(), fd, cancel);
  if (r.outcome == TlsProbeOutcome::ok) SSL_shutdown(ssl.get());  // close_notify, not waited for
  ERR_clear_error();
  return r;
}

}  // namespace

TlsProbeResult probe_tls(const TlsTarget& target, Duration timeout, const std::atomic<bool>* cancel) {
  const auto deadline = SteadyClock::now() + timeout;
  TlsProbeResult r;
  auto ctx = make_context(target, r);
  if (!ctx) return r;
  std::string why;
  Socket s = tcp_connect(target, deadline, timeout, cancel, why);
  if (s.fd() < 0) return {TlsProbeOutcome::network, why};
  r = handshake(target, ctx.get(), s.fd(), deadline, timeout, cancel);
  ERR_clear_error();  // the queue is per thread: leave nothing behind
  return r;
}

struct TlsProber::Shared {
  TlsTarget target;
  Duration timeout;
  Done done;
  std::atomic<bool> cancel{false};
  std::mutex mu;
  std::condition_variable finished;
  bool running = false;     // guarded by mu
  bool owner_gone = false;  // guarded by mu: drop the result
};

TlsProber::TlsProber(TlsTarget target, Duration timeout, Done done) : shared_(std::make_shared<Shared>()) {
  shared_->target = std::move(target);
  shared_->timeout = timeout;
  shared_->done = std::move(done);
}

TlsProber::~TlsProber() {
  std::unique_lock<std::mutex> lock(shared_->mu);
  shared_->cancel = true;
  // Cancelled, a probe ends within 100 ms, unless it sits in getaddrinfo().
  if (shared_->finished.wait_for(lock, 2s, [this] { return !shared_->running; })) {
    lock.unlock();
    if (thread_.joinable()) thread_.join();
  } else {
    shared_->owner_gone = true;  // it keeps `shared_` alive and reports to no one
    lock.unlock();
    thread_.detach();
  }
}

bool TlsProber::start() {
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (shared_->running) return false;
    shared_->running = true;
  }
  if (thread_.joinable()) thread_.join();  // the last probe has finished: only its return is left
  try {
    thread_ = std::thread([s = shared_] {
      TlsProbeResult r = probe_tls(s->target, s->timeout, &s->cancel);
      std::lock_guard<std::mutex> lock(s->mu);
      if (!s->owner_gone && !s->cancel) s->done(std::move(r));
      s->running = false;
      s->finished.notify_all();
    });
  } catch (const std::system_error&) {  // no thread to be had: no probe this time
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->running = false;
    return false;
  }
  return true;
}

}  // namespace edgegw::gateway
