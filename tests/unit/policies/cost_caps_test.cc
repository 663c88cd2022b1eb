// The cost caps (max_scan_bytes, max_cost_usd) through evaluate(), and the `cost:` section.
// The lake: the demo sales partitions, each (month MiB + year bytes) big.
#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"
#include "policies/cost_caps.h"
#include "policies/evaluate.h"
#include "rewrite/analyzer.h"

namespace blueshift::policies {
namespace {

using namespace testing;
using O = Decision::Outcome;

const char* kCaps = R"(
catalog_tables: true
cost:
  price_per_tb_usd: 5
  default_partition_mb: 64
rules:
  - {name: bytes-cap, type: max_scan_bytes, max: 20971520, tables: ["spectrum_schema.*"], scope: {groups: [analysts]}}
  - {name: dollar-cap, type: max_cost_usd, max: 0.0003, mode: warn, scope: {groups: [analysts]}}
)";

struct Lake {
  Catalog catalog = demo_catalog();
  PartitionSizes sizes;
  PolicySet policy = testing::policy(kCaps);
  Lake() {
    ExternalTable sales = *catalog.find_external("spectrum_schema.sales");
    for (const auto& p : sales.partitions) {
      sales.partition_locations.push_back("s3://lake/" + p[0] + "/" + p[1] + "/");
      sizes.add(sales.partition_locations.back(), std::stoll(p[1]) * kMiB + std::stoll(p[0]));
    }
    catalog.add_external(sales);
  }
  Decision decide(const std::string& sql, const std::vector<rewrite::ParamValue>* params = nullptr) const {
    EvaluateOptions o;
    o.sizes = &sizes;
    o.params = params;
    o.params_final = params != nullptr;
    return evaluate(policy, rewrite::analyze(sql, rewrite::AnalysisContext{}), analyst(), catalog, o);
  }
};

TEST(CostCaps, BytesCapRefusesBeforeRunning) {
  const Lake lake;
  EXPECT_EQ(lake.decide("SELECT amount FROM spectrum_schema.sales WHERE year = 2024 AND month IN (1, 2)").outcome, O::Pass);
  const Decision d = lake.decide("SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND month > 10");
  ASSERT_EQ(d.outcome, O::Refuse);
  const Finding& f = *d.shown();
  EXPECT_EQ(f.rule, "bytes-cap");
  EXPECT_EQ(f.message, "blueshift: query on spectrum_schema.sales refused by rule \"bytes-cap\" (max_scan_bytes)");
  const int64_t bytes = 23 * kMiB + 2 * 2024;
  EXPECT_EQ(f.detail, "spectrum_schema.sales: 2 of 36 partitions, 23 MB; estimated 23 MB (" + std::to_string(bytes) +
                          " bytes), billed 24 MB, $0.00011 at $5/TB; the limit is 20 MB");
  EXPECT_EQ(f.hint, "filter on the partition columns of spectrum_schema.sales (year, month); name the columns you need "
                    "instead of *");
}

TEST(CostCaps, DollarCapWarns) {
  const Lake lake;
  // 78 MiB and change: billed 79 MiB, $0.00038 > $0.0003. Also over the bytes cap.
  const Decision d = lake.decide("SELECT amount FROM spectrum_schema.sales WHERE year = 2024");
  ASSERT_EQ(d.findings.size(), 2u);
  EXPECT_EQ(d.findings[1].rule, "dollar-cap");
  EXPECT_EQ(d.findings[1].mode, Mode::Warn);
  EXPECT_NE(d.findings[1].detail.find("the limit is $0.0003"), std::string::npos) << d.findings[1].detail;
}

TEST(CostCaps, ProbesAndUnknownSizes) {
  Lake lake;
  EXPECT_EQ(lake.decide("SELECT TRUE FROM spectrum_schema.sales WHERE 1 <> 1 LIMIT 0").outcome, O::Pass);
  // Unknown sizes are priced at default_partition_mb, and the DETAIL says so.
  lake.sizes = PartitionSizes{};
  const Decision d = lake.decide("SELECT amount FROM spectrum_schema.sales WHERE year = 2024 AND month = 1");
  ASSERT_EQ(d.outcome, O::Refuse);
  EXPECT_NE(d.shown()->detail.find("the sizes of 1 partitions are unknown, assumed 64 MB each"), std::string::npos)
      << d.shown()->detail;
}

TEST(CostCaps, ParamsWaitForBind) {
  const Lake lake;
  const std::string sql = "SELECT amount FROM spectrum_schema.sales WHERE year = $1 AND month = ANY($2)";
  const Decision parse = evaluate(lake.policy, rewrite::analyze(sql, rewrite::AnalysisContext{}), analyst(), lake.catalog);
  EXPECT_TRUE(parse.needs_params);
  EXPECT_EQ(parse.outcome, O::Pass);
  const std::vector<rewrite::ParamValue> few = {{"2024", false, 23}, {"{1,2}", false, 1007}};
  EXPECT_EQ(lake.decide(sql, &few).outcome, O::Pass);
  const std::vector<rewrite::ParamValue> many = {{"2024", false, 23}, {"{10,11,12}", false, 1007}};
  EXPECT_EQ(lake.decide(sql, &many).outcome, O::Refuse);
}

TEST(CostCaps, HintAtBind) {
  const Lake lake;
  const std::vector<rewrite::ParamValue> year = {{"2024", false, 23}};
  const Decision d = lake.decide("select * from spectrum_schema.sales where year = $1 and month between 1 and 12", &year);
  ASSERT_EQ(d.outcome, O::Refuse);
  EXPECT_EQ(d.shown()->hint,
            "filter on the partition columns of spectrum_schema.sales (year, month); name the columns you need instead of *");
  EXPECT_EQ(usd_text(4.8e-05), "$0.000048");
  EXPECT_EQ(usd_text(0.375), "$0.38");
  EXPECT_EQ(usd_text(5), "$5");
  EXPECT_EQ(bytes_text(84622), "82.6 KB");
}

TEST(CostSettingsYaml, ParsesAndRejects) {
  const PolicySet p = policy(R"(
cost:
  price_per_tb_usd: 6.25
  min_billed_mb: 1
  default_partition_mb: 0.5
  sizes_file: /tmp/sizes.csv
  tables:
    spectrum_schema.sales: {format: columnar, columns: {amount: 0.25, sale_id: 0.5}}
rules: []
)");
  EXPECT_DOUBLE_EQ(p.cost.usd_per_tb, 6.25);
  EXPECT_EQ(p.cost.min_billed_bytes, kMiB);
  EXPECT_EQ(p.cost.default_partition_bytes, kMiB / 2);
  EXPECT_EQ(p.cost.sizes_file, "/tmp/sizes.csv");
  const TableCost& t = p.cost.tables.at("spectrum_schema.sales");
  EXPECT_EQ(t.format, TableCost::Format::Columnar);
  EXPECT_DOUBLE_EQ(t.column_fractions.at("amount"), 0.25);
  for (const char* bad : {"cost: {sizes_file: a, sizes_from_warehouse: true}",
                          "cost: {tables: {spectrum_schema.sales: {format: parquet}}}",
                          "cost: {tables: {spectrum_schema.sales: {columns: {a: 0.7, b: 0.7}}}}",
                          "cost: {price_per_tb_usd: -1}", "cost: {pricee: 1}",
                          "rules: [{name: x, type: max_cost_usd}]", "rules: [{name: x, type: max_scan_bytes, max: 0}]"}) {
    EXPECT_THROW((void)policy(bad), std::runtime_error) << bad;
  }
}

}  // namespace
}  // namespace blueshift::policies
