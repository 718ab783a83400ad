#include "gateway/config/config_yaml.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>

#include "core/units.h"

namespace edgegw::gateway::detail {
namespace {

bool parse_uint(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// Optimal string alignment distance: a swapped pair of letters counts once,
// the commonest typo in a key name.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// A number prints as written; anything else quoted, as the user wrote it.
std::string got(const YAML::Node& node) {
  uint64_t n = 0;
  if (node.IsScalar() && parse_uint(node.Scalar(), n)) return node.Scalar();
  return describe(node);
}

}  // namespace

YamlDoc::YamlDoc(std::string file, std::string_view text, Diagnostics& diags) : file_(std::move(file)), diags_(diags) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines_.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
}

SourcePos YamlDoc::pos(const YAML::Node& node, const SourcePos& fallback) const {
  YAML::Mark m = node.Mark();
  if (m.line < 0 || m.column < 0) return fallback.file.empty() ? SourcePos{file_, 0, 0} : fallback;
  return {file_, m.line + 1, m.column + 1};
}

SourcePos YamlDoc::text_pos(const YAML::Node& node) const {
  SourcePos p = pos(node);
  if (!node.IsScalar() || p.line <= 0 || static_cast<size_t>(p.line) > lines_.size()) return p;
  const std::string& line = lines_[p.line - 1];
  size_t col = static_cast<size_t>(p.column - 1);
  if (col >= line.size()) return p;
  char c = line[col];
  if (c == '"' || c == '\'') {
    ++p.column;
  } else if (c == '|' || c == '>') {
    // A block scalar's text starts on the first non-blank line after the indicator.
    for (size_t i = static_cast<size_t>(p.line); i < lines_.size(); ++i) {
      size_t first = lines_[i].find_first_not_of(' ');
      if (first == std::string::npos) continue;
      return {file_, static_cast<int>(i + 1), static_cast<int>(first + 1)};
    }
  }
  return p;
}

void YamlDoc::error(const SourcePos& pos, const std::string& path, const std::string& message) {
  diags_.error(pos, path.empty() ? message : path + ": " + message);
}

void YamlDoc::warning(const SourcePos& pos, const std::string& path, const std::string& message) {
  diags_.warning(pos, path.empty() ? message : path + ": " + message);
}

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string item_path(const std::string& parent, size_t index) { return parent + "[" + std::to_string(index) + "]"; }

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return "'" + node.Scalar() + "'";
}

std::string expected_one_of(const std::vector<std::string_view>& names) {
  std::string out = "expected ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

std::optional<std::string> suggest(std::string_view word, const std::vector<std::string>& candidates) {
  size_t allowed = word.size() <= 3 ? 1 : word.size() <= 6 ? 2 : 3;
  std::optional<std::string> best;
  size_t best_distance = allowed + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

MapReader::MapReader(YamlDoc& doc, const Field& field)
    : doc_(doc), node_(field.value), path_(field.path), pos_(field.pos) {
  if (!node_.IsDefined() || node_.IsNull()) return;
  if (!node_.IsMap()) {
    doc_.error(pos_, path_, "expected a map, got " + describe(node_));
    ok_ = false;
  }
}

std::optional<Field> MapReader::take(std::string_view key) {
  known_.emplace_back(key);
  if (!ok_ || !node_.IsDefined() || !node_.IsMap()) return std::nullopt;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar() != key) continue;
    SourcePos key_pos = doc_.pos(it->first, pos_);
    SourcePos value_pos = it->second.IsNull() ? key_pos : doc_.pos(it->second, key_pos);
    return Field{it->second, child_path(path_, key), value_pos};
  }
  return std::nullopt;
}

void MapReader::require(std::string_view key) {
  if (!take(key) && ok_) doc_.error(pos_, path_, "missing required key '" + std::string(key) + "'");
}

