// Registration of proxy/'s own metrics; see proxy_metrics.h.
#include "proxy/proxy_metrics.h"

#include "proxy/metric_names.h"

namespace blueshift::proxy {

using namespace metric_names;

ProxyMetrics::ProxyMetrics(metrics::Registry& registry)
    : connections_active(registry.gauge(kConnectionsActive, "Client connections open now.")),
      connections_total(registry.counter(kConnections, "Client connections accepted.")),
      connections_rejected(
          registry.counter(kConnectionsRejected, "Client connections refused for exceeding limits.max_client_connections.")),
      cancels_forwarded(registry.counter(kCancelRequests, "Cancel requests, by what became of them.",
                                         {{"result", "forwarded"}})),
      cancels_unknown(registry.counter(kCancelRequests, "Cancel requests, by what became of them.",
                                       {{"result", "unknown"}})),
      cancels_throttled(registry.counter(kCancelRequests, "Cancel requests, by what became of them.",
                                         {{"result", "throttled"}})),
      upstream_failures(registry.counter(
          kUpstreamFailures, "Upstream connections that could not be opened or that closed unexpectedly.")) {}

}  // namespace blueshift::proxy
