// µs per statement for Governor::check_query: cold (text never seen: parse + analysis +
// decision), cached (analysis cached, decision re-evaluated), and the fast paths (session
// out of every rule's scope; text naming nothing governed).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "policies/governor.h"
#include "policies/governor_options.h"
#include "tests/unit/policies/fixtures.h"

namespace blueshift::policies {
namespace {

constexpr const char* kPolicies = R"(
catalog_tables: true
rules:
  - {name: filter, type: require_partition_filter, tables: ["spectrum_schema.*"], scope: {groups: [analysts]}, exempt: {users: [etl]}}
  - {name: max12, type: max_partitions, max: 12, tables: ["spectrum_schema.*"], scope: {groups: [analysts]}, exempt: {users: [etl]}}
  - {name: star, type: deny_select_star, scope: {groups: [analysts]}, exempt: {users: [etl]}, mode: warn}
)";

// The same with pgbench_accounts governed, as tests/bench/policies.yaml does for the proxy
// benchmark's "blueshift+policies" target.
constexpr const char* kPoliciesWithAccounts = R"(
catalog_tables: true
tables: [public.pgbench_accounts]
rules:
  - {name: filter, type: require_partition_filter, tables: ["spectrum_schema.*"], scope: {groups: [analysts]}, exempt: {users: [etl]}}
  - {name: max12, type: max_partitions, max: 12, tables: ["spectrum_schema.*"], scope: {groups: [analysts]}, exempt: {users: [etl]}}
  - {name: star, type: deny_select_star, scope: {groups: [analysts]}, exempt: {users: [etl]}, mode: warn}
  - {name: accounts, type: deny_select_star, tables: [public.pgbench_accounts], scope: {groups: [analysts]}, mode: audit}
)";

const char* const kStatements[] = {
    // Tableau: custom SQL wrapped in a subquery, extract filter on partitions.
    "SELECT \"Custom SQL Query\".\"customer_id\" AS \"customer_id\", SUM(\"Custom SQL Query\".\"amount\") AS "
    "\"sum:amount:ok\" FROM (SELECT s.customer_id, s.amount, s.year, s.month FROM spectrum_schema.sales s "
    "JOIN public.sales_fact f ON f.sale_id = s.sale_id) \"Custom SQL Query\" WHERE ((\"Custom SQL Query\".\"year\" = "
    "2024) AND (\"Custom SQL Query\".\"month\" IN (1, 2, 3))) GROUP BY 1",
    // Looker: CTE and date-range filter.
    "WITH recent AS (SELECT customer_id, amount FROM spectrum_schema.sales WHERE year = 2023 AND month BETWEEN 10 AND "
    "12) SELECT recent.customer_id AS \"recent.customer_id\", COALESCE(SUM(recent.amount), 0) AS \"recent.total\" "
    "FROM recent GROUP BY 1 ORDER BY 2 DESC LIMIT 500",
    // Metabase: simple aggregate.
    "SELECT \"spectrum_schema\".\"sales\".\"month\" AS \"month\", count(*) AS \"count\" FROM "
    "\"spectrum_schema\".\"sales\" WHERE (\"spectrum_schema\".\"sales\".\"year\" = 2024 AND "
    "\"spectrum_schema\".\"sales\".\"month\" = 6) GROUP BY 1 ORDER BY 1 ASC",
    // An OR of (year, month) pairs, as a date-range picker over partitions writes it.
    "SELECT customer_id, SUM(amount) FROM spectrum_schema.sales WHERE ((year = 2024 AND month IN (1, 2)) OR (year = "
    "2023 AND month >= 11 AND month <= 12)) GROUP BY 1",
    // = ANY of an array literal.
    "SELECT customer_id, amount FROM spectrum_schema.sales WHERE year = ANY('{2023,2024}'::int[]) AND month = "
    "ANY(ARRAY[1, 2, 3])",
};

std::shared_ptr<Governor> make_governor(const char* policies = kPolicies) {
  GovernorOptions options;
  options.load_catalog = []() -> absl::StatusOr<Catalog> { return testing::demo_catalog(); };
  return Governor::create(YAML::Load(policies), options);
}

