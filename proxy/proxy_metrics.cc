// Registration of proxy/'s own metrics; see proxy_metrics.h.
#include "proxy/proxy_metrics.h"

#include "proxy/metric_names.h"

namespace blueshift::proxy {
namespace {

using namespace metric_names;

constexpr const char* kCancelHelp = "Cancel requests, by what became of them.";
constexpr const char* kBytesHelp = "Bytes relayed, by direction.";
constexpr const char* kReloadHelp = "Configuration reloads (SIGHUP), by result: failed ones changed nothing.";

// From 1 ms to a minute: warehouse queries, not cache hits.
const std::vector<double>& query_buckets() {
  static const std::vector<double> bounds = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                             0.5,   1,     2.5,  5,     10,   30,  60};
  return bounds;
}

}  // namespace

ProxyMetrics::ProxyMetrics(metrics::Registry& registry)
    : connections_active(registry.gauge(kConnectionsActive, "Client connections open now.")),
      connections_total(registry.counter(kConnections, "Client connections accepted.")),
      connections_rejected(
          registry.counter(kConnectionsRejected, "Client connections refused for exceeding limits.max_client_connections.")),
      cancels_forwarded(registry.counter(kCancelRequests, kCancelHelp, {{"result", "forwarded"}})),
      cancels_unknown(registry.counter(kCancelRequests, kCancelHelp, {{"result", "unknown"}})),
      cancels_throttled(registry.counter(kCancelRequests, kCancelHelp, {{"result", "throttled"}})),
      upstream_connects(registry.counter(kUpstreamConnects, "Upstream connections opened (TCP, and TLS when used).")),
      upstream_failures(registry.counter(
          kUpstreamFailures, "Upstream connections that could not be opened or that closed unexpectedly.")),
      queries(registry.counter(kQueries, "Queries answered: client requests each ended by a ReadyForQuery.")),
      query_duration(registry.histogram(kQueryDuration, "Time from a query's first message to its ReadyForQuery.",
                                        query_buckets())),
      bytes_from_client(registry.counter(kBytes, kBytesHelp, {{"direction", "from_client"}})),
      bytes_from_upstream(registry.counter(kBytes, kBytesHelp, {{"direction", "from_upstream"}})),
      reloads_ok(registry.counter(kReloads, kReloadHelp, {{"result", "ok"}})),
      reloads_failed(registry.counter(kReloads, kReloadHelp, {{"result", "failed"}})),
      draining(registry.gauge(kDraining, "1 while the proxy drains its sessions before exiting.")),
      parked_tasks(registry.gauge(kParkedTasks, "Session pumps parked through an idle spell, holding no coroutine.")) {}

}  // namespace blueshift::proxy
