// Redshift dialect, constructs PostgreSQL reads with another meaning, and what cannot be
// analysed at all. Same one-line rendering as analyzer_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "rewrite/analyzer.h"
#include "rewrite/bounds.h"
#include "rewrite/facts_text.h"
#include "test_catalog.h"

namespace blueshift::rewrite {
namespace {

using Row = testing::AnalysisRow;

const Row kDialectRows[] = {
    {"top", "SELECT TOP 10 * FROM spectrum_schema.sales WHERE year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"top_distinct", "select distinct top 5 month from spectrum_schema.sales where year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"top_in_subquery", "SELECT * FROM (SELECT TOP 3 * FROM spectrum_schema.sales) t WHERE t.year = 2024",
     "Select: read spectrum_schema.sales"},
    {"column_named_top_is_not_top", "SELECT top FROM public.t WHERE top = 1", "Select: read public.t WHERE top = 1"},
    {"qualify_after_where",
     "SELECT * FROM spectrum_schema.sales WHERE year = 2024 QUALIFY row_number() OVER (PARTITION BY month ORDER BY "
     "amount DESC) = 1",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"qualify_predicates_bound_nothing",
     "SELECT * FROM spectrum_schema.sales QUALIFY year = 2024 AND row_number() OVER (ORDER BY amount) = 1",
     "Select: read spectrum_schema.sales"},
    {"qualify_after_having",
     "SELECT month, sum(amount) s FROM spectrum_schema.sales WHERE year = 2024 GROUP BY month HAVING sum(amount) > 0 "
     "QUALIFY rank() OVER (ORDER BY s) < 3",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"qualify_then_order_limit",
     "SELECT * FROM spectrum_schema.sales WHERE month = 1 QUALIFY row_number() OVER (ORDER BY sale_id) = 1 ORDER BY 1 "
     "LIMIT 5",
     "Select: read spectrum_schema.sales WHERE month = 1"},
    {"qualify_in_a_string_is_not_a_clause", "SELECT * FROM spectrum_schema.sales WHERE note = 'x QUALIFY y' AND year = 1",
     "Select: read spectrum_schema.sales WHERE note = 'x QUALIFY y' AND year = 1"},
    {"unload", "UNLOAD ('select * from spectrum_schema.sales where year = 2024') TO 's3://bucket/prefix' IAM_ROLE "
     "'arn:aws:iam::123:role/r' FORMAT AS PARQUET",
     "Unload: read spectrum_schema.sales WHERE year = 2024"},
    {"unload_doubled_quotes", "UNLOAD ('select * from spectrum_schema.sales where month = ''01''') TO 's3://b/p' "
     "IAM_ROLE 'arn:aws:iam::1:role/r' PARALLEL OFF",
     "Unload: read spectrum_schema.sales WHERE month = '01'"},
    {"unload_backslash_quotes", "UNLOAD ('select * from spectrum_schema.sales where month = \\'02\\'') TO 's3://b/p' "
     "IAM_ROLE 'arn:aws:iam::1:role/r'",
     "Unload: read spectrum_schema.sales WHERE month = '02'"},
    {"unload_with_top_inside", "UNLOAD ('select top 5 * from spectrum_schema.sales') TO 's3://b/p' IAM_ROLE 'r'",
     "Unload: read spectrum_schema.sales"},
    {"unload_unparsable_query_fails_closed", "UNLOAD ('selec * frm spectrum_schema.sales') TO 's3://b/p' IAM_ROLE 'r'",
     "Unparsed"},
    {"copy_iam_role_parquet", "COPY public.sales_fact FROM 's3://bucket/data/' IAM_ROLE 'arn:aws:iam::1:role/r' FORMAT "
     "AS PARQUET",
     "Copy: write public.sales_fact"},
    {"copy_many_options", "copy public.sales_fact (sale_id, amount) from 's3://b/x.csv.gz' credentials "
     "'aws_iam_role=arn:aws:iam::1:role/r' csv ignoreheader 1 gzip region 'us-east-1' dateformat 'auto' timeformat "
     "'auto' maxerror 10 compupdate off statupdate off",
     "Copy: write public.sales_fact"},
    {"copy_manifest", "COPY sales_fact FROM 's3://b/manifest' IAM_ROLE default MANIFEST DELIMITER '|'",
     "Copy: write public.sales_fact"},
    {"create_external_schema", "CREATE EXTERNAL SCHEMA spectrum_schema FROM DATA CATALOG DATABASE 'spectrumdb' IAM_ROLE "
     "'arn:aws:iam::1:role/r' CREATE EXTERNAL DATABASE IF NOT EXISTS",
     "CreateExternal: object schema spectrum_schema"},
    {"create_external_table", "CREATE EXTERNAL TABLE spectrum_schema.sales2 (sale_id int, amount decimal(8,2)) "
     "PARTITIONED BY (year int, month int) STORED AS PARQUET LOCATION 's3://b/sales/'",
     "CreateExternal: write spectrum_schema.sales2"},
    {"create_external_table_as_select", "CREATE EXTERNAL TABLE spectrum_schema.s2024 STORED AS PARQUET LOCATION "
     "'s3://b/x/' AS SELECT * FROM spectrum_schema.sales WHERE year = 2024",
     "CreateExternal: read spectrum_schema.sales WHERE year = 2024; write spectrum_schema.s2024"},
    {"create_table_redshift_options",
     "CREATE TABLE public.t (a int ENCODE az64 DISTKEY, b varchar(10) ENCODE zstd, c int IDENTITY(1,1)) DISTSTYLE KEY "
     "COMPOUND SORTKEY (a, b) BACKUP NO",
     "CreateTable: write public.t"},
    {"create_table_interleaved_and_auto", "CREATE TABLE t2 (a int) DISTSTYLE AUTO INTERLEAVED SORTKEY (a) ENCODE AUTO",
     "CreateTable: write public.t2"},
    {"create_table_generated_identity",
     "CREATE TABLE t3 (id bigint GENERATED BY DEFAULT AS IDENTITY(0,1), v varchar(max)) DISTSTYLE EVEN",
     "CreateTable: write public.t3"},
    {"ctas_with_options", "CREATE TABLE public.s2024 DISTKEY(sale_id) SORTKEY(sale_date) AS SELECT * FROM "
     "spectrum_schema.sales WHERE year = 2024",
     "CreateTableAs: read spectrum_schema.sales WHERE year = 2024; write public.s2024"},
    {"ctas_options_keep_encode_function", "CREATE TEMP TABLE h BACKUP NO AS SELECT encode(note, 'hex') FROM "
     "spectrum_schema.sales WHERE month = 1",
     "CreateTableAs: read spectrum_schema.sales WHERE month = 1; write pg_temp.h"},
    {"late_binding_view", "CREATE VIEW public.v AS SELECT * FROM spectrum_schema.sales WITH NO SCHEMA BINDING",
     "OtherDdl: read spectrum_schema.sales; write public.v"},
    {"approximate_count", "SELECT APPROXIMATE COUNT(DISTINCT customer_id) FROM spectrum_schema.sales WHERE year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"ignore_nulls", "SELECT LAG(amount) IGNORE NULLS OVER (ORDER BY sale_date) FROM spectrum_schema.sales WHERE month = 3",
     "Select: read spectrum_schema.sales WHERE month = 3"},
    {"alter_add_partition", "ALTER TABLE spectrum_schema.sales ADD IF NOT EXISTS PARTITION (year=2024, month=1) "
     "LOCATION 's3://b/sales/year=2024/month=01/'",
     "Alter: write spectrum_schema.sales"},
    {"alter_distkey", "ALTER TABLE public.sales_fact ALTER DISTKEY sale_id", "Alter: write public.sales_fact"},
    {"vacuum_redshift_options", "VACUUM DELETE ONLY spectrum_schema.sales TO 75 PERCENT",
     "Utility: object table spectrum_schema.sales"},
    {"show_tables", "SHOW TABLES FROM SCHEMA dev.public", "Show"},
    {"grant_to_role", "GRANT SELECT ON spectrum_schema.sales TO ROLE analyst_role", "OtherDdl: targets unknown"},
    {"varchar_max_in_cast", "SELECT CAST(amount AS VARCHAR(MAX)) FROM spectrum_schema.sales WHERE year = 1",
     "Select: read spectrum_schema.sales WHERE year = 1"},
    {"qualify_block_not_pushed_into",
     "SELECT * FROM (SELECT * FROM spectrum_schema.sales QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY "
     "sale_date) = 1) t WHERE t.year = 2024",
     "Select: read spectrum_schema.sales"},
    {"super_navigation", "SELECT c.name, o.o_orderkey FROM public.customer_orders c, c.c_orders o WHERE c.year = 2024",
     "Select: read public.customer_orders AS c WHERE year = 2024"},
    {"super_navigation_chain",
     "SELECT l.qty FROM public.customer_orders c, c.c_orders o, o.o_lineitems l WHERE c.year = 2024 AND l.qty > 1",
     "Select: read public.customer_orders AS c WHERE year = 2024"},
    {"super_navigation_unaliased_base", "SELECT * FROM public.customer_orders, customer_orders.c_orders o",
     "Select: read public.customer_orders"},
    {"schema_qualified_table_is_not_navigation", "SELECT * FROM public.customers c, spectrum_schema.sales s",
     "Select: read public.customers AS c; read spectrum_schema.sales AS s"},
    {"super_path_predicate_bounds_nothing",
     "SELECT * FROM public.customer_orders c WHERE c.c_orders.o_year = 2024 AND c.year = 1",
     "Select: read public.customer_orders AS c WHERE year = 1"},
    {"dateadd_month_is_not_partition_month",
     "SELECT * FROM spectrum_schema.sales WHERE DATEADD(month, 1, sale_date) > '2024-01-01' AND year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"datediff_day", "SELECT DATEDIFF(day, sale_date, current_date) FROM spectrum_schema.sales WHERE month = 2",
     "Select: read spectrum_schema.sales WHERE month = 2"},
    {"temp_table_hash", "SELECT * FROM #temp WHERE x = 1", "Select: read pg_temp.#temp WHERE x = 1"},
    {"temp_table_insert", "INSERT INTO #stage SELECT * FROM spectrum_schema.sales WHERE year = 2024",
     "Insert: read spectrum_schema.sales WHERE year = 2024; write pg_temp.#stage"},
    {"temp_table_create", "CREATE TABLE #t (a int)", "CreateTable: write pg_temp.#t"},
    {"temp_table_select_into", "SELECT * INTO #t2 FROM spectrum_schema.sales WHERE year = 2023",
     "CreateTableAs: read spectrum_schema.sales WHERE year = 2023; write pg_temp.#t2"},
    {"temp_table_drop", "DROP TABLE #t", "Drop: write pg_temp.#t"},
    {"temp_table_qualified_column", "SELECT #t.a FROM #t WHERE #t.a = 3", "Select: read pg_temp.#t WHERE a = 3"},
    {"temp_table_with_xor_elsewhere", "SELECT x #y FROM #t", "Select: read pg_temp.#t"},
    {"xor_alone_parses_natively", "SELECT a # b FROM public.t", "Select: read public.t"},
    {"tableau_quoted_temp", "SELECT * FROM \"#Tableau_37_2_Filter\" f JOIN spectrum_schema.sales s ON s.month = f.m",
     "Select: read pg_temp.#tableau_37_2_filter AS f; read spectrum_schema.sales AS s"},
    {"tableau_create_temp",
     "CREATE LOCAL TEMPORARY TABLE \"#Tableau_5_Connect\" (\"COL\" INTEGER) ON COMMIT PRESERVE ROWS",
     "CreateTable: write pg_temp.#tableau_5_connect"},
    // PIVOT / UNPIVOT (Redshift FROM clause): the clause goes, the scans inside keep their
    // bounds, outer filters restrict the source only through columns the pivot passes on.
    {"pivot_subquery_without_alias",
     "SELECT * FROM (SELECT quality, price FROM spectrum_schema.sales WHERE year = 2024 AND month = 1) PIVOT "
     "(AVG(price) FOR quality IN ('high', 'low'))",
     "Select: read spectrum_schema.sales WHERE month = 1 AND year = 2024"},
    {"pivot_subquery_with_alias_after",
     "SELECT * FROM (SELECT partname, price FROM public.part WHERE year = 2024) PIVOT (AVG(price) FOR partname IN "
     "('prop', 'rudder', 'wing')) AS p",
     "Select: read public.part WHERE year = 2024"},
    {"pivot_outer_filter_on_passed_through_columns",
     "SELECT * FROM (SELECT quality, price, year, month FROM spectrum_schema.sales) PIVOT (AVG(price) FOR quality IN "
     "('high', 'low')) WHERE year = 2024 AND month = 1",
     "Select: read spectrum_schema.sales WHERE month = 1 AND year = 2024"},
    {"pivot_on_a_table", "SELECT * FROM spectrum_schema.sales PIVOT (SUM(amount) FOR month IN (1, 2, 3)) WHERE year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"pivot_output_named_like_a_partition_column_bounds_nothing",
     "SELECT * FROM spectrum_schema.sales PIVOT (SUM(amount) FOR customer_id IN (1 AS year, 2 AS month)) p WHERE year "
     "= 2024 AND month = 1",
     "Select: read spectrum_schema.sales AS p"},
    {"pivot_aggregate_alias_bounds_nothing",
     "SELECT * FROM spectrum_schema.sales s PIVOT (SUM(amount) AS month FOR customer_id IN (1, 2)) AS p WHERE p.year "
     "= 2024 AND p.month = 1",
     "Select: read spectrum_schema.sales AS p WHERE year = 2024"},
    {"unpivot_value_column_bounds_nothing",
     "SELECT * FROM spectrum_schema.sales UNPIVOT INCLUDE NULLS (year FOR kind IN (amount, customer_id)) WHERE year = "
     "2024 AND month = 2",
     "Select: read spectrum_schema.sales WHERE month = 2"},
    {"pivot_then_unpivot",
     "SELECT * FROM (SELECT month, amount FROM spectrum_schema.sales WHERE year = 2024) PIVOT (SUM(amount) FOR month IN "
     "(1, 2)) UNPIVOT (v FOR n IN (\"1\", \"2\"))",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"pivot_in_a_join", "SELECT * FROM public.customers c JOIN spectrum_schema.sales PIVOT (SUM(amount) FOR month IN "
     "(1, 2)) p ON p.customer_id = c.id WHERE p.year = 2024",
     "Select: read public.customers AS c; read spectrum_schema.sales AS p WHERE year = 2024"},
    {"unpivot_super_object", "SELECT c.name, v, a FROM public.customer_orders c, UNPIVOT c.c_orders AS v AT a WHERE "
     "c.year = 2024",
     "Select: read public.customer_orders AS c WHERE year = 2024"},
    {"column_named_pivot_is_not_a_clause", "SELECT pivot FROM public.t WHERE pivot = 1", "Select: read public.t WHERE pivot = 1"},
    // CONVERT(type, expr): the type is not a column; a constant converted is a constant.
    {"convert_constants_bound",
     "SELECT CONVERT(integer, amount) FROM spectrum_schema.sales WHERE year = CONVERT(int, '2024') AND month = "
     "CONVERT(numeric(2,0), 1)",
     "Select: read spectrum_schema.sales WHERE month = 1 AND year = 2024"},
    {"convert_long_type_names", "SELECT CONVERT(varchar(30), sale_date), CONVERT(decimal(10,2), amount), "
     "CONVERT(timestamp with time zone, sale_date), CONVERT(double precision, amount) FROM spectrum_schema.sales WHERE "
     "year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"convert_of_a_column_is_not_a_bound", "SELECT * FROM spectrum_schema.sales WHERE CONVERT(int, year) = 2024",
     "Select: read spectrum_schema.sales"},
    {"convert_date", "SELECT 1 FROM spectrum_schema.sales WHERE sale_date = CONVERT(date, '2024-01-05 10:00')",
     "Select: read spectrum_schema.sales WHERE sale_date = '2024-01-05'"},
    {"postgres_three_argument_convert_untouched",
     "SELECT convert(note, 'UTF8', 'LATIN1') FROM spectrum_schema.sales WHERE year = 1",
     "Select: read spectrum_schema.sales WHERE year = 1"},
    {"redshift_and_multi_statement",
     "SELECT TOP 1 * FROM spectrum_schema.sales WHERE year = 1; SELECT * FROM #x; SELECT 3",
     "Select: read spectrum_schema.sales WHERE year = 1 | Select: read pg_temp.#x | Select"},
};

class DialectRows : public ::testing::TestWithParam<Row> {};
TEST_P(DialectRows, Facts) {
  const auto& row = GetParam();
  EXPECT_EQ(describe(analyze(row.sql, AnalysisContext{})), row.expected) << "SQL: " << row.sql;
}
INSTANTIATE_TEST_SUITE_P(Analyzer, DialectRows, ::testing::ValuesIn(kDialectRows),
                         [](const ::testing::TestParamInfo<Row>& i) { return std::string(i.param.name); });

// ---- fail closed -----------------------------------------------------------------
struct UnparsedRow {
  const char* name;
  const char* sql;
  std::vector<std::string> names_included;  // must be among names
};

void PrintTo(const UnparsedRow& row, std::ostream* os) { *os << row.name << ": " << row.sql; }

const UnparsedRow kUnparsedRows[] = {
    {"garbage", "SELEC * FRM spectrum_schema.sales", {"spectrum_schema", "sales", "spectrum_schema.sales"}},
    {"incomplete", "SELECT * FROM Spectrum_Schema.\"Sales\" WHERE", {"spectrum_schema.sales", "sales"}},
    {"unterminated_string", "SELECT * FROM spectrum_schema.sales WHERE a = 'oops", {"spectrum_schema.sales"}},
    {"pivot_without_for_in", "SELECT * FROM (SELECT month, amount FROM spectrum_schema.sales) PIVOT (sum(amount))",
     {"spectrum_schema.sales", "amount"}},
    {"procedure_body_in_a_string", "CREATE PROCEDURE p() NONATOMIC AS $$ BEGIN SELECT 1 FROM spectrum_schema.sales; END $$ "
     "LANGUAGE plpgsql",
     {"spectrum_schema.sales", "sales"}},
    {"names_in_nested_strings", "FROBNICATE $x$EXECUTE 'SELECT * FROM spectrum_schema.sales'$x$", {"spectrum_schema.sales"}},
    {"unload_bad_query", "UNLOAD ('selec * frm spectrum_schema.sales') TO 's3://b/p' IAM_ROLE 'r'",
     {"spectrum_schema.sales"}},
    {"quoted_name_keeps_dots_apart", "SELEC 1 FROM \"my.schema\".\"t\"", {"my.schema", "my.schema.t", "t"}},
};

class UnparsedRows : public ::testing::TestWithParam<UnparsedRow> {};
TEST_P(UnparsedRows, FailsClosedWithNames) {
  const auto& row = GetParam();
  const QueryFacts f = analyze(row.sql, AnalysisContext{});
  ASSERT_EQ(f.statements.size(), 1u) << describe(f);
  const StatementFacts& st = f.statements[0];
  EXPECT_EQ(st.kind, StatementKind::Unparsed);
  EXPECT_FALSE(st.error.empty());
  EXPECT_TRUE(st.scans.empty());
  for (const auto& n : row.names_included) {
    EXPECT_NE(std::find(st.names.begin(), st.names.end(), n), st.names.end())
        << "missing name " << n << " for " << row.sql;
  }
  EXPECT_EQ(f.fingerprint, "");
}
INSTANTIATE_TEST_SUITE_P(Analyzer, UnparsedRows, ::testing::ValuesIn(kUnparsedRows),
                         [](const ::testing::TestParamInfo<UnparsedRow>& i) { return std::string(i.param.name); });

// ---- robustness --------------------------------------------------------------------
TEST(AnalyzerRobustness, DeepOperatorChainDoesNotOverflowTheStack) {
  // A few thousand terms overflow an 8 MB stack inside libpg_query if parsed inline.
  std::string sql = "SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND amount > 1";
  for (int i = 0; i < 6000; ++i) sql += "+1";
  const QueryFacts f = analyze(sql, AnalysisContext{});
  EXPECT_EQ(describe(f), "Select: read spectrum_schema.sales WHERE year = 2024");
}

TEST(AnalyzerRobustness, DeepFunctionNestingDoesNotOverflowTheStack) {
  std::string sql = "SELECT ";
  for (int i = 0; i < 3000; ++i) sql += "f(";
  sql += "1";
  for (int i = 0; i < 3000; ++i) sql += ")";
  sql += " FROM spectrum_schema.sales";
  EXPECT_EQ(describe(analyze(sql, AnalysisContext{})), "Select: read spectrum_schema.sales");
}

TEST(AnalyzerRobustness, AbsurdNestingFailsClosed) {
  std::string sql = "SELECT * FROM spectrum_schema.sales WHERE a = 1";
  for (int i = 0; i < 40000; ++i) sql += "+1";
  const QueryFacts f = analyze(sql, AnalysisContext{});
  ASSERT_EQ(f.statements.size(), 1u);
  EXPECT_EQ(f.statements[0].kind, StatementKind::Unparsed);
  const auto& names = f.statements[0].names;
  EXPECT_NE(std::find(names.begin(), names.end(), "spectrum_schema.sales"), names.end());
}

TEST(AnalyzerRobustness, WideWhereClausesStayLinear) {
  // 20000 distinct columns ANDed, then ORed: projecting column by column would take
  // 20000 x 20000 steps; the bottom-up projection takes one pass.
  std::string conj = "SELECT * FROM spectrum_schema.sales WHERE ";
  std::string disj = conj;
  for (int i = 0; i < 20000; ++i) {
    conj += (i ? " AND c" : "c") + std::to_string(i) + " = 1";
    disj += (i ? " OR c" : "c") + std::to_string(i) + " = 1";
  }
  const auto start = std::chrono::steady_clock::now();
  const QueryFacts a = analyze(conj, AnalysisContext{});
  const QueryFacts b = analyze(disj, AnalysisContext{});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(a.statements.at(0).scans.at(0).bounds.size(), 20000u);
  EXPECT_TRUE(b.statements.at(0).scans.at(0).bounds.empty());
  EXPECT_LT(seconds, 10.0);  // generous for a loaded machine; quadratic takes minutes
}

TEST(AnalyzerRobustness, WideConjunctionsBesideOrsStayCheap) {
  // The DNF of an OR copies conjunctions into every branch: kept under kMaxDnfEntries
  // bounds, and conjuncts of the whole WHERE are never copied (the per-column bounds hold
  // them).
  std::string wide;
  for (int i = 0; i < 20000; ++i) wide += (i ? " AND c" : "c") + std::to_string(i) + " = 1";
  const std::string pairs = "((year = 2024 AND month = 1) OR (year = 2023 AND month = 12))";
  std::string ors;
  for (int i = 0; i < 8; ++i) ors += " AND (a" + std::to_string(i) + " = 1 OR b" + std::to_string(i) + " = 1)";
  const std::string base = "SELECT * FROM spectrum_schema.sales WHERE ";
  const auto start = std::chrono::steady_clock::now();
  const QueryFacts beside = analyze(base + wide + " AND " + pairs, AnalysisContext{});
  const QueryFacts inside = analyze(base + "(" + wide + " AND year = 2022) OR (year = 2023 AND month = 1)", AnalysisContext{});
  const QueryFacts copied = analyze(base + "((" + wide + ") OR x = 1)" + ors + " AND " + pairs, AnalysisContext{});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Scan& b = beside.statements.at(0).scans.at(0);
  EXPECT_EQ(b.bounds.size(), 20002u);
  ASSERT_EQ(b.disjunctions.size(), 1u);
  EXPECT_EQ(describe(b.disjunctions[0]), "(month = 1 AND year = 2024) OR (month = 12 AND year = 2023)");
  // 20001 bounds in one branch: past kMaxDnfEntries, so no disjunction; year still bounded.
  const Scan& i = inside.statements.at(0).scans.at(0);
  EXPECT_TRUE(i.disjunctions.empty());
  EXPECT_EQ(describe(i.bounds.at("year"), "year"), "year = 2022 OR year = 2023");
  // The wide OR is left out of the DNF; the (a OR b) pairs make 256 combinations, past
  // kMaxBranches, so some are left out too; what is kept still holds.
  const Scan& c = copied.statements.at(0).scans.at(0);
  for (const auto& d : c.disjunctions) {
    EXPECT_LE(d.size(), kMaxBranches);
    size_t entries = 0;
    for (const auto& branch : d) entries += branch.size();
    EXPECT_LE(entries, 4096u);
  }
  EXPECT_LT(seconds, 10.0);  // generous for a loaded machine
}

TEST(AnalyzerRobustness, ConcurrentAnalysesAgree) {
  const std::vector<std::string> texts = {
      "SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND month IN (1, 2)",
      "WITH s AS (SELECT * FROM spectrum_schema.sales) SELECT * FROM s WHERE year = 2023",
      "SELECT TOP 3 * FROM spectrum_schema.sales WHERE month = 4",
      "UNLOAD ('select * from spectrum_schema.sales where year = 1') TO 's3://x' IAM_ROLE 'r'",
      "SELEC broken FROM spectrum_schema.sales",
  };
  std::vector<std::string> expected;
  for (const auto& t : texts) expected.push_back(describe(analyze(t, AnalysisContext{})));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int round = 0; round < 200; ++round) {
        const size_t i = static_cast<size_t>(round + k) % texts.size();
        if (describe(analyze(texts[i], AnalysisContext{})) != expected[i]) ++mismatches[static_cast<size_t>(k)];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace blueshift::rewrite
