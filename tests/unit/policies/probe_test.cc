// The partition rules accept what provably reads nothing (BI tools' metadata probes) and
// nothing else: SQL through the real analyzer, the demo policies (require_partition_filter
// and max_partitions 12 for analysts; SELECT * only warned), outcome out.
#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"
#include "policies/evaluate.h"
#include "rewrite/analyzer.h"
#include "rewrite/bounds.h"

namespace blueshift::policies {
namespace {

using namespace testing;
using O = Decision::Outcome;

struct ProbeRow {
  const char* sql;
  O outcome;  // for an analyst
  int64_t partitions;  // count_matching_partitions of the first scan
};

void PrintTo(const ProbeRow& row, std::ostream* os) { *os << row.sql; }

class ProbeRows : public ::testing::TestWithParam<ProbeRow> {};

TEST_P(ProbeRows, Decision) {
  const ProbeRow& row = GetParam();
  const PolicySet p = policy(R"(
catalog_tables: true
rules:
  - {name: filter, type: require_partition_filter, tables: ["spectrum_schema.*"]}
  - {name: max, type: max_partitions, max: 12, tables: [spectrum_schema.sales]}
)");
  const Catalog c = demo_catalog();
  const rewrite::QueryFacts facts = rewrite::analyze(row.sql, rewrite::AnalysisContext{});
  const Decision d = evaluate(p, facts, analyst(), c);
  EXPECT_EQ(d.outcome, row.outcome) << (d.shown() ? d.shown()->detail : "");
  // As the rules count: without the comparisons the warehouse does not prune on.
  const rewrite::Scan pruned = rewrite::pruning_scan(facts.statements.at(0).scans.at(0));
  EXPECT_EQ(count_matching_partitions(*c.find_external("spectrum_schema.sales"), pruned), row.partitions);
}

const ProbeRow kRows[] = {
    {"SELECT TRUE FROM spectrum_schema.sales WHERE 1 <> 1 LIMIT 0", O::Pass, 0},
    {"SELECT * FROM spectrum_schema.sales WHERE false", O::Pass, 0},
    {"SELECT * FROM spectrum_schema.sales WHERE 1 = 0", O::Pass, 0},
    {"SELECT * FROM spectrum_schema.sales LIMIT 0", O::Pass, 0},
    {"create temporary table \"t__dbt_tmp\" as (select * from spectrum_schema.sales where 1 = 0)", O::Pass, 0},
    // Contradictory ranges on a partition column: pruning leaves no partition.
    {"SELECT * FROM spectrum_schema.sales WHERE year > 2024 AND year < 2023", O::Pass, 0},
    {"SELECT * FROM spectrum_schema.sales WHERE month >= 13 AND month <= 0", O::Pass, 0},
    {"SELECT * FROM spectrum_schema.sales WHERE year = 2023 AND year = 2024", O::Pass, 0},
    // What reads partitions after all.
    {"SELECT * FROM spectrum_schema.sales WHERE 1 <> 1 OR true", O::Refuse, 36},
    {"SELECT * FROM spectrum_schema.sales LIMIT 1", O::Refuse, 36},
    {"SELECT * FROM spectrum_schema.sales WHERE year IN (SELECT year FROM spectrum_schema.sales WHERE 1 = 0)", O::Refuse, 36},
    // A contradiction the warehouse does not prune on (the column cast to numeric) or on a
    // column that is not a partition column reads every partition.
    {"SELECT * FROM spectrum_schema.sales WHERE year > 2024.0 AND year < 2023.0", O::Refuse, 36},
    {"SELECT * FROM spectrum_schema.sales WHERE amount > 5 AND amount < 3", O::Refuse, 36},
    {"SELECT * FROM spectrum_schema.sales WHERE year > 2023 AND year < 2025 AND month > 12", O::Refuse, 0},
};
INSTANTIATE_TEST_SUITE_P(Probe, ProbeRows, ::testing::ValuesIn(kRows));

}  // namespace
}  // namespace blueshift::policies