bool MapReader::string(std::string_view key, std::string& out) {
  auto f = take(key);
  return f && read_string(doc_, *f, out);
}
bool MapReader::boolean(std::string_view key, bool& out) {
  auto f = take(key);
  return f && read_bool(doc_, *f, out);
}
bool MapReader::duration(std::string_view key, Duration& out, Duration min, Duration max) {
  auto f = take(key);
  return f && read_duration(doc_, *f, out, min, max);
}
bool MapReader::size(std::string_view key, uint64_t& out, uint64_t min) {
  auto f = take(key);
  return f && read_size(doc_, *f, out, min);
}
bool MapReader::count(std::string_view key, uint64_t& out, uint64_t min, uint64_t max) {
  auto f = take(key);
  return f && read_count(doc_, *f, out, min, max);
}
bool MapReader::integer(std::string_view key, int& out, int min, int max) {
  auto f = take(key);
  return f && read_integer(doc_, *f, out, min, max);
}

void MapReader::finish() {
  if (!ok_ || !node_.IsDefined() || !node_.IsMap()) return;
  std::map<std::string, int> first_line;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    SourcePos key_pos = doc_.pos(it->first, pos_);
    if (!it->first.IsScalar()) {
      doc_.error(key_pos, path_, "expected a key name, got " + describe(it->first));
      continue;
    }
    const std::string& key = it->first.Scalar();
    auto [seen, inserted] = first_line.emplace(key, key_pos.line);
    if (!inserted) {
      doc_.error(key_pos, path_, "duplicate key '" + key + "' (first at line " + std::to_string(seen->second) + ")");
      continue;
    }
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string message = "unknown key '" + key + "'";
    if (auto s = suggest(key, known_)) message += " (did you mean '" + *s + "'?)";
    doc_.error(key_pos, path_, message);
  }
}

bool read_string(YamlDoc& doc, const Field& f, std::string& out) {
  if (!f.value.IsScalar()) {
    doc.error(f.pos, f.path, "expected a string, got " + describe(f.value));
    return false;
  }
  out = f.value.Scalar();
  return true;
}

bool read_bool(YamlDoc& doc, const Field& f, bool& out) {
  static const std::pair<std::string_view, bool> kWords[] = {{"true", true},   {"True", true},   {"TRUE", true},
                                                             {"false", false}, {"False", false}, {"FALSE", false}};
  if (f.value.IsScalar()) {
    for (const auto& [word, value] : kWords) {
      if (f.value.Scalar() == word) {
        out = value;
        return true;
      }
    }
  }
  doc.error(f.pos, f.path, "expected true or false, got " + describe(f.value));
  return false;
}

bool read_duration(YamlDoc& doc, const Field& f, Duration& out, Duration min, Duration max) {
  std::string text;
  if (!f.value.IsScalar()) {
    doc.error(f.pos, f.path, "expected a duration such as 500ms, 30s or 7d, got " + describe(f.value));
    return false;
  }
  text = f.value.Scalar();
  auto d = parse_duration(text);
  if (!d) {
    doc.error(f.pos, f.path, "expected a duration such as 500ms, 30s or 7d, got '" + text + "'");
    return false;
  }
  if (*d < min) {
    doc.error(f.pos, f.path, text + " is below the minimum of " + format_duration(min));
    return false;
  }
  if (*d > max) {
    doc.error(f.pos, f.path, text + " is above the maximum of " + format_duration(max));
    return false;
  }
  out = *d;
  return true;
}

bool read_size(YamlDoc& doc, const Field& f, uint64_t& out, uint64_t min) {
  auto s = f.value.IsScalar() ? parse_size(f.value.Scalar()) : std::nullopt;
  if (!s) {
    doc.error(f.pos, f.path, "expected a size such as 64KiB or 512MiB, got " + describe(f.value));
    return false;
  }
  if (*s < min) {
    doc.error(f.pos, f.path, f.value.Scalar() + " is below the minimum of " + std::to_string(min) + " bytes");
    return false;
  }
  out = *s;
  return true;
}

