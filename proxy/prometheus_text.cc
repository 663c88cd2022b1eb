// Prometheus text exposition; see prometheus_text.h.
#include "proxy/prometheus_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace blueshift::proxy::metrics {
namespace {

// HELP text escapes backslash and newline only; label values also the double quote.
std::string escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quote && c == '"') out += "\\\"";
    else out += c;
  }
  return out;
}

// {a="x",le="0.5"}, or nothing when there are no labels.
std::string label_block(const Labels& labels, const std::string* le = nullptr) {
  if (labels.empty() && !le) return {};
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ',';
    out += name + "=\"" + escape_label_value(value) + '"';
  }
  if (le) out += std::string(out.size() > 1 ? "," : "") + "le=\"" + *le + '"';
  return out + '}';
}

void line(std::string& out, std::string_view name, const std::string& labels, const std::string& value) {
  out.append(name).append(labels).append(" ").append(value).append("\n");
}

void histogram_lines(std::string& out, const Family& family, const Sample& sample) {
  const HistogramSnapshot& h = sample.histogram;
  const std::string bucket = family.name + "_bucket";
  for (size_t i = 0; i < h.cumulative.size(); ++i) {
    const std::string le = i < h.bounds.size() ? format_value(h.bounds[i]) : "+Inf";
    line(out, bucket, label_block(sample.labels, &le), std::to_string(h.cumulative[i]));
  }
  line(out, family.name + "_sum", label_block(sample.labels), format_value(h.sum));
  line(out, family.name + "_count", label_block(sample.labels), std::to_string(h.count));
}

const char* type_name(Type type) {
  switch (type) {
    case Type::Counter: return "counter";
    case Type::Gauge: return "gauge";
    case Type::Histogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string escape_label_value(std::string_view value) { return escape(value, true); }

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Exact integers (every counter below 2^53) print as integers: "5", not "5e+00".
  if (value == std::trunc(value) && std::fabs(value) < 9.007199254740992e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string prometheus_text(const std::vector<Family>& families) {
  std::string out;
  for (const Family& family : families) {
    out += "# HELP " + family.name + " " + escape(family.help, false) + "\n";
    out += "# TYPE " + family.name + " " + type_name(family.type) + "\n";
    for (const Sample& sample : family.samples) {
      if (family.type == Type::Histogram) histogram_lines(out, family, sample);
      else line(out, family.name, label_block(sample.labels), format_value(sample.value));
    }
  }
  return out;
}

}  // namespace blueshift::proxy::metrics
