// tests/support/temp_dir.h — RAII temporary directory for one test.
//
// The directory is created under $TMPDIR (or /tmp) with mkdtemp and removed
// with everything in it when the owner goes away. Set EDGEGW_KEEP_TEST_DIRS=1
// to keep it for a post-mortem (the path is in the failing test's output when
// the test prints it). Movable, not copyable; one owner, any thread.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include <unistd.h>

namespace edgegw::testing {

class TempDir {
 public:
  // Creates the directory; on failure path() is empty and ok() is false,
  // so a test can REQUIRE(dir.ok()) instead of catching.
  explicit TempDir(const std::string& prefix = "edgegw-test") {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() { remove(); }

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  TempDir& operator=(TempDir&& other) noexcept {
    if (this != &other) {
      remove();
      path_ = std::exchange(other.path_, {});
    }
    return *this;
  }

  bool ok() const { return !path_.empty(); }
  const std::filesystem::path& path() const { return path_; }
  // A path inside the directory (not created).
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }
  // The path of a file inside it, as a string (for APIs that take one).
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  void remove() {
    if (path_.empty()) return;
    const char* keep = std::getenv("EDGEGW_KEEP_TEST_DIRS");
    if (keep == nullptr || std::string(keep) != "1") {
      std::error_code ec;  // best effort: a leftover temp dir must not fail a test
      std::filesystem::remove_all(path_, ec);
    }
    path_.clear();
  }

  std::filesystem::path path_;
};

}  // namespace edgegw::testing
