#include "gateway/observe/prometheus.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace edgegw::gateway {

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_sample_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {  // whole numbers as integers: le="3600", not "3.6e+03"
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Prefer the shortest form that reads back the same (0.1, not 0.10000000000000001).
  for (int prec = 1; prec < 17; ++prec) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", prec, v);
    if (std::strtod(shorter, nullptr) == v) return shorter;
  }
  return buf;
}

void PromText::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PromText::begin_sample(std::string_view name, std::initializer_list<Label> labels) {
  out_ += name;
  if (labels.size() > 0) {
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out_ += ',';
      first = false;
      out_ += k;
      out_ += "=\"";
      out_ += escape_label_value(v);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
}

void PromText::sample(std::string_view name, double value, std::initializer_list<Label> labels) {
  begin_sample(name, labels);
  out_ += format_sample_value(value);
  out_ += '\n';
}

void PromText::sample(std::string_view name, uint64_t value, std::initializer_list<Label> labels) {
  begin_sample(name, labels);
  out_ += std::to_string(value);
  out_ += '\n';
}

void PromText::histogram(std::string_view name, std::string_view help, const LatencyHistogram& h) {
  family(name, "histogram", help);
  const std::string base(name);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
    cumulative += h.bucket(i);
    std::string le = i < LatencyHistogram::kBoundsMs.size()
                         ? format_sample_value(static_cast<double>(LatencyHistogram::kBoundsMs[i]) / 1000.0)
                         : "+Inf";
    sample(base + "_bucket", cumulative, {{"le", le}});
  }
  sample(base + "_sum", static_cast<double>(h.sum_ms()) / 1000.0);
  sample(base + "_count", cumulative);
}

}  // namespace edgegw::gateway
