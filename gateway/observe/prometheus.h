// gateway/observe/prometheus.h — the Prometheus text exposition format, version 0.0.4.
//
// PromText writes metric families: `# HELP` and `# TYPE` once, then samples
// with escaped label values. It does not check names; callers use constant
// `edgegw_*` names with the unit in the name. Not thread-safe (one per scrape).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "gateway/base/latency_histogram.h"

namespace edgegw::gateway {

using Label = std::pair<std::string_view, std::string_view>;

class PromText {
 public:
  // type: counter | gauge | histogram
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, double value, std::initializer_list<Label> labels = {});
  void sample(std::string_view name, uint64_t value, std::initializer_list<Label> labels = {});
  // A whole histogram family (`name` ends in _seconds) from millisecond buckets.
  void histogram(std::string_view name, std::string_view help, const LatencyHistogram& h);
  const std::string& text() const { return out_; }

 private:
  void begin_sample(std::string_view name, std::initializer_list<Label> labels);
  std::string out_;
};

// Label value escaping: backslash, double quote and line feed.
std::string escape_label_value(std::string_view v);
// HELP text escaping: backslash and line feed.
std::string escape_help(std::string_view v);
// Shortest exact text for a sample value; NaN and infinities as Prometheus spells them.
std::string format_sample_value(double v);

}  // namespace edgegw::gateway