bool read_count(YamlDoc& doc, const Field& f, uint64_t& out, uint64_t min, uint64_t max) {
  uint64_t n = 0;
  if (!f.value.IsScalar() || !parse_uint(f.value.Scalar(), n) || n < min || n > max) {
    std::string range = max >= static_cast<uint64_t>(INT64_MAX)
                            ? "of at least " + std::to_string(min)
                            : "from " + std::to_string(min) + " to " + std::to_string(max);
    doc.error(f.pos, f.path, "expected a whole number " + range + ", got " + got(f.value));
    return false;
  }
  out = n;
  return true;
}

bool read_integer(YamlDoc& doc, const Field& f, int& out, int min, int max) {
  uint64_t n = 0;
  if (!read_count(doc, f, n, static_cast<uint64_t>(std::max(min, 0)), static_cast<uint64_t>(std::max(max, 0)))) {
    return false;
  }
  out = static_cast<int>(n);
  return true;
}

bool read_int_choice(YamlDoc& doc, const Field& f, int& out, std::initializer_list<int> choices) {
  uint64_t n = 0;
  if (f.value.IsScalar() && parse_uint(f.value.Scalar(), n)) {
    for (int c : choices) {
      if (static_cast<uint64_t>(c) == n) {
        out = c;
        return true;
      }
    }
  }
  std::vector<std::string> texts;
  for (int c : choices) texts.push_back(std::to_string(c));
  std::vector<std::string_view> names(texts.begin(), texts.end());
  doc.error(f.pos, f.path, expected_one_of(names) + ", got " + got(f.value));
  return false;
}

bool read_string_list(YamlDoc& doc, const Field& f, std::vector<std::string>& out, std::vector<SourcePos>* positions) {
  std::vector<std::string> values;
  std::vector<SourcePos> where;
  bool ok = true;
  if (f.value.IsScalar()) {  // a single string is a list of one
    values.push_back(f.value.Scalar());
    where.push_back(f.pos);
  } else {
    for (const auto& item : list_items(doc, f)) {
      std::string s;
      if (!read_string(doc, item, s)) {
        ok = false;
        continue;
      }
      values.push_back(std::move(s));
      where.push_back(item.pos);
    }
    if (!f.value.IsNull() && !f.value.IsSequence()) ok = false;
  }
  if (!ok) return false;
  out = std::move(values);
  if (positions) *positions = std::move(where);
  return true;
}

std::vector<Field> list_items(YamlDoc& doc, const Field& f) {
  std::vector<Field> out;
  if (!f.value.IsDefined() || f.value.IsNull()) return out;
  if (!f.value.IsSequence()) {
    doc.error(f.pos, f.path, "expected a list, got " + describe(f.value));
    return out;
  }
  for (size_t i = 0; i < f.value.size(); ++i) {
    YAML::Node item = f.value[i];
    SourcePos p = doc.pos(item, f.pos);
    out.push_back({item, item_path(f.path, i), p});
  }
  return out;
}

YamlRead read_yaml(const std::string& file, std::string_view text, Diagnostics& diags,
                   const std::function<void(YamlDoc&, const YAML::Node&)>& read) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    diags.error({file, e.mark.line + 1, e.mark.column + 1}, "invalid YAML: " + e.msg);
    return YamlRead::not_yaml;
  }
  Diagnostics found;
  YamlDoc doc(file, text, found);
  try {
    read(doc, root);
  } catch (const YAML::Exception& e) {
    // Reading a parsed tree should not throw; if yaml-cpp does, report it
    // rather than let it escape.
    found.error({file, e.mark.line + 1, e.mark.column + 1}, "cannot read YAML: " + e.msg);
  }
  const bool clean = !found.has_errors();
  std::vector<Diagnostic> items = found.items();
  std::stable_sort(items.begin(), items.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
  });
  for (auto& d : items) diags.add(std::move(d));
  return clean ? YamlRead::clean : YamlRead::with_errors;
}

}  // namespace edgegw::gateway::detail
