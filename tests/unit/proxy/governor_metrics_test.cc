#include "proxy/governor_metrics.h"

#include <gtest/gtest.h>

#include "policies/governor_options.h"
#include "proxy/metric_names.h"
#include "proxy/stats_line.h"

namespace blueshift::proxy {
namespace {

using policies::Verdict;

TEST(GovernorMetrics, TheRegistryReportsTheGovernorsOwnCounters) {
  policies::GovernorOptions options;  // no catalog: the declared table is governed
  auto governor = policies::Governor::create(
      YAML::Load("tables: [{name: spectrum_schema.sales, partition_columns: [year]}]\n"
                 "rules: [{name: f, type: require_partition_filter}]"),
      options);
  metrics::Registry registry;
  add_governor_collector(registry, governor);
  const policies::SessionContext who{"analyst", "dev", "", "127.0.0.1", {}, false};
  EXPECT_EQ(governor->check_query("SELECT * FROM spectrum_schema.sales", who).verdict.outcome, Verdict::Outcome::Refuse);
  EXPECT_EQ(governor->check_query("SELECT * FROM spectrum_schema.sales WHERE year = 1", who).verdict.outcome,
            Verdict::Outcome::Pass);
  EXPECT_EQ(governor->check_query("SELECT * FROM spectrum_schema.sales WHERE year = 2", who).verdict.outcome,
            Verdict::Outcome::Pass);

  // Pulled at collection time: the figures are the governor's, as they are now.
  const auto families = registry.collect();
  const auto g = governor->counters();
  ASSERT_EQ(g.checked, 3u);
  ASSERT_EQ(g.refused, 1u);
  using namespace metric_names;
  EXPECT_EQ(metrics::find_value(families, kPolicyChecks), 3.0);
  EXPECT_EQ(metrics::find_value(families, kPolicyRefusals), 1.0);
  EXPECT_EQ(metrics::find_value(families, kPolicyWarnings), 0.0);
  EXPECT_EQ(metrics::find_value(families, kPolicyParses), double(g.parsed));
  EXPECT_EQ(metrics::find_value(families, kPolicyCacheHits), double(g.cache_hits));
  EXPECT_EQ(metrics::find_value(families, kPolicyAuditLines), double(g.audited));
  EXPECT_NE(g.parsed, g.cache_hits) << "the literals are lifted: the second filtered query is a cache hit";
  const std::string line = stats_line(families);
  EXPECT_NE(line.find(" checked=3 parsed=" + std::to_string(g.parsed) + " cache_hits=" + std::to_string(g.cache_hits) +
                      " refused=1 warned=0 audited=" + std::to_string(g.audited)),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace blueshift::proxy
