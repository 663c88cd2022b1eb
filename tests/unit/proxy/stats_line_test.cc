#include "proxy/stats_line.h"

#include <gtest/gtest.h>

#include "proxy/metric_names.h"
#include "proxy/proxy_metrics.h"

namespace blueshift::proxy {
namespace {

// Distinct figures in every field, so that a field reading another's metric shows.
void bump(ProxyMetrics& m) {
  m.connections_active.add(2);
  m.connections_total.inc(7);
  m.connections_rejected.inc(1);
  m.cancels_forwarded.inc(3);
  m.cancels_unknown.inc(4);
  m.upstream_failures.inc(5);
}

TEST(StatsLine, ProxyFiguresFromTheRegistry) {
  metrics::Registry registry;
  ProxyMetrics m(registry);
  EXPECT_EQ(stats_line(registry.collect()),
            "stats connections_active=0 connections_total=0 rejected=0 cancels_forwarded=0 cancels_unknown=0 "
            "upstream_failures=0");
  bump(m);
  EXPECT_EQ(stats_line(registry.collect()),
            "stats connections_active=2 connections_total=7 rejected=1 cancels_forwarded=3 cancels_unknown=4 "
            "upstream_failures=5");
}

TEST(StatsLine, PolicyFiguresWhenTheGovernorReportsThem) {
  metrics::Registry registry;
  ProxyMetrics m(registry);
  bump(m);
  registry.add_collector([](std::vector<metrics::Family>& out) {
    using namespace metric_names;
    double n = 10;
    for (auto name : {kPolicyChecks, kPolicyParses, kPolicyCacheHits, kPolicyRefusals, kPolicyWarnings,
                      kPolicyAuditLines}) {
      out.push_back(metrics::single(std::string(name), "Test.", metrics::Type::Counter, n++));
    }
  });
  EXPECT_EQ(stats_line(registry.collect()),
            "stats connections_active=2 connections_total=7 rejected=1 cancels_forwarded=3 cancels_unknown=4 "
            "upstream_failures=5 checked=10 parsed=11 cache_hits=12 refused=13 warned=14 audited=15");
}

}  // namespace
}  // namespace blueshift::proxy
