// tests/support/small_disk.h — a small tmpfs mounted over a folder for a
// test's life (mount needs root, as CI has). Unmounted (lazily) on
// destruction. When mounting is impossible, ok() is false: the test calls
// skip_without() and ctest reports it skipped (SKIP_REGULAR_EXPRESSION in
// tests/integration/CMakeLists.txt), never passed.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

namespace edgegw::testing {

class SmallDisk {
 public:
  SmallDisk(const std::filesystem::path& at, const std::string& size) : at_(at) {
    std::filesystem::create_directories(at);
    ok_ = std::system(("mount -t tmpfs -o size=" + size + " tmpfs '" + at.string() + "' 2>/dev/null").c_str()) == 0;
  }
  ~SmallDisk() {
    if (ok_) (void)!std::system(("umount -l '" + at_.string() + "'").c_str());
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  bool ok() const { return ok_; }
  uint64_t free_bytes() const { return std::filesystem::space(at_).available; }

 private:
  std::filesystem::path at_;
  bool ok_ = false;
};

// The marker ctest turns into "skipped".
inline void report_skip(const std::string& why) { std::cout << "EDGEGW-SKIP: " << why << std::endl; }

}  // namespace edgegw::testing
