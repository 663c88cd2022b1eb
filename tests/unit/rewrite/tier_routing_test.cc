// Tier routing: SQL in, SQL out, one row each (the local table public.sales_fact holds
// every row from 2024-10-01 on; spectrum_schema.sales, year/month partitioned, all of them).
#include "rewrite/tier_routing.h"

#include <gtest/gtest.h>

#include <string>

#include "rewrite/analyzer.h"
#include "test_catalog.h"

namespace blueshift::rewrite {
namespace {

const PartitionScheme kYearMonth{{"year", PartitionField::Year}, {"month", PartitionField::Month}};
const TierPair kPair{"public", "sales_fact", "spectrum_schema", "sales", "sale_date",
                     {"sale_id", "customer_id", "amount", "sale_date"}, {}, kYearMonth};
const DatePartitionedTable kSales{"spectrum_schema", "sales", "sale_date", kYearMonth};

const TierPair* tiers(std::string_view schema, std::string_view name) {
  return schema == kPair.local_schema && name == kPair.local_name ? &kPair : nullptr;
}
const DatePartitionedTable* externals(std::string_view schema, std::string_view name) {
  return schema == kSales.schema && name == kSales.name ? &kSales : nullptr;
}

TierOptions split_at(std::optional<absl::CivilDay> split, Tier tier = Tier::Auto) {
  TierOptions o;
  o.filters.clock.now = absl::FromCivil(absl::CivilSecond(2024, 11, 15, 10, 30, 0), absl::UTCTimeZone());
  o.tier = tier;
  o.split = [split](const TierPair&) { return split; };
  return o;
}
const std::optional<absl::CivilDay> kSplit = absl::CivilDay(2024, 10, 1);

// The routed text, or "" when the text stays as written.
std::string routed(const std::string& sql, const TierOptions& options = split_at(kSplit)) {
  const QueryFacts facts = analyze(sql, testing::catalog_context({"public", "spectrum_schema"}));
  auto r = route_tiers(sql, facts, tiers, externals, options);
  return r ? r->sql : "";
}

// The derived tables the rows below expect.
const std::string kCols = "\"sale_id\", \"customer_id\", \"amount\", \"sale_date\"";
std::string external_only(const std::string& partitions) {
  return "(SELECT " + kCols + " FROM \"spectrum_schema\".\"sales\" WHERE " + partitions + ")";
}
std::string both(const std::string& partitions, const std::string& local = "public.sales_fact") {
  return "(SELECT " + kCols + " FROM \"spectrum_schema\".\"sales\" WHERE \"sale_date\" < DATE '2024-10-01'" +
         (partitions.empty() ? "" : " AND " + partitions) + " UNION ALL SELECT " + kCols + " FROM " + local +
         " WHERE \"sale_date\" >= DATE '2024-10-01')";
}

struct Row {
  const char* name;
  std::string sql;
  std::string out;  // "" = unchanged
};

const std::vector<Row>& rows() {
  static const std::vector<Row> all = {
      {"all local: untouched", "SELECT SUM(amount) FROM public.sales_fact WHERE sale_date >= DATE '2024-10-05'", ""},
      {"the split day itself is local", "SELECT * FROM public.sales_fact WHERE sale_date = '2024-10-01'", ""},
      {"point before the split: external, aliased by the table's name",
       "SELECT * FROM public.sales_fact WHERE sale_date = '2023-07-04'",
       "SELECT * FROM " + external_only("(\"year\" = 2023 AND \"month\" = 7)") +
           " AS \"sales_fact\" WHERE sale_date = '2023-07-04'"},
      {"range before, alias kept",
       "select f.amount from public.sales_fact f where f.sale_date between '2022-11-15' and '2023-01-31'",
       "select f.amount from " +
           external_only("((\"year\" = 2022 AND \"month\" BETWEEN 11 AND 12) OR (\"year\" = 2023 AND \"month\" = 1))") +
           " f where f.sale_date between '2022-11-15' and '2023-01-31'"},
      {"the day before the split is external",
       "SELECT count(*) FROM public.sales_fact AS x WHERE x.sale_date < '2024-10-01' AND x.sale_date >= '2024-09-01'",
       "SELECT count(*) FROM " + external_only("(\"year\" = 2024 AND \"month\" = 9)") +
           " AS x WHERE x.sale_date < '2024-10-01' AND x.sale_date >= '2024-09-01'"},
      {"across the split: one derived table, external part pruned",
       "SELECT count(*), sum(amount) FROM public.sales_fact WHERE sale_date >= '2024-08-15'",
       "SELECT count(*), sum(amount) FROM " + both("(\"year\" = 2024 AND \"month\" BETWEEN 8 AND 9)") +
           " AS \"sales_fact\" WHERE sale_date >= '2024-08-15'"},
      {"no bound: the whole history",
       "SELECT count(*) FROM public.sales_fact",
       "SELECT count(*) FROM " + both("((\"year\" <= 2023 AND \"month\" BETWEEN 1 AND 12) OR (\"year\" = 2024 AND "
                                      "\"month\" BETWEEN 1 AND 9))") + " AS \"sales_fact\""},
      {"quoted written name copied into the local part",
       "SELECT * FROM \"public\".\"sales_fact\" s WHERE s.amount > 5",
       "SELECT * FROM " + both("((\"year\" <= 2023 AND \"month\" BETWEEN 1 AND 12) OR (\"year\" = 2024 AND "
                               "\"month\" BETWEEN 1 AND 9))", "\"public\".\"sales_fact\"") +
           " s WHERE s.amount > 5"},
      {"join with customers: only the local scan changes",
       "SELECT c.region, count(*) FROM public.sales_fact s JOIN public.customers c ON c.id = s.customer_id "
       "WHERE s.sale_date BETWEEN '2024-03-01' AND '2024-03-31' GROUP BY c.region",
       "SELECT c.region, count(*) FROM " + external_only("(\"year\" = 2024 AND \"month\" = 3)") +
           " s JOIN public.customers c ON c.id = s.customer_id WHERE s.sale_date BETWEEN '2024-03-01' AND "
           "'2024-03-31' GROUP BY c.region"},
      {"extract year", "SELECT count(*) FROM public.sales_fact WHERE EXTRACT(YEAR FROM sale_date) = 2023",
       "SELECT count(*) FROM " + external_only("(\"year\" = 2023 AND \"month\" BETWEEN 1 AND 12)") +
           " AS \"sales_fact\" WHERE EXTRACT(YEAR FROM sale_date) = 2023"},
      {"insert ... select: the read side only",
       "INSERT INTO public.sales_fact SELECT * FROM public.sales_fact WHERE sale_date = '2023-01-01'",
       "INSERT INTO public.sales_fact SELECT * FROM " + external_only("(\"year\" = 2023 AND \"month\" = 1)") +
           " AS \"sales_fact\" WHERE sale_date = '2023-01-01'"},
      {"a $n is not known before Bind: both tiers",
       "SELECT count(*) FROM public.sales_fact WHERE sale_date = $1",
       "SELECT count(*) FROM " + both("((\"year\" <= 2023 AND \"month\" BETWEEN 1 AND 12) OR (\"year\" = 2024 AND "
                                      "\"month\" BETWEEN 1 AND 9))") + " AS \"sales_fact\" WHERE sale_date = $1"},
      {"writes are not routed", "DELETE FROM public.sales_fact WHERE sale_date < '2023-01-01'", ""},
      {"update neither", "UPDATE public.sales_fact SET amount = 0 WHERE sale_date = '2022-01-01'", ""},
      {"column qualified by schema.table stays as written",
       "SELECT public.sales_fact.amount FROM public.sales_fact WHERE sale_date = '2023-01-01'", ""},
      {"external table queried directly still gets its partition predicates",
       "SELECT count(*) FROM spectrum_schema.sales WHERE sale_date = '2023-02-02'",
       "SELECT count(*) FROM (SELECT \"sale_date\" FROM spectrum_schema.sales WHERE (\"year\" = 2023 AND \"month\" = "
       "2)) AS \"sales\" WHERE sale_date = '2023-02-02'"},
  };
  return all;
}

TEST(TierRouting, SqlInSqlOut) {
  for (const auto& row : rows()) EXPECT_EQ(routed(row.sql), row.out) << row.name;
}

// The statement shapes issue 11 names, each with a scan before the split: only the table
// reference changes, under the same alias, wherever the scan sits.
TEST(TierRouting, EveryShapeSplicesOnlyTheTableReference) {
  const std::string ext = external_only("(\"year\" = 2023 AND \"month\" = 1)");
  const std::vector<Row> shapes = {
      {"cte", "WITH m AS (SELECT amount FROM public.sales_fact WHERE sale_date = '2023-01-05') SELECT sum(amount) FROM m",
       "WITH m AS (SELECT amount FROM " + ext + " AS \"sales_fact\" WHERE sale_date = '2023-01-05') SELECT sum(amount) "
       "FROM m"},
      {"union", "SELECT 1 FROM public.sales_fact a WHERE a.sale_date = '2023-01-05' UNION SELECT 2 FROM public.customers",
       "SELECT 1 FROM " + ext + " a WHERE a.sale_date = '2023-01-05' UNION SELECT 2 FROM public.customers"},
      {"window", "SELECT sale_id, rank() OVER (PARTITION BY customer_id ORDER BY amount) FROM public.sales_fact "
                 "WHERE sale_date = '2023-01-05' ORDER BY 2 LIMIT 3",
       "SELECT sale_id, rank() OVER (PARTITION BY customer_id ORDER BY amount) FROM " + ext +
           " AS \"sales_fact\" WHERE sale_date = '2023-01-05' ORDER BY 2 LIMIT 3"},
      {"create table as: the query only",
       "CREATE TEMP TABLE t AS SELECT * FROM public.sales_fact WHERE sale_date = '2023-01-05'",
       "CREATE TEMP TABLE t AS SELECT * FROM " + ext + " AS \"sales_fact\" WHERE sale_date = '2023-01-05'"},
      {"explain explains the routed statement", "EXPLAIN SELECT count(*) FROM public.sales_fact WHERE sale_date = '2023-01-05'",
       "EXPLAIN SELECT count(*) FROM " + ext + " AS \"sales_fact\" WHERE sale_date = '2023-01-05'"},
  };
  for (const auto& row : shapes) EXPECT_EQ(routed(row.sql), row.out) << row.name;
}

TEST(TierRouting, AnUnknownSplitReadsEverythingExternally) {
  // A watermark not read, failed or stale: more to the external table, never less.
  EXPECT_EQ(routed("SELECT * FROM public.sales_fact WHERE sale_date = '2024-11-02'", split_at(std::nullopt)),
            "SELECT * FROM " + external_only("(\"year\" = 2024 AND \"month\" = 11)") +
                " AS \"sales_fact\" WHERE sale_date = '2024-11-02'");
}

TEST(TierRouting, ForcedTiers) {
  const std::string recent = "SELECT * FROM public.sales_fact WHERE sale_date = '2024-11-02'";
  EXPECT_EQ(routed(recent, split_at(kSplit, Tier::External)),
            "SELECT * FROM " + external_only("(\"year\" = 2024 AND \"month\" = 11)") +
                " AS \"sales_fact\" WHERE sale_date = '2024-11-02'");
  EXPECT_EQ(routed("SELECT * FROM public.sales_fact WHERE sale_date = '2022-11-02'", split_at(kSplit, Tier::Local)),
            "");
  // The comment overrides the session's tier, both ways.
  EXPECT_NE(routed("/* blueshift:tier=external */ " + recent), "");
  EXPECT_EQ(routed("/* blueshift:tier=local */ SELECT count(*) FROM public.sales_fact", split_at(kSplit)), "");
  EXPECT_NE(routed("/* blueshift:tier=auto */ SELECT count(*) FROM public.sales_fact", split_at(kSplit, Tier::Local)),
            "");
  // Inside a string it is data, not a comment.
  EXPECT_EQ(routed("SELECT '/* blueshift:tier=external */' FROM public.sales_fact WHERE sale_date = '2024-11-02'"),
            "");
}

TEST(TierRouting, TierComment) {
  EXPECT_EQ(tier_comment("SELECT 1 /* blueshift:tier=EXTERNAL */"), Tier::External);
  EXPECT_EQ(tier_comment("-- blueshift:tier=local\nSELECT 1"), Tier::Local);
  EXPECT_EQ(tier_comment("SELECT 'blueshift:tier=local'"), std::nullopt);
  EXPECT_EQ(tier_comment("SELECT 1 /* blueshift:tier=sideways */"), std::nullopt);
  EXPECT_EQ(tier_comment("SELECT 1"), std::nullopt);
}

TEST(TierRouting, MappedColumnsKeepTheLocalNames) {
  TierPair renamed = kPair;
  renamed.external_columns = {{"sale_date", "sold_on"}, {"amount", "amt"}};
  const std::string sql = "SELECT * FROM public.sales_fact WHERE sale_date = '2023-03-03'";
  const QueryFacts facts = analyze(sql, testing::catalog_context({"public"}));
  auto r = route_tiers(sql, facts, [&](std::string_view, std::string_view n) { return n == "sales_fact" ? &renamed : nullptr; },
                       externals, split_at(kSplit));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sql, "SELECT * FROM (SELECT \"sale_id\", \"customer_id\", \"amt\" AS \"amount\", \"sold_on\" AS "
                    "\"sale_date\" FROM \"spectrum_schema\".\"sales\" WHERE (\"year\" = 2023 AND \"month\" = 3)) AS "
                    "\"sales_fact\" WHERE sale_date = '2023-03-03'");
}

TEST(TierRouting, RoutesNameTablesTierSplitAndPartitions) {
  const std::string sql = "SELECT count(*) FROM public.sales_fact WHERE sale_date >= '2024-09-20'; "
                          "SELECT count(*) FROM public.sales_fact WHERE sale_date >= '2024-10-20'";
  const QueryFacts facts = analyze(sql, testing::catalog_context({"public"}));
  std::vector<TierRoute> decisions;
  auto r = route_tiers(sql, facts, tiers, externals, split_at(kSplit), &decisions);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->routes.size(), 1u);
  EXPECT_EQ(r->routes[0], "public.sales_fact: sale_date 2024-09-20.., local from 2024-10-01 -> external "
                          "spectrum_schema.sales and local, partitions (\"year\" = 2024 AND \"month\" = 9)");
  ASSERT_EQ(decisions.size(), 2u);
  EXPECT_EQ(decisions[1].text(), "public.sales_fact: sale_date 2024-10-20.., local from 2024-10-01 -> local");
}

}  // namespace
}  // namespace blueshift::rewrite