SessionContext analyst() {
  SessionContext s;
  s.user = "analyst";
  s.database = "dev";
  s.application_name = "Tableau";
  s.client_address = "127.0.0.1";
  return s;
}

void BM_Cold(benchmark::State& state) {
  auto governor = make_governor();
  const std::string base = kStatements[state.range(0)];
  const SessionContext session = analyst();
  uint64_t n = 0;
  for (auto _ : state) {
    // A new trailing comment makes a text the cache has not seen.
    const std::string sql = base + " /* " + std::to_string(n++) + " */";
    benchmark::DoNotOptimize(governor->check_query(sql, session));
  }
}
BENCHMARK(BM_Cold)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

void BM_Cached(benchmark::State& state) {
  auto governor = make_governor();
  const std::string sql = kStatements[state.range(0)];
  const SessionContext session = analyst();
  for (auto _ : state) benchmark::DoNotOptimize(governor->check_query(sql, session));
}
BENCHMARK(BM_Cached)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

// Texts never seen that differ from earlier ones only in a literal value (a dashboard
// filter, pgbench's aid): the literals are lifted into $n, the template's analysis comes
// from the cache, and the decision is made with the values. {N} is the changing value.
const char* const kNewValueStatements[] = {
    "SELECT \"Custom SQL Query\".\"customer_id\" AS \"customer_id\", SUM(\"Custom SQL Query\".\"amount\") AS "
    "\"sum:amount:ok\" FROM (SELECT s.customer_id, s.amount, s.year, s.month FROM spectrum_schema.sales s "
    "JOIN public.sales_fact f ON f.sale_id = s.sale_id) \"Custom SQL Query\" WHERE ((\"Custom SQL Query\".\"year\" = "
    "2024) AND (\"Custom SQL Query\".\"month\" IN (1, 2, 3)) AND (\"Custom SQL Query\".\"customer_id\" = {N})) GROUP BY 1",
    "SELECT \"spectrum_schema\".\"sales\".\"month\" AS \"month\", count(*) AS \"count\" FROM "
    "\"spectrum_schema\".\"sales\" WHERE (\"spectrum_schema\".\"sales\".\"year\" = 2024 AND "
    "\"spectrum_schema\".\"sales\".\"month\" = 6 AND \"spectrum_schema\".\"sales\".\"customer_id\" = {N}) GROUP BY 1 "
    "ORDER BY 1 ASC",
    // pgbench -S, with pgbench_accounts governed (tests/bench/policies.yaml).
    "SELECT abalance FROM pgbench_accounts WHERE aid = {N};",
};

void BM_NewValues(benchmark::State& state) {
  auto governor = make_governor(kPoliciesWithAccounts);
  const std::string base = kNewValueStatements[state.range(0)];
  const size_t at = base.find("{N}");
  const SessionContext session = analyst();
  uint64_t n = 0;
  for (auto _ : state) {
    const std::string sql = base.substr(0, at) + std::to_string(1000 + n++ % 1000000) + base.substr(at + 3);
    benchmark::DoNotOptimize(governor->check_query(sql, session));
  }
}
BENCHMARK(BM_NewValues)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);

void BM_OutOfScope(benchmark::State& state) {
  auto governor = make_governor();
  SessionContext etl = analyst();
  etl.user = "etl";
  for (auto _ : state) benchmark::DoNotOptimize(governor->check_query(kStatements[0], etl));
}
BENCHMARK(BM_OutOfScope)->Unit(benchmark::kMicrosecond);

void BM_NothingGoverned(benchmark::State& state) {
  auto governor = make_governor();
  const SessionContext session = analyst();
  for (auto _ : state)
    benchmark::DoNotOptimize(governor->check_query("SELECT abalance FROM pgbench_accounts WHERE aid = 4711", session));
}
BENCHMARK(BM_NothingGoverned)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace blueshift::policies

BENCHMARK_MAIN();
