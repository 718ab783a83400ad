// gateway/config/rule_watch.h — notices edits under rules.paths (inotify), so a
// saved rule file takes effect without `systemctl reload`.
//
// Watches each folder in rules.paths, and the folder of each file named
// there (editors save by writing a temporary file and renaming it over the
// old one, which a watch on the file itself would lose). Only *.yaml names
// count (the loader reads nothing else; editor swap files are ignored).
// The owner polls fd() and calls changed() when it is readable; the engine
// waits a short quiet time after the last change before it reloads, since
// one save can be several events.
//
// Engine thread only. A folder that cannot be watched is left out and named
// in the open() warnings; SIGHUP still works for it.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace edgegw::gateway {

class RuleWatch {
 public:
  // `paths`: rules.paths, resolved. `warnings` gets one line per path that
  // could not be watched. Null only when inotify itself is unavailable.
  static std::unique_ptr<RuleWatch> open(const std::vector<std::string>& paths, std::vector<std::string>& warnings);
  ~RuleWatch();
  RuleWatch(const RuleWatch&) = delete;
  RuleWatch& operator=(const RuleWatch&) = delete;

  int fd() const { return fd_; }
  // Reads every pending event; true if any concerns a rule file.
  bool changed();

 private:
  struct Watch {
    std::string dir;
    std::string only_name;  // a file named in rules.paths: only that name counts
  };
  explicit RuleWatch(int fd) : fd_(fd) {}
  bool concerns(int wd, const char* name) const;

  int fd_ = -1;
  std::unordered_map<int, std::vector<Watch>> watches_;
};

}  // namespace edgegw::gateway
