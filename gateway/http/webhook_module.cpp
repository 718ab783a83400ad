// gateway/http/webhook_module.cpp — edgegw-webhook.so: the webhook client on
// libcurl's easy API (see http_module.h for why it is a module).
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string_view>

#include "gateway/http/http_module.h"

namespace edgegw::gateway {

namespace {

size_t discard_body(char*, size_t size, size_t n, void*) { return size * n; }

// Called by curl about once a second, and more often while data flows:
// non-zero aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
int abort_if_stopping(void* stopping, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(stopping)->load() ? 1 : 0;
}

bool has_header(const HttpJob& job, std::string_view name) {
  return std::any_of(job.headers.begin(), job.headers.end(), [&](const auto& h) {
    return std::equal(h.first.begin(), h.first.end(), name.begin(), name.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
  });
}

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

curl_slist* header_list(const HttpJob& job) {
  curl_slist* list = nullptr;
  for (const auto& [name, value] : job.headers) list = curl_slist_append(list, (name + ": " + value).c_str());
  if (!job.body.empty() && !has_header(job, "Content-Type")) {
    // Rule bodies written as YAML maps render as JSON; anything else is text.
    bool json = job.body.front() == '{' || job.body.front() == '[';
    list = curl_slist_append(list, json ? "Content-Type: application/json" : "Content-Type: text/plain; charset=utf-8");
  }
  return curl_slist_append(list, "Expect:");  // no 100-continue round trip for larger bodies
}

HttpOutcome perform_request(CURL* curl, const HttpJob& job, const std::atomic<bool>& stopping) {
  HttpOutcome out;
  out.id = job.id;
  curl_easy_reset(curl);  // keeps the connection cache: the next call to the host reuses it
  std::unique_ptr<curl_slist, SlistFree> headers(header_list(job));
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, job.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM in a threaded program
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(job.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "edgegw/" EDGEGW_VERSION);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_if_stopping);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&stopping));
  if (job.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(job.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, job.body.data());
    if (job.method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, job.method.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    out.host_failed = true;
    out.error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    return out;
  }
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  out.delivered = code >= 200 && code < 300;
  if (!out.delivered) {
    out.error = "HTTP " + std::to_string(code);
    // A 4xx other than 429 means the host is up and refused this call: the
    // call fails, the host's breaker does not count it.
    out.host_failed = code >= 500 || code == 429 || code < 100;
  }
  return out;
}

}  // namespace

class CurlClient final : public HttpClient {
 public:
  CurlClient() : curl_(curl_easy_init()) {}
  ~CurlClient() override {
    if (curl_) curl_easy_cleanup(curl_);
  }
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  HttpOutcome perform(const HttpJob& job, const std::atomic<bool>& stopping) override {
    if (!curl_) return {job.id, false, false, "curl_easy_init failed"};
    return perform_request(curl_, job, stopping);
  }

 private:
  CURL* curl_;
};

}  // namespace edgegw::gateway

// libcurl 7.84 and later (Debian 12 has 7.88) is thread-safe and
// initialises itself on the first curl_easy_init; an older one is
// initialised here, on the worker thread, which is then the only thread
// that uses libcurl.
extern "C" __attribute__((visibility("default"))) edgegw::gateway::HttpClient* edgegw_new_http_client() {
  if (!(curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_THREADSAFE)) curl_global_init(CURL_GLOBAL_DEFAULT);
  return new edgegw::gateway::CurlClient();
}
