// analyze() cold vs. through AnalysisCache, on statements shaped like what Tableau and
// Looker send (joins, CTEs, date filters), plus the Redshift-dialect path and the
// prefilter. Times are per statement text.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "rewrite/analyzer.h"
#include "rewrite/partition_filters.h"
#include "rewrite/tier_routing.h"
#include "rewrite/prefilter.h"

namespace {

using blueshift::rewrite::AnalysisCache;
using blueshift::rewrite::AnalysisContext;
using blueshift::rewrite::Prefilter;

struct Statement {
  const char* name;
  const char* sql;
};

const Statement kStatements[] = {
    {"simple_filter", "SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND month IN (1, 2)"},
    {"tableau_custom_sql",
     "SELECT \"Custom SQL Query\".\"region\" AS \"region\", SUM(\"Custom SQL Query\".\"amount\") AS \"sum:amount:ok\", "
     "COUNT(DISTINCT \"Custom SQL Query\".\"customer_id\") AS \"ctd:customer_id:ok\" FROM (SELECT s.*, c.region FROM "
     "spectrum_schema.sales s JOIN public.customers c ON c.id = s.customer_id) \"Custom SQL Query\" WHERE "
     "((\"Custom SQL Query\".\"year\" = 2024) AND (\"Custom SQL Query\".\"month\" >= 1) AND (\"Custom SQL "
     "Query\".\"month\" <= 3) AND (CAST(\"Custom SQL Query\".\"sale_date\" AS DATE) >= DATE '2024-01-01')) GROUP BY 1"},
    {"tableau_extract_filter",
     "SELECT CAST(DATE_TRUNC('MONTH', CAST(\"sales\".\"sale_date\" AS DATE)) AS DATE) AS \"tmn:sale_date:ok\", "
     "SUM(\"sales\".\"amount\") AS \"sum:amount:ok\" FROM \"spectrum_schema\".\"sales\" \"sales\" WHERE "
     "((\"sales\".\"year\" IN (2023, 2024)) AND (\"sales\".\"month\" BETWEEN 1 AND 6) AND (\"sales\".\"amount\" > 0)) "
     "GROUP BY 1 ORDER BY 1"},
    {"looker_ctes",
     "WITH sales_by_customer AS (SELECT s.customer_id, SUM(s.amount) AS total FROM spectrum_schema.sales AS s WHERE "
     "s.year = 2024 AND s.month IN (1, 2, 3) GROUP BY 1), top_customers AS (SELECT customer_id FROM sales_by_customer "
     "WHERE total > 1000) SELECT c.name AS \"customers.name\", c.region AS \"customers.region\", sbc.total AS "
     "\"sales.total\" FROM public.customers AS c INNER JOIN sales_by_customer AS sbc ON sbc.customer_id = c.id LEFT "
     "JOIN top_customers AS tc ON tc.customer_id = c.id WHERE (c.signup_year >= 2020) AND (c.region IN ('EU', 'US')) "
     "ORDER BY 3 DESC LIMIT 500"},
    {"looker_dates",
     "SELECT DATE_TRUNC('week', sales.sale_date) AS \"sales.sale_week\", COUNT(*) AS \"sales.count\" FROM "
     "spectrum_schema.sales AS sales WHERE ((((sales.sale_date) >= ((DATEADD(day,-29, DATE_TRUNC('day',GETDATE()) ))) "
     "AND (sales.sale_date) < ((DATEADD(day,30, DATEADD(day,-29, DATE_TRUNC('day',GETDATE()) ) )))))) AND sales.year = "
     "2024 GROUP BY 1 ORDER BY 1 DESC LIMIT 500"},
    {"redshift_dialect",
     "SELECT TOP 100 customer_id, amount FROM spectrum_schema.sales WHERE year = 2024 QUALIFY row_number() OVER "
     "(PARTITION BY customer_id ORDER BY amount DESC) = 1"},
    {"prepared_with_params",
     "SELECT sale_id, amount FROM spectrum_schema.sales WHERE year = $1 AND month = $2 AND customer_id = $3"},
    // An OR of (year, month) pairs (kept as a disjunction) and = ANY(array).
    {"or_of_pairs",
     "SELECT sale_id, amount FROM spectrum_schema.sales WHERE ((year = 2024 AND month = 1) OR (year = 2023 AND month = "
     "12) OR (year = 2023 AND month = 11)) AND amount > 0"},
    {"any_arrays",
     "SELECT sale_id, amount FROM spectrum_schema.sales WHERE year = ANY('{2023,2024}'::int[]) AND month = ANY($1)"},
};

AnalysisContext context() {
  AnalysisContext ctx;
  ctx.search_path = {"public", "spectrum_schema"};
  return ctx;
}

void BM_AnalyzeCold(benchmark::State& state) {
  const Statement& s = kStatements[state.range(0)];
  const AnalysisContext ctx = context();
  state.SetLabel(s.name);
  for (auto _ : state) {
    auto facts = blueshift::rewrite::analyze(s.sql, ctx);
    benchmark::DoNotOptimize(facts);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_AnalysisCacheHit(benchmark::State& state) {
  const Statement& s = kStatements[state.range(0)];
  const AnalysisContext ctx = context();
  AnalysisCache cache(10000);
  (void)cache.analyze(s.sql, ctx);
  state.SetLabel(s.name);
  for (auto _ : state) {
    auto facts = cache.analyze(s.sql, ctx);
    benchmark::DoNotOptimize(facts);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Prefilter(benchmark::State& state) {
  const Statement& s = kStatements[state.range(0)];
  const Prefilter filter({"sales", "clicks", "impressions", "events"});
  state.SetLabel(s.name);
  for (auto _ : state) benchmark::DoNotOptimize(filter.may_reference(s.sql));
  state.SetItemsProcessed(state.iterations());
}

constexpr int kCount = static_cast<int>(sizeof(kStatements) / sizeof(kStatements[0]));

BENCHMARK(BM_AnalyzeCold)->DenseRange(0, kCount - 1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnalysisCacheHit)->DenseRange(0, kCount - 1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Prefilter)->DenseRange(0, kCount - 1)->Unit(benchmark::kMicrosecond);

// Routing a date-filtered scan (partition predicates added, rewrite/partition_filters.h):
// the analysis, cold or cached, plus the rewrite, which parses its output once to check it.
const Statement kRouted[] = {
    {"tableau_date_range",
     "SELECT SUM(\"sales\".\"amount\") AS \"sum:amount:ok\" FROM \"spectrum_schema\".\"sales\" \"sales\" WHERE "
     "((\"sales\".\"sale_date\" >= DATE '2024-01-01') AND (\"sales\".\"sale_date\" < DATE '2024-03-01'))"},
    {"looker_relative",
     "SELECT DATE_TRUNC('week', sales.sale_date) AS w, COUNT(*) FROM spectrum_schema.sales AS sales WHERE "
     "sales.sale_date >= DATEADD(day, -29, DATE_TRUNC('day', GETDATE())) AND sales.sale_date < "
     "DATEADD(day, 1, DATE_TRUNC('day', GETDATE())) GROUP BY 1 ORDER BY 1 DESC LIMIT 500"},
};
const blueshift::rewrite::DatePartitionedTable kSalesTable{
    "spectrum_schema", "sales", "sale_date",
    {{"year", blueshift::rewrite::PartitionField::Year}, {"month", blueshift::rewrite::PartitionField::Month}}};

const blueshift::rewrite::DatePartitionedTable* sales_table(std::string_view schema, std::string_view name) {
  return schema == kSalesTable.schema && name == kSalesTable.name ? &kSalesTable : nullptr;
}

template <bool kCached>
void BM_Route(benchmark::State& state) {
  const Statement& s = kRouted[state.range(0)];
  const AnalysisContext ctx = context();
  AnalysisCache cache(10000);
  const blueshift::rewrite::PartitionFilterOptions options;
  state.SetLabel(s.name);
  for (auto _ : state) {
    auto facts = kCached ? cache.analyze(s.sql, ctx)
                         : std::make_shared<const blueshift::rewrite::QueryFacts>(blueshift::rewrite::analyze(s.sql, ctx));
    auto routed = blueshift::rewrite::add_partition_filters(s.sql, *facts, sales_table, options);
    if (!routed) state.SkipWithError("not routed");
    benchmark::DoNotOptimize(routed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Route<false>)->Name("BM_RouteCold")->DenseRange(0, 1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Route<true>)->Name("BM_RouteCached")->DenseRange(0, 1)->Unit(benchmark::kMicrosecond);

// Tier routing (rewrite/tier_routing.h): a scan of the local table across the split, served
// by one UNION ALL derived table, and one before it, served by the lake.
const Statement kTiered[] = {
    {"tableau_across_split",
     "SELECT SUM(\"sales_fact\".\"amount\") AS \"sum:amount:ok\" FROM \"public\".\"sales_fact\" \"sales_fact\" WHERE "
     "((\"sales_fact\".\"sale_date\" >= DATE '2024-08-15') AND (\"sales_fact\".\"sale_date\" < DATE '2024-11-15'))"},
    {"join_before_split",
     "SELECT c.region, COUNT(*) FROM public.sales_fact s JOIN public.customers c ON c.customer_id = s.customer_id "
     "WHERE s.sale_date BETWEEN '2023-01-01' AND '2023-03-31' GROUP BY c.region ORDER BY 2 DESC LIMIT 10"},
};
const blueshift::rewrite::TierPair kSalesPair{
    "public", "sales_fact", "spectrum_schema", "sales", "sale_date", {"sale_id", "customer_id", "amount", "sale_date"},
    {}, kSalesTable.partitions};

template <bool kCached>
void BM_RouteTiers(benchmark::State& state) {
  const Statement& s = kTiered[state.range(0)];
  const AnalysisContext ctx = context();
  AnalysisCache cache(10000);
  blueshift::rewrite::TierOptions options;
  options.split = [](const blueshift::rewrite::TierPair&) { return std::optional(absl::CivilDay(2024, 10, 1)); };
  const auto pair = [](std::string_view schema, std::string_view name) {
    return schema == "public" && name == "sales_fact" ? &kSalesPair : nullptr;
  };
  state.SetLabel(s.name);
  for (auto _ : state) {
    auto facts = kCached ? cache.analyze(s.sql, ctx)
                         : std::make_shared<const blueshift::rewrite::QueryFacts>(blueshift::rewrite::analyze(s.sql, ctx));
    auto routed = blueshift::rewrite::route_tiers(s.sql, *facts, pair, sales_table, options);
    if (!routed) state.SkipWithError("not routed");
    benchmark::DoNotOptimize(routed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteTiers<false>)->Name("BM_RouteTiersCold")->DenseRange(0, 1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RouteTiers<true>)->Name("BM_RouteTiersCached")->DenseRange(0, 1)->Unit(benchmark::kMicrosecond);

// Several threads analysing at once (each call parses: libpg_query keeps per-thread state).
void BM_AnalyzeColdThreads(benchmark::State& state) {
  const AnalysisContext ctx = context();
  size_t i = static_cast<size_t>(state.thread_index());
  for (auto _ : state) {
    auto facts = blueshift::rewrite::analyze(kStatements[i++ % kCount].sql, ctx);
    benchmark::DoNotOptimize(facts);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AnalyzeColdThreads)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
