// Probes that read nothing (Scan::reads_nothing): a WHERE or INNER JOIN ... ON no row can
// pass, and LIMIT 0, and what must not count as one. SQL in, facts out as one line
// (rewrite/facts_text.h), " READS NOTHING" marking such a scan. Then rewrite::is_empty.
#include <gtest/gtest.h>

#include <string>

#include "rewrite/analyzer.h"
#include "rewrite/empty_bound.h"
#include "rewrite/facts_text.h"
#include "rewrite/literal_template.h"
#include "test_catalog.h"

namespace blueshift::rewrite {
namespace {

using Row = testing::AnalysisRow;

std::string row_name(const ::testing::TestParamInfo<Row>& info) { return info.param.name; }

const Row kProbeRows[] = {
    {"metabase", "SELECT TRUE FROM spectrum_schema.sales WHERE 1 <> 1 LIMIT 0",
     "Select: read spectrum_schema.sales READS NOTHING"},
    {"where_false", "SELECT * FROM spectrum_schema.sales WHERE false", "Select: read spectrum_schema.sales READS NOTHING"},
    {"where_1_eq_0", "SELECT * FROM spectrum_schema.sales WHERE 1 = 0", "Select: read spectrum_schema.sales READS NOTHING"},
    {"where_null", "SELECT * FROM spectrum_schema.sales WHERE NULL", "Select: read spectrum_schema.sales READS NOTHING"},
    {"where_strings_differ", "SELECT * FROM spectrum_schema.sales WHERE 'a' = 'b'",
     "Select: read spectrum_schema.sales READS NOTHING"},
    {"where_bool_cast", "SELECT * FROM spectrum_schema.sales WHERE 'f'::boolean",
     "Select: read spectrum_schema.sales READS NOTHING"},
    {"not_true", "SELECT * FROM spectrum_schema.sales WHERE NOT true", "Select: read spectrum_schema.sales READS NOTHING"},
    {"false_and_column", "SELECT * FROM spectrum_schema.sales WHERE 1 <> 1 AND amount > 5",
     "Select: read spectrum_schema.sales WHERE amount > 5 READS NOTHING"},
    {"null_and_column", "SELECT * FROM spectrum_schema.sales WHERE NULL AND amount > 5",
     "Select: read spectrum_schema.sales WHERE amount > 5 READS NOTHING"},
    {"not_of_null_is_null", "SELECT * FROM spectrum_schema.sales WHERE NOT (1 = 1 AND NULL) OR NULL",
     "Select: read spectrum_schema.sales READS NOTHING"},
    {"false_or_false", "SELECT * FROM spectrum_schema.sales WHERE 1 = 2 OR 2 < 1",
     "Select: read spectrum_schema.sales READS NOTHING"},
    {"decimal_compare", "SELECT * FROM spectrum_schema.sales WHERE 1.50 > 2",
     "Select: read spectrum_schema.sales READS NOTHING"},
    {"limit_0", "SELECT * FROM spectrum_schema.sales LIMIT 0", "Select: read spectrum_schema.sales READS NOTHING"},
    {"fetch_first_0", "SELECT * FROM spectrum_schema.sales FETCH FIRST 0 ROWS ONLY",
     "Select: read spectrum_schema.sales READS NOTHING"},
    {"dbt_temp_table", "create temporary table \"t__dbt_tmp\" as (select * from spectrum_schema.sales where 1 = 0)",
     "CreateTableAs: read spectrum_schema.sales READS NOTHING; write pg_temp.t__dbt_tmp"},
    {"inner_join_on_false", "SELECT * FROM public.customers c JOIN spectrum_schema.sales s ON 1 = 0",
     "Select: read public.customers AS c READS NOTHING; read spectrum_schema.sales AS s READS NOTHING"},
    {"subquery_in_from", "SELECT * FROM (SELECT * FROM spectrum_schema.sales WHERE false) x",
     "Select: read spectrum_schema.sales READS NOTHING"},
    {"outer_limit_0_reaches_cte", "WITH c AS (SELECT * FROM spectrum_schema.sales) SELECT * FROM c LIMIT 0",
     "Select: read spectrum_schema.sales READS NOTHING"},
    {"outer_limit_0_reaches_setop", "SELECT year FROM spectrum_schema.sales UNION ALL SELECT 1 LIMIT 0",
     "Select: read spectrum_schema.sales READS NOTHING"},
    {"insert_select_limit_0", "INSERT INTO public.sales_fact SELECT * FROM spectrum_schema.sales LIMIT 0",
     "Insert: read spectrum_schema.sales READS NOTHING; write public.sales_fact"},
};

// What reads something after all.
const Row kNotProbeRows[] = {
    {"false_or_true", "SELECT * FROM spectrum_schema.sales WHERE 1 <> 1 OR true", "Select: read spectrum_schema.sales"},
    {"false_or_column", "SELECT * FROM spectrum_schema.sales WHERE 1 <> 1 OR amount > 5",
     "Select: read spectrum_schema.sales"},
    {"not_false", "SELECT * FROM spectrum_schema.sales WHERE NOT (1 = 2 AND NULL)",
     "Select: read spectrum_schema.sales"},
    {"true", "SELECT * FROM spectrum_schema.sales WHERE 1 = 1", "Select: read spectrum_schema.sales"},
    {"limit_1", "SELECT * FROM spectrum_schema.sales LIMIT 1", "Select: read spectrum_schema.sales"},
    {"limit_all", "SELECT * FROM spectrum_schema.sales LIMIT ALL", "Select: read spectrum_schema.sales"},
    {"limit_param", "SELECT * FROM spectrum_schema.sales LIMIT $1", "Select: read spectrum_schema.sales"},
    {"param_compare", "SELECT * FROM spectrum_schema.sales WHERE $1 <> $1", "Select: read spectrum_schema.sales"},
    // Casts make texts that differ equal: '2024-01-01'::timestamp = '2024-01-01 00:00'.
    {"cast_not_folded", "SELECT * FROM spectrum_schema.sales WHERE '2024-01-01'::timestamp = '2024-01-01 00:00'",
     "Select: read spectrum_schema.sales"},
    {"exponent_not_folded", "SELECT * FROM spectrum_schema.sales WHERE 1e1 = 10", "Select: read spectrum_schema.sales"},
    // A subquery that reads nothing leaves the scans around it as they are.
    {"zero_row_subquery_in_where",
     "SELECT * FROM spectrum_schema.sales WHERE year IN (SELECT year FROM spectrum_schema.sales WHERE 1 = 0)",
     "Select: read spectrum_schema.sales; read spectrum_schema.sales READS NOTHING"},
    {"zero_row_subquery_joined", "SELECT * FROM spectrum_schema.sales s, (SELECT 1 WHERE false) x",
     "Select: read spectrum_schema.sales AS s"},
    {"zero_limit_subquery_in_select_list",
     "SELECT (SELECT max(year) FROM spectrum_schema.sales LIMIT 0), amount FROM spectrum_schema.sales",
     "Select: read spectrum_schema.sales; read spectrum_schema.sales READS NOTHING"},
    // An aggregate without GROUP BY gives a row even from no input: its select list runs.
    {"select_list_of_false_where",
     "SELECT (SELECT max(year) FROM spectrum_schema.sales), count(*) FROM public.customers WHERE false",
     "Select: read public.customers READS NOTHING; read spectrum_schema.sales"},
    // An outer join keeps the preserved side whatever ON says.
    {"left_join_on_false", "SELECT * FROM spectrum_schema.sales s LEFT JOIN public.customers c ON false",
     "Select: read spectrum_schema.sales AS s; read public.customers AS c"},
    // A data-modifying CTE runs to the end whatever the query takes of it.
    {"limit_0_over_modifying_cte",
     "WITH m AS (INSERT INTO public.sales_fact SELECT * FROM spectrum_schema.sales RETURNING *) SELECT * FROM m LIMIT 0",
     "Select: read spectrum_schema.sales; write public.sales_fact"},
    // A contradiction is a bound, not "reads nothing": pruning shows it per partition.
    {"contradictory_range", "SELECT * FROM spectrum_schema.sales WHERE year > 2024 AND year < 2023",
     "Select: read spectrum_schema.sales WHERE year > 2024 AND year < 2023"},
};

class ProbeRows : public ::testing::TestWithParam<Row> {};
class NotProbeRows : public ::testing::TestWithParam<Row> {};

void check(const Row& row) {
  EXPECT_EQ(describe(analyze(row.sql, AnalysisContext{})), row.expected) << "SQL: " << row.sql;
}

TEST_P(ProbeRows, Facts) { check(GetParam()); }
TEST_P(NotProbeRows, Facts) { check(GetParam()); }
INSTANTIATE_TEST_SUITE_P(ZeroRow, ProbeRows, ::testing::ValuesIn(kProbeRows), row_name);
INSTANTIATE_TEST_SUITE_P(ZeroRow, NotProbeRows, ::testing::ValuesIn(kNotProbeRows), row_name);

// The simple protocol shares one analysis among texts differing in literals: a comparison
// of two literals keeps them, so the probe is still seen as one.
TEST(ZeroRow, LiftingKeepsComparedLiterals) {
  const auto lifted = lift_literals("SELECT * FROM spectrum_schema.sales WHERE 1 <> 1 AND year = 2024");
  ASSERT_TRUE(lifted.has_value());
  EXPECT_EQ(lifted->text, "SELECT * FROM spectrum_schema.sales WHERE 1 <> 1 AND year = $1");
  EXPECT_FALSE(lift_literals("SELECT TRUE FROM spectrum_schema.sales WHERE 1 <> 1 LIMIT 0").has_value());
}

Bound atom(Bound::Op op, std::vector<std::string> texts) {
  Bound b;
  b.op = op;
  for (auto& t : texts) {
    Value v;
    v.text = std::move(t);
    v.numeric = true;
    b.values.push_back(std::move(v));
  }
  return b;
}

Bound all_of(std::vector<Bound> parts) {
  Bound b;
  b.op = Bound::Op::And;
  b.children = std::move(parts);
  return b;
}

TEST(EmptyBound, ContradictionsOfNumbers) {
  using Op = Bound::Op;
  EXPECT_TRUE(is_empty(all_of({atom(Op::Gt, {"2024"}), atom(Op::Lt, {"2023"})})));
  EXPECT_TRUE(is_empty(all_of({atom(Op::Gt, {"2024"}), atom(Op::Lt, {"2024"})})));
  EXPECT_TRUE(is_empty(all_of({atom(Op::Ge, {"2024"}), atom(Op::Lt, {"2024"})})));
  EXPECT_TRUE(is_empty(all_of({atom(Op::Eq, {"2023"}), atom(Op::Eq, {"2024"})})));
  EXPECT_TRUE(is_empty(all_of({atom(Op::In, {"2020", "2021"}), atom(Op::Ge, {"2023"})})));
  EXPECT_TRUE(is_empty(all_of({atom(Op::Between, {"1", "3"}), atom(Op::Gt, {"3"})})));
  EXPECT_TRUE(is_empty(all_of({atom(Op::Le, {"-1"}), atom(Op::Ge, {"1.5"})})));
  Bound f;
  f.op = Op::False;
  EXPECT_TRUE(is_empty(f));
}

TEST(EmptyBound, WhatMayMatch) {
  using Op = Bound::Op;
  EXPECT_FALSE(is_empty(all_of({atom(Op::Ge, {"2024"}), atom(Op::Le, {"2024"})})));
  EXPECT_FALSE(is_empty(all_of({atom(Op::In, {"2020", "2024"}), atom(Op::Ge, {"2023"})})));
  EXPECT_FALSE(is_empty(atom(Op::Eq, {"2024"})));
  // Strings order by a collation not known here.
  Bound lo = atom(Op::Gt, {"b"}), hi = atom(Op::Lt, {"a"});
  lo.values[0].numeric = hi.values[0].numeric = false;
  EXPECT_FALSE(is_empty(all_of({lo, hi})));
  // A $n is not known yet.
  Bound param = atom(Op::Lt, {""});
  param.values[0] = Value{Value::Kind::Param, "", 1};
  EXPECT_FALSE(is_empty(all_of({atom(Op::Gt, {"2024"}), param})));
}

}  // namespace
}  // namespace blueshift::rewrite
