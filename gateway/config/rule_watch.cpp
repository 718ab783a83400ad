#include "gateway/config/rule_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "gateway/config/config.h"

namespace edgegw::gateway {
namespace {

constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF;

}  // namespace

std::unique_ptr<RuleWatch> RuleWatch::open(const std::vector<std::string>& paths, std::vector<std::string>& warnings) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    warnings.push_back(std::string("inotify: ") + std::strerror(errno) + "; rule files reload on SIGHUP only");
    return nullptr;
  }
  std::unique_ptr<RuleWatch> w(new RuleWatch(fd));
  for (const auto& path : paths) {
    std::error_code ec;
    Watch watch;
    if (std::filesystem::is_directory(path, ec)) {
      watch.dir = path;
    } else {
      std::filesystem::path p(path);
      watch.dir = p.has_parent_path() ? p.parent_path().string() : ".";
      watch.only_name = p.filename().string();
    }
    int wd = ::inotify_add_watch(fd, watch.dir.c_str(), kMask);
    if (wd < 0) {
      warnings.push_back("rules path '" + path + "': cannot watch for changes (" + std::strerror(errno) +
                         "); it reloads on SIGHUP only");
      continue;
    }
    w->watches_[wd].push_back(std::move(watch));
  }
  return w;
}

RuleWatch::~RuleWatch() {
  if (fd_ >= 0) ::close(fd_);
}

bool RuleWatch::concerns(int wd, const char* name) const {
  auto it = watches_.find(wd);
  if (it == watches_.end()) return false;
  for (const Watch& w : it->second) {
    if (name == nullptr || *name == '\0') return true;  // the folder itself went away
    if (w.only_name.empty() ? is_rule_file_name(name) : w.only_name == name) return true;
  }
  return false;
}

bool RuleWatch::changed() {
  alignas(inotify_event) char buf[16 * 1024];
  bool any = false;
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) break;  // EAGAIN: drained
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      if (ev->mask & IN_Q_OVERFLOW)
        any = true;  // events were lost: assume the worst
      else if (concerns(ev->wd, ev->len > 0 ? ev->name : nullptr))
        any = true;
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
  }
  return any;
}

}  // namespace edgegw::gateway
