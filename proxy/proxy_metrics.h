// The metrics proxy/ updates on its hot path, registered once; sessions and the listener
// hold these references and bump them with one relaxed atomic operation per event (counters
// in a cell of the thread's own, metrics.h).
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
  metrics::Counter& upstream_connects;
  metrics::Counter& upstream_failures;
  // A query: what the client sent between two ReadyForQuery, timed from its first byte
  // sent upstream to the ReadyForQuery that ends it.
  metrics::Counter& queries;
  metrics::Histogram& query_duration;
  metrics::Counter& bytes_from_client;
  metrics::Counter& bytes_from_upstream;
  metrics::Counter& reloads_ok;
  metrics::Counter& reloads_failed;
  metrics::Gauge& draining;  // 1 from a stop signal on
  // Session pumps parked through an idle spell (Readiness::Sleeper): no coroutine held.
  metrics::Gauge& parked_tasks;
};

}  // namespace blueshift::proxy
