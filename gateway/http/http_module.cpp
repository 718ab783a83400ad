// gateway/http/http_module.cpp — finding and loading the HTTP modules (see
// http_module.h).
#include "gateway/http/http_module.h"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>
#include <system_error>
#include <vector>

namespace edgegw::gateway {
namespace {

namespace fs = std::filesystem;

// Next to the executable (a build tree), then ../lib/edgegw/ (the package).
std::vector<fs::path> module_candidates(const char* file) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  fs::path dir = exe.parent_path();
  return {dir / file, dir.parent_path() / "lib" / "edgegw" / file};
}

// The factory `symbol` of module `file`, or null with `error` set. A module
// is loaded once per process, the first time it is asked for; a failed load
// is tried again on the next call.
void* load_factory(const char* file, const char* symbol, std::string& error) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  error.clear();
  const std::vector<fs::path> candidates = module_candidates(file);
  for (const fs::path& path : candidates) {
    std::error_code ec;
    if (!fs::exists(path, ec)) continue;
    // Handles are reference counted: a module already loaded is not loaded twice.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      error = "cannot load " + path.string() + ": " + (why ? why : "unknown error");
      return nullptr;
    }
    if (void* f = dlsym(handle, symbol)) return f;
    error = path.string() + " has no " + symbol + " (a module from another edgegw build?)";
    return nullptr;
  }
  error = "cannot find " + std::string(file) +
          (candidates.empty()
               ? std::string(" (no /proc/self/exe)")
               : " in " + candidates[0].parent_path().string() + " or " + candidates[1].parent_path().string());
  return nullptr;
}

template <class T>
std::unique_ptr<T> make_from(const char* file, const char* symbol, std::string& error) {
  auto factory = reinterpret_cast<T* (*)()>(load_factory(file, symbol, error));
  if (!factory) return nullptr;
  return std::unique_ptr<T>(factory());
}

}  // namespace

std::unique_ptr<HttpClient> make_http_client(std::string& error) {
  return make_from<HttpClient>(kWebhookModule, kWebhookFactory, error);
}

std::unique_ptr<HttpListener> make_http_listener(std::string& error) {
  return make_from<HttpListener>(kHttpServerModule, kHttpServerFactory, error);
}

}  // namespace edgegw::gateway
