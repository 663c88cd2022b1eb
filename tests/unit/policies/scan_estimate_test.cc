// Pricing: partition sizes files, billing (minimum, rounding to the MB, price), unknown
// sizes, column fractions, and statement estimates over what the real analyzer finds
// (OR pairs, IN lists, $n at Bind, probes that read nothing).
#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"
#include "policies/scan_estimate.h"
#include "rewrite/analyzer.h"

namespace blueshift::policies {
namespace {

using namespace testing;

// The demo catalog's sales with a location per partition, sized (month * 1 MiB + year)
// bytes, so that every sum names its partitions.
struct Lake {
  Catalog catalog = demo_catalog();
  PartitionSizes sizes;
  Lake() {
    ExternalTable sales = *catalog.find_external("spectrum_schema.sales");
    for (const auto& p : sales.partitions) {
      const std::string loc = "s3://lake/sales/year=" + p[0] + "/month=" + p[1] + "/";
      sales.partition_locations.push_back(loc);
      sizes.add(loc, std::stoll(p[1]) * kMiB + std::stoll(p[0]));
    }
    catalog.add_external(sales);
  }
  [[nodiscard]] StatementEstimate estimate(const std::string& sql, const CostSettings& settings = {},
                                           const std::vector<rewrite::ParamValue>* params = nullptr) const {
    const auto facts = rewrite::analyze(sql, rewrite::AnalysisContext{});
    return estimate_statement(facts.statements.at(0), catalog, sizes, settings, params);
  }
};

int64_t size_of(int year, int month) { return month * kMiB + year; }

TEST(PartitionSizesFile, Format) {
  auto s = parse_partition_sizes(
      "# location,bytes\n"
      "s3://lake/t/year=2024/,100\r\n"
      "\n"
      "s3://lake/t/a,b/,7\n"           // a comma in the key: the bytes follow the last one
      "s3://lake/t/year=2024,5\n");    // the same partition without its '/': adds up
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->bytes("s3://lake/t/year=2024/"), 105);
  EXPECT_EQ(s->bytes("s3://lake/t/year=2024"), 105);
  EXPECT_EQ(s->bytes("s3://lake/t/a,b"), 7);
  EXPECT_EQ(s->bytes("s3://lake/t/other/"), std::nullopt);
  EXPECT_EQ(s->bytes(""), std::nullopt);
  for (const char* bad : {"s3://lake/t/,\n", "s3://lake/t/,-1\n", "s3://lake/t/ 12\n", "s3://lake/t/,12x\n", ",12\n"}) {
    EXPECT_FALSE(parse_partition_sizes(bad).ok()) << bad;
  }
  EXPECT_NE(std::string(parse_partition_sizes("# ok\nx,1\nbroken\n").status().message()).find("line 3"),
            std::string::npos);
}

TEST(Billing, MinimumRoundingAndPrice) {
  const CostSettings s;
  EXPECT_EQ(billed_bytes(0, false, s), 0);                      // reads nothing: nothing billed
  EXPECT_EQ(billed_bytes(0, true, s), 10 * kMiB);               // reads a partition: the minimum
  EXPECT_EQ(billed_bytes(1, true, s), 10 * kMiB);
  EXPECT_EQ(billed_bytes(10 * kMiB, true, s), 10 * kMiB);
  EXPECT_EQ(billed_bytes(10 * kMiB + 1, true, s), 11 * kMiB);   // up to the next MB
  EXPECT_EQ(billed_bytes(100 * kMiB - 1, true, s), 100 * kMiB);
  EXPECT_DOUBLE_EQ(cost_usd(kTiB, s), 5.0);
  EXPECT_DOUBLE_EQ(cost_usd(10 * kMiB, s), 10.0 / (1024 * 1024) * 5.0);
  CostSettings dear;
  dear.usd_per_tb = 6.25;
  dear.min_billed_bytes = 0;
  EXPECT_DOUBLE_EQ(cost_usd(billed_bytes(kTiB / 2, true, dear), dear), 3.125);
  EXPECT_EQ(billed_bytes(1, true, dear), kMiB);
}

TEST(Estimate, PartitionsAndBytes) {
  const Lake lake;
  auto e = lake.estimate("SELECT amount FROM spectrum_schema.sales WHERE year = 2024 AND month IN (1, 2)");
  ASSERT_EQ(e.scans.size(), 1u);
  EXPECT_EQ(e.scans[0].table, "spectrum_schema.sales");
  EXPECT_EQ(e.scans[0].partitions_matched, 2);
  EXPECT_EQ(e.scans[0].partitions_total, 36);
  EXPECT_EQ(e.scans[0].partitions_unknown, 0);
  EXPECT_EQ(e.bytes, size_of(2024, 1) + size_of(2024, 2));  // text format: whole files
  EXPECT_EQ(e.billed_bytes, 10 * kMiB);
  // OR pairs: two partitions, not four.
  e = lake.estimate("SELECT amount FROM spectrum_schema.sales WHERE (year = 2024 AND month = 11) OR "
                    "(year = 2023 AND month = 12)");
  EXPECT_EQ(e.scans[0].partitions_matched, 2);
  EXPECT_EQ(e.bytes, size_of(2024, 11) + size_of(2023, 12));
  EXPECT_EQ(e.billed_bytes, 24 * kMiB);  // 23 MiB and 4047 bytes, rounded up
  // No filter: every partition.
  e = lake.estimate("SELECT count(*) FROM spectrum_schema.sales");
  EXPECT_EQ(e.scans[0].partitions_matched, 36);
  EXPECT_EQ(e.bytes, 3 * 78 * kMiB + 12 * (2022 + 2023 + 2024));
  // Two scans of external tables add up; local tables are not priced.
  e = lake.estimate("SELECT 1 FROM spectrum_schema.sales a JOIN spectrum_schema.sales b ON a.sale_id = b.sale_id "
                    "JOIN public.customers c ON c.customer_id = a.customer_id "
                    "WHERE a.year = 2022 AND a.month = 3 AND b.year = 2022 AND b.month = 4");
  ASSERT_EQ(e.scans.size(), 2u);
  EXPECT_EQ(e.bytes, size_of(2022, 3) + size_of(2022, 4));
}

TEST(Estimate, ParamsAtBind) {
  const Lake lake;
  const std::string sql = "SELECT amount FROM spectrum_schema.sales WHERE year = $1 AND month = ANY($2)";
  const std::vector<rewrite::ParamValue> params = {{"2023", false, 23}, {"{5,6,7}", false, 1007}};
  const auto e = lake.estimate(sql, {}, &params);
  EXPECT_EQ(e.scans[0].partitions_matched, 3);
  EXPECT_EQ(e.bytes, size_of(2023, 5) + size_of(2023, 6) + size_of(2023, 7));
  // Before Bind a $n matches every value: the estimate is the most it can be.
  EXPECT_EQ(lake.estimate(sql).scans[0].partitions_matched, 36);
}

TEST(Estimate, ZeroRowProbesCostNothing) {
  const Lake lake;
  for (const char* sql : {"SELECT TRUE FROM spectrum_schema.sales WHERE 1 <> 1 LIMIT 0",
                          "SELECT * FROM spectrum_schema.sales WHERE false",
                          "SELECT * FROM spectrum_schema.sales LIMIT 0",
                          "SELECT * FROM spectrum_schema.sales WHERE year > 2024 AND year < 2023"}) {
    const auto e = lake.estimate(sql);
    ASSERT_EQ(e.scans.size(), 1u) << sql;
    EXPECT_EQ(e.scans[0].partitions_matched, 0) << sql;
    EXPECT_EQ(e.bytes, 0) << sql;
    EXPECT_EQ(e.billed_bytes, 0) << sql;
    EXPECT_EQ(e.usd, 0.0) << sql;
  }
  // Not a probe: priced.
  EXPECT_EQ(lake.estimate("SELECT * FROM spectrum_schema.sales WHERE 1 <> 1 OR true").scans[0].partitions_matched, 36);
  // A numeric comparison is not pruned on: month = 1 of every year is read.
  EXPECT_EQ(lake.estimate("SELECT * FROM spectrum_schema.sales WHERE year = 2024.0 AND month = 1").scans[0].partitions_matched,
            3);
}

TEST(Estimate, UnknownSizesAreAnAssumption) {
  const Catalog bare = demo_catalog();  // no partition locations at all
  const PartitionSizes none;
  CostSettings s;
  s.default_partition_bytes = 7 * kMiB;
  const auto facts = rewrite::analyze("SELECT amount FROM spectrum_schema.sales WHERE year = 2024 AND month <= 3",
                                      rewrite::AnalysisContext{});
  const auto e = estimate_statement(facts.statements[0], bare, none, s);
  EXPECT_EQ(e.scans[0].partitions_matched, 3);
  EXPECT_EQ(e.scans[0].partitions_unknown, 3);
  EXPECT_EQ(e.partitions_unknown, 3);
  EXPECT_EQ(e.bytes, 21 * kMiB);
  // Some known, some not.
  Lake lake;
  ExternalTable sales = *lake.catalog.find_external("spectrum_schema.sales");
  sales.partition_locations[0] = "s3://lake/unlisted/";  // 2022-01
  lake.catalog.add_external(sales);
  const auto mixed = lake.estimate("SELECT amount FROM spectrum_schema.sales WHERE year = 2022 AND month <= 2", s);
  EXPECT_EQ(mixed.scans[0].partitions_unknown, 1);
  EXPECT_EQ(mixed.bytes, 7 * kMiB + size_of(2022, 2));
}

TEST(Estimate, ColumnFractions) {
  Lake lake;
  CostSettings s;
  TableCost columnar;
  columnar.format = TableCost::Format::Columnar;
  s.tables["spectrum_schema.sales"] = columnar;
  const char* two = "SELECT sale_id, amount FROM spectrum_schema.sales WHERE year = 2024 AND month = 4";
  // Four stored columns (year and month are in the location), equal shares: 2 of 4.
  auto e = lake.estimate(two, s);
  EXPECT_DOUBLE_EQ(e.scans[0].column_fraction, 0.5);
  EXPECT_EQ(e.bytes, (size_of(2024, 4) + 1) / 2);
  // Listed fractions; the unlisted columns share what is left.
  s.tables["spectrum_schema.sales"].column_fractions = {{"amount", 0.1}, {"sale_date", 0.5}};
  e = lake.estimate(two, s);
  EXPECT_DOUBLE_EQ(e.scans[0].column_fraction, 0.1 + 0.2);  // sale_id: (1 - 0.6) / 2
  // SELECT * reads every column; a text format reads whole rows whatever the columns.
  EXPECT_DOUBLE_EQ(lake.estimate("SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND month = 4", s)
                       .scans[0].column_fraction, 1.0);
  s.tables["spectrum_schema.sales"].format = TableCost::Format::Text;
  EXPECT_DOUBLE_EQ(lake.estimate(two, s).scans[0].column_fraction, 1.0);
  // Auto: the catalog's input_format says.
  s.tables.clear();
  ExternalTable sales = *lake.catalog.find_external("spectrum_schema.sales");
  sales.input_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
  lake.catalog.add_external(sales);
  EXPECT_DOUBLE_EQ(lake.estimate(two, s).scans[0].column_fraction, 0.5);
}

}  // namespace
}  // namespace blueshift::policies
