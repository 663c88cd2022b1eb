// Dry runs (SET blueshift.dry_run = on), the policies' half: which texts still run (they
// scan nothing), and the rows a dry run answers, one per external table scanned, with the
// decision the policies would take on it.
#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"
#include "policies/dry_run.h"
#include "policies/scan_estimate.h"
#include "rewrite/analyzer.h"

namespace blueshift::policies {
namespace {

using namespace testing;

rewrite::QueryFacts facts_of(const std::string& sql) { return rewrite::analyze(sql, rewrite::AnalysisContext{}); }

// The demo catalog and policies, every sales partition 3 MiB, as the analyst sees them.
struct DryRuns : ::testing::Test {
  Catalog catalog = demo_catalog();
  PolicySet policies = policy(kDemoPolicies);
  PartitionSizes sizes;
  void SetUp() override {
    ExternalTable sales = *catalog.find_external("spectrum_schema.sales");
    for (const auto& p : sales.partitions) {
      sales.partition_locations.push_back("s3://lake/sales/" + p[0] + "/" + p[1] + "/");
      sizes.add(sales.partition_locations.back(), 3 * kMiB);
    }
    catalog.add_external(sales);
  }
  std::vector<DryRunRow> rows(const std::string& sql, const std::vector<rewrite::ParamValue>* params = nullptr) {
    const auto facts = facts_of(sql);
    EvaluateOptions options;
    options.params_final = true;
    options.params = params;
    options.sizes = &sizes;
    const Decision d = evaluate(policies, facts, analyst(), catalog, options);
    return dry_run_rows(facts, d, catalog, sizes, policies.cost, params);
  }
  [[nodiscard]] double usd_alone(int64_t bytes) const {
    return cost_usd(billed_bytes(bytes, bytes > 0, policies.cost), policies.cost);
  }
};

TEST(DryRunRuns, OnlyTransactionControlSetAndShowRun) {
  for (const char* sql : {"begin", "COMMIT", "rollback to savepoint a", "set search_path to x", "reset all",
                          "show search_path", "begin; set statement_timeout = 0; commit", ""}) {
    EXPECT_TRUE(runs_in_dry_run(facts_of(sql))) << sql;
  }
  for (const char* sql : {"select 1", "begin; select 1; commit", "insert into t values (1)", "explain select 1",
                          "delete from t", "create table t (a int)", "select from nowhere where"}) {
    EXPECT_FALSE(runs_in_dry_run(facts_of(sql))) << sql;
  }
}

TEST_F(DryRuns, OneRowPerExternalTableWithItsEstimateAndDecision) {
  const auto r = rows("select count(*) from spectrum_schema.sales where year = 2024 and month in (1, 2)");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].table, "spectrum_schema.sales");
  EXPECT_EQ(r[0].partitions_matched, 2);
  EXPECT_EQ(r[0].partitions_total, 36);
  EXPECT_EQ(r[0].bytes, 2 * 3 * kMiB);
  EXPECT_DOUBLE_EQ(r[0].usd, usd_alone(2 * 3 * kMiB));
  EXPECT_EQ(r[0].decision, "allow");
}

TEST_F(DryRuns, DecisionsNameTheRule) {
  EXPECT_EQ(rows("select count(*) from spectrum_schema.sales")[0].decision,
            "refuse (analysts-must-filter-partitions)");
  EXPECT_EQ(rows("select * from spectrum_schema.sales where year = 2024 and month = 1")[0].decision,
            "warn (no-select-star-on-lake)");
  // Refused over another table: the statement does not run, whichever table is read.
  const auto joined = rows(
      "select count(*) from spectrum_schema.sales s join spectrum_schema.clicks c on c.url = s.sale_id::text "
      "where s.year = 2024 and s.month = 1");
  ASSERT_EQ(joined.size(), 2u);
  EXPECT_EQ(joined[0].decision, "refuse (analysts-must-filter-partitions) on spectrum_schema.clicks");
  EXPECT_EQ(joined[1].table, "spectrum_schema.clicks");
  EXPECT_EQ(joined[1].decision, "refuse (analysts-must-filter-partitions)");
}

TEST_F(DryRuns, ATableScannedTwiceIsOneRow) {
  const auto r = rows(
      "select * from spectrum_schema.sales a where year = 2024 and month in (1, 2) union all "
      "select * from spectrum_schema.sales b where year = 2024 and month in (2, 3)");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].partitions_matched, 3);     // the union of {1, 2} and {2, 3}
  EXPECT_EQ(r[0].bytes, 4 * 3 * kMiB);       // each scan reads its two
}

TEST_F(DryRuns, NoExternalTableNoRowsAndProbesReadNothing) {
  EXPECT_TRUE(rows("select * from public.sales_fact").empty());
  EXPECT_TRUE(rows("select 1").empty());
  const auto probe = rows("select true from spectrum_schema.sales where 1 <> 1 limit 0");
  ASSERT_EQ(probe.size(), 1u);
  EXPECT_EQ(probe[0].partitions_matched, 0);
  EXPECT_EQ(probe[0].usd, 0);
  EXPECT_EQ(probe[0].decision, "allow");
}

TEST_F(DryRuns, BindValuesNarrowTheEstimate) {
  const std::string sql =
      "select count(*) from spectrum_schema.sales where year between $1 and $2 and month between 1 and 12";
  std::vector<rewrite::ParamValue> one_year(2), three(2);
  one_year[0].value = one_year[1].value = "2024";
  three[0].value = "2022";
  three[1].value = "2024";
  EXPECT_EQ(rows(sql, &one_year)[0].partitions_matched, 12);
  EXPECT_EQ(rows(sql, &one_year)[0].decision, "allow");
  EXPECT_EQ(rows(sql, &three)[0].partitions_matched, 36);
  EXPECT_EQ(rows(sql, &three)[0].decision, "refuse (analysts-max-12-partitions)");
  EXPECT_EQ(rows(sql)[0].partitions_matched, 36);  // no values: every partition may match
}

}  // namespace
}  // namespace blueshift::policies
