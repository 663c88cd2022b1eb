// The periodic stats log line, "stats connections_active=3 connections_total=10 ...", built
// from a read of the metrics registry: what an operator greps for first.
#pragma once

#include <string>
#include <vector>

#include "proxy/metrics.h"

namespace blueshift::proxy {

// The policy figures appear only when the governor reports them (policies are configured).
[[nodiscard]] std::string stats_line(const std::vector<metrics::Family>& families);

}  // namespace blueshift::proxy
