#include "core/topic.h"

#include <algorithm>

namespace edgegw {

std::vector<std::string_view> topic_levels(std::string_view topic) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t slash = topic.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(topic.substr(start));
      return out;
    }
    out.push_back(topic.substr(start, slash - start));
    start = slash + 1;
  }
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic.front() == '$' && !filter.empty() && (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  size_t f = 0, t = 0;
  while (true) {
    size_t f_end = filter.find('/', f);
    std::string_view flevel = filter.substr(f, f_end == std::string_view::npos ? std::string_view::npos : f_end - f);
    if (flevel == "#") return true;      // matches the parent level and everything below
    if (t > topic.size()) return false;  // topic exhausted, filter has more levels
    size_t t_end = topic.find('/', t);
    std::string_view tlevel = topic.substr(t, t_end == std::string_view::npos ? std::string_view::npos : t_end - t);
    if (flevel != "+" && flevel != tlevel) return false;
    bool f_last = f_end == std::string_view::npos;
    bool t_last = t_end == std::string_view::npos;
    if (f_last && t_last) return true;
    if (f_last) return false;
    if (t_last) {
      // Topic ends here; only a following "#" level can still match ("a/#" matches "a").
      return filter.substr(f_end + 1) == "#";
    }
    f = f_end + 1;
    t = t_end + 1;
  }
}

size_t find_unfit_topic_char(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) return i;
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0)
      len = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
      len = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0)
      len = 4, cp = c & 0x07, min = 0x10000;
    else
      return i;  // a continuation byte where a character starts, or 0xF8..0xFF
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F)) return i;
    // Noncharacters (U+FDD0-U+FDEF, U+xFFFE, U+xFFFF): MQTT lets a receiver
    // close the connection over them and Mosquitto does ("malformed packet").
    if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) return i;
    i += len;
  }
  return std::string_view::npos;
}

bool valid_topic_name(std::string_view topic) {
  if (topic.empty() || topic.size() > 65535) return false;
  if (find_unfit_topic_char(topic) != std::string_view::npos) return false;
  return topic.find_first_of("+#") == std::string_view::npos;
}

bool valid_topic_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > 65535) return false;
  if (find_unfit_topic_char(filter) != std::string_view::npos) return false;
  auto levels = topic_levels(filter);
  for (size_t i = 0; i < levels.size(); ++i) {
    auto l = levels[i];
    if (l.find('#') != std::string_view::npos && (l != "#" || i + 1 != levels.size())) return false;
    if (l.find('+') != std::string_view::npos && l != "+") return false;
  }
  return true;
}

bool filter_covers(std::string_view outer, std::string_view inner) {
  auto o = topic_levels(outer);
  auto in = topic_levels(inner);
  if (!in.empty() && !in[0].empty() && in[0].front() == '$' && !o.empty() && (o[0] == "+" || o[0] == "#")) {
    return false;
  }
  for (size_t i = 0; i < o.size(); ++i) {
    if (o[i] == "#") return true;
    if (i >= in.size()) return false;
    if (in[i] == "#") return false;  // inner reaches deeper than a single outer level
    if (o[i] == "+") continue;       // covers any single level, including "+"
    if (o[i] != in[i]) return false;
  }
  return o.size() == in.size();
}

std::vector<std::string> minimal_filters(const std::vector<std::string>& filters) {
  std::vector<std::string> out;
  for (size_t i = 0; i < filters.size(); ++i) {
    bool covered = false;
    for (size_t j = 0; j < filters.size() && !covered; ++j) {
      if (i == j) continue;
      if (filters[j] == filters[i]) {
        covered = j < i;  // keep the first of equal filters
      } else {
        covered = filter_covers(filters[j], filters[i]);
      }
    }
    if (!covered) out.push_back(filters[i]);
  }
  return out;
}

}  // namespace edgegw
