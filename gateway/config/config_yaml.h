// gateway/config/config_yaml.h — typed, position-aware reading of YAML config
// sections (internal to the config loader).
//
// Each reader reports its own problems into the document's Diagnostics as
// `KEY.PATH: message` at the offending node, and leaves the output untouched
// on failure, so the default stays and checking goes on. Nothing throws.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/diag.h"
#include "core/units.h"

namespace edgegw::gateway::detail {

// The file being read: its name, its lines (for positions inside scalars) and
// where diagnostics go.
class YamlDoc {
 public:
  YamlDoc(std::string file, std::string_view text, Diagnostics& diags);

  const std::string& file() const { return file_; }
  Diagnostics& diags() { return diags_; }

  // The node's position, 1-based; `fallback` when yaml-cpp has none.
  SourcePos pos(const YAML::Node& node, const SourcePos& fallback = {}) const;
  // The first character of a scalar's text: past an opening quote, or the
  // first line of a block scalar (`|`, `>`).
  SourcePos text_pos(const YAML::Node& node) const;

  void error(const SourcePos& pos, const std::string& path, const std::string& message);
  void warning(const SourcePos& pos, const std::string& path, const std::string& message);

 private:
  std::string file_;
  std::vector<std::string> lines_;
  Diagnostics& diags_;
};

// Parses `text`, the contents of `file`, and hands the tree to read(doc, root).
// A text that is not YAML is one error ("invalid YAML") and read is not
// called. The diagnostics of reading reach `diags` in file order, as a compiler
// reports them: readers go key by key in their own order, not the file's.
enum class YamlRead { not_yaml, clean, with_errors };
YamlRead read_yaml(const std::string& file, std::string_view text, Diagnostics& diags,
                   const std::function<void(YamlDoc&, const YAML::Node&)>& read);

// One key's value, with what is needed to report on it.
struct Field {
  YAML::Node value;
  std::string path;  // "local.reconnect.min", "forward[2].qos"
  SourcePos pos;     // the value's position, or the key's when the value is null
};

std::string child_path(const std::string& parent, std::string_view key);
std::string item_path(const std::string& parent, size_t index);
// "a map", "a list", "null", or the scalar quoted.
std::string describe(const YAML::Node& node);

// Reads the keys of one map. Keys never asked for are reported by finish()
// as unknown, with the nearest known key as a suggestion.
class MapReader {
 public:
  // A null or absent node reads as an empty map; anything else but a map is
  // an error and reads as empty.
  MapReader(YamlDoc& doc, const Field& field);
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  bool ok() const { return ok_; }  // the node was a map (or null)
  const std::string& path() const { return path_; }
  const SourcePos& pos() const { return pos_; }

  // Marks `key` known; nullopt when absent.
  std::optional<Field> take(std::string_view key);
  void require(std::string_view key);  // error if absent (marks it known)

  // take() + the matching read_*(); false if absent or invalid.
  bool string(std::string_view key, std::string& out);
  bool boolean(std::string_view key, bool& out);
  bool duration(std::string_view key, Duration& out, Duration min = Duration::zero(), Duration max = kMaxDuration);
  bool size(std::string_view key, uint64_t& out, uint64_t min = 0);
  bool count(std::string_view key, uint64_t& out, uint64_t min, uint64_t max);
  bool integer(std::string_view key, int& out, int min, int max);

  // Unknown and duplicate keys. Call once, after every take().
  void finish();

 private:
  YamlDoc& doc_;
  YAML::Node node_;
  std::string path_;
  SourcePos pos_;
  bool ok_ = true;
  std::vector<std::string> known_;
};

bool read_string(YamlDoc& doc, const Field& f, std::string& out);
bool read_bool(YamlDoc& doc, const Field& f, bool& out);
// "50ms is below the minimum of 100ms" when outside [min, max].
bool read_duration(YamlDoc& doc, const Field& f, Duration& out, Duration min = Duration::zero(),
                   Duration max = kMaxDuration);
bool read_size(YamlDoc& doc, const Field& f, uint64_t& out, uint64_t min = 0);
bool read_count(YamlDoc& doc, const Field& f, uint64_t& out, uint64_t min, uint64_t max);
bool read_integer(YamlDoc& doc, const Field& f, int& out, int min, int max);
// One of `choices` ("expected 0, 1 or 2, got 5").
bool read_int_choice(YamlDoc& doc, const Field& f, int& out, std::initializer_list<int> choices);
// A list of strings; a null value is an empty list.
bool read_string_list(YamlDoc& doc, const Field& f, std::vector<std::string>& out,
                      std::vector<SourcePos>* positions = nullptr);
// The items of a list, as Fields; a null value is an empty list.
std::vector<Field> list_items(YamlDoc& doc, const Field& f);

// "expected a, b or c" from the names.
std::string expected_one_of(const std::vector<std::string_view>& names);
// The nearest of `candidates` to `word` by edit distance, if close enough.
std::optional<std::string> suggest(std::string_view word, const std::vector<std::string>& candidates);

template <class E>
using Choices = std::initializer_list<std::pair<std::string_view, E>>;

template <class E>
bool read_enum(YamlDoc& doc, const Field& f, E& out, Choices<E> choices) {
  std::string text;
  if (!read_string(doc, f, text)) return false;
  std::vector<std::string_view> names;
  for (const auto& [name, value] : choices) {
    if (name == text) {
      out = value;
      return true;
    }
    names.push_back(name);
  }
  doc.error(f.pos, f.path, expected_one_of(names) + ", got '" + text + "'");
  return false;
}

}  // namespace edgegw::gateway::detail
