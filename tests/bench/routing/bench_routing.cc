// µs per statement for routing and policies together, as a simple Query meets them:
// Routing::route on the client's text, then Governor::check_query on the text that runs
// (the routed one, or the client's). Cold: a text never seen (a comment makes each one
// new); cached: the same text again. The governor has the demo catalog injected, and the
// split is a fixed day, so nothing here needs a warehouse. Route log lines are off: they
// cost the same whatever the analysis does.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "policies/governor.h"
#include "policies/governor_options.h"
#include "proxy/routing_settings.h"
#include "proxy/tier_router.h"
#include "tests/unit/policies/fixtures.h"

namespace blueshift::proxy {
namespace {

constexpr const char* kPolicies = R"(
catalog_tables: true
rules:
  - {name: filter, type: require_partition_filter, tables: ["spectrum_schema.*"], scope: {groups: [analysts]}}
  - {name: max12, type: max_partitions, max: 12, tables: ["spectrum_schema.*"], scope: {groups: [analysts]}}
)";

constexpr const char* kRouting = R"(
external_tables:
  spectrum_schema.sales: {date_column: sale_date, partitions: {year: year, month: month}}
tiers:
  - local: public.sales_fact
    external: spectrum_schema.sales
    date_column: sale_date
    columns: [sale_id, customer_id, amount, sale_date]
    local_from: {date: 2024-10-01}
)";

const char* const kStatements[] = {
    // 0 routed: a local table's scan of lake dates, served from the lake with partitions.
    "SELECT customer_id, SUM(amount) FROM public.sales_fact WHERE sale_date >= DATE '2023-03-01' AND sale_date < "
    "DATE '2023-05-01' GROUP BY 1",
    // 1 pruned: Tableau's date range straight on the external table gets partition predicates.
    "SELECT SUM(\"sales\".\"amount\") AS \"sum:amount:ok\" FROM \"spectrum_schema\".\"sales\" \"sales\" WHERE "
    "((\"sales\".\"sale_date\" >= DATE '2024-01-01') AND (\"sales\".\"sale_date\" < DATE '2024-03-01'))",
    // 2 governed: already filtered on partitions, runs as written (router and policies read it).
    "SELECT \"spectrum_schema\".\"sales\".\"month\" AS \"month\", count(*) AS \"count\" FROM "
    "\"spectrum_schema\".\"sales\" WHERE (\"spectrum_schema\".\"sales\".\"year\" = 2024 AND "
    "\"spectrum_schema\".\"sales\".\"month\" = 6) GROUP BY 1 ORDER BY 1 ASC",
    // 3 local: the local table's own dates, runs as written.
    "SELECT COUNT(*), SUM(amount) FROM public.sales_fact WHERE sale_date >= DATE '2024-11-01'",
    // 4 untouched: names nothing routed or governed (the fast path).
    "SELECT abalance FROM pgbench_accounts WHERE aid = 4711",
};

struct Setup {
  Setup() {
    spdlog::set_level(spdlog::level::warn);
    policies::GovernorOptions options;
    options.load_catalog = []() -> absl::StatusOr<policies::Catalog> { return policies::testing::demo_catalog(); };
    governor = policies::Governor::create(YAML::Load(kPolicies), options);
    auto settings = std::make_shared<const RoutingSettings>(parse_routing_settings(YAML::Load(kRouting)));
    routing = std::make_unique<Routing>(settings, RoutingSources{"", "", governor});
    session.user = "analyst";
    session.database = "dev";
    session.application_name = "Tableau";
    session.client_address = "127.0.0.1";
    session.search_path = {"public"};
  }
  // What the Conversation does with a simple Query's text; false when it would be refused.
  bool run(const std::string& sql) {
    const auto routed = routing->route(sql, session, "auto");
    const auto checked = governor->check_query(routed ? routed->sql : sql, session);
    return checked.verdict.outcome != policies::Verdict::Outcome::Refuse;
  }
  std::shared_ptr<policies::Governor> governor;
  std::unique_ptr<Routing> routing;
  policies::SessionContext session;
};

template <bool kCached>
void BM_RouteAndCheck(benchmark::State& state) {
  Setup setup;
  const std::string sql = kStatements[state.range(0)];
  if (!setup.run(sql)) state.SkipWithError("refused: the statement should pass");
  uint64_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(setup.run(kCached ? sql : sql + " /* " + std::to_string(++n) + " */"));
  }
}
BENCHMARK(BM_RouteAndCheck<false>)->Name("BM_RouteAndCheckCold")->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RouteAndCheck<true>)->Name("BM_RouteAndCheckCached")->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace blueshift::proxy

BENCHMARK_MAIN();
