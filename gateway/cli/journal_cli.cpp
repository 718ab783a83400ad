#include "gateway/cli/journal_cli.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <cerrno>
#include <cstring>

#include "core/topic.h"
#include "core/units.h"
#include "gateway/base/rfc3339.h"
#include "gateway/journal/journal_scan.h"
#include "gateway/store/outbox_cli.h"

namespace edgegw::gateway {

namespace fmt = journal_format;

std::optional<TimePoint> parse_since(std::string_view text, TimePoint now) {
  if (auto d = parse_duration(text)) return now - *d;
  return parse_rfc3339(text);
}

Result<uint64_t> each_journal_event(const std::string& journal_dir, const JournalQuery& q,
                                    const std::function<void(SimEvent&)>& each) {
  if (!q.topic_filter.empty() && !valid_topic_filter(q.topic_filter)) {
    return Status::error("--topic", "'" + q.topic_filter + "' is not a valid MQTT topic filter");
  }
  uint64_t handed = 0;
  std::optional<TimePoint> last;
  SimEvent ev;
  auto scanned = scan_journal(journal_dir, 0, [&](JournalRecord& rec) {
    const TimePoint at = from_unix_ms(rec.received_ms);
    if ((q.since && at < *q.since) || (q.until && at >= *q.until)) return true;
    if (!q.topic_filter.empty() && !topic_matches(q.topic_filter, rec.topic)) return true;
    ev.event = Event{};
    ev.event.topic = std::move(rec.topic);
    ev.event.payload = std::move(rec.payload);
    ev.event.qos = rec.qos;
    ev.event.retained = rec.retain;
    ev.event.link = rec.link;
    last = last ? std::max(*last, at) : at;
    ev.at = last;
    ++handed;
    each(ev);
    return true;
  });
  if (!scanned.ok()) return scanned.status();
  return handed;
}

int journal_export(const std::string& journal_dir, const JournalQuery& q, std::ostream& out, std::ostream& err) {
  auto n =
      each_journal_event(journal_dir, q, [&](SimEvent& ev) { out << format_event_line(ev.event, *ev.at) << '\n'; });
  if (!n.ok()) {
    err << "edgegw journal export: " << n.status().message() << "\n";
    return 1;
  }
  out.flush();
  return out ? 0 : 1;
}

namespace {

std::vector<uint64_t> segment_firsts(const std::string& dir) {
  std::vector<uint64_t> firsts;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (auto first = fmt::parse_segment_file_name(e->d_name)) firsts.push_back(*first);
    }
    ::closedir(d);
  }
  std::sort(firsts.begin(), firsts.end());
  return firsts;
}

}  // namespace

int journal_purge(const std::string& state_dir, std::ostream& out, std::ostream& err, TimePoint now) {
  auto outbox = open_outbox_for_cli(state_dir + "/outbox.db");
  if (!outbox.ok()) {
    err << "edgegw journal purge: " << outbox.status().message() << "\n";
    return 1;
  }
  const uint64_t committed = (*outbox)->journal_position();
  const std::string dir = state_dir + "/journal";
  const auto firsts = segment_firsts(dir);
  uint64_t removed = 0, bytes = 0;
  for (size_t i = 0; i + 1 < firsts.size() && firsts[i + 1] - 1 <= committed; ++i) {
    const std::string path = dir + "/" + fmt::segment_file_name(firsts[i]);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    const TimePoint written = from_unix_ms(st.st_mtim.tv_sec * 1000LL + st.st_mtim.tv_nsec / 1'000'000);
    if (now - written < kPurgeQuiet) continue;  // its commit may not be checkpointed yet
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      err << "edgegw journal purge: " << path << ": " << std::strerror(errno) << "\n";
      return 1;
    }
    ++removed;
    bytes += static_cast<uint64_t>(st.st_size);
  }
  out << "purged " << removed << " journal segment(s), " << bytes << " bytes\n";
  return 0;
}

}  // namespace edgegw::gateway
