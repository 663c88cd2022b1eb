// Renders collected metrics in Prometheus's text exposition format (version 0.0.4): a HELP
// and a TYPE line per family, then one line per sample (histograms as _bucket, _sum and
// _count). What the metrics endpoint will serve (issue 14); Asio-free.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proxy/metrics.h"

namespace blueshift::proxy::metrics {

[[nodiscard]] std::string prometheus_text(const std::vector<Family>& families);

// A label value with backslash, double quote and newline escaped, as the format requires.
[[nodiscard]] std::string escape_label_value(std::string_view value);

// A sample value: integers without a fraction, others in their shortest exact form, and
// +Inf, -Inf, NaN spelled as Prometheus reads them.
[[nodiscard]] std::string format_value(double value);

}  // namespace blueshift::proxy::metrics
