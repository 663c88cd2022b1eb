// The metrics proxy/ updates on its hot path, registered once; sessions and the listener
// hold these references and bump them with one relaxed atomic operation per event.
#pragma once

#include "proxy/metrics.h"

namespace blueshift::proxy {

struct ProxyMetrics {
  explicit ProxyMetrics(metrics::Registry& registry);

  metrics::Gauge& connections_active;
  metrics::Counter& connections_total;
  metrics::Counter& connections_rejected;
  metrics::Counter& cancels_forwarded;
  metrics::Counter& cancels_unknown;
  metrics::Counter& cancels_throttled;
  metrics::Counter& upstream_failures;
};

}  // namespace blueshift::proxy
