// The Governor end to end with the real analyzer: SQL text and a session in, Verdict out,
// over a hand-built catalog and a fixed clock. Also the fast path (counted), the deferred
// Parse/Bind path, audit lines, reload and catalog refresh. Session effects and the rules
// of a session: governor_effect_test.cc; group look-ups and a missing catalog:
// governor_fail_closed_test.cc.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "fixtures.h"
#include "governor_harness.h"
#include "nlohmann/json.hpp"
#include "policies/governor.h"
#include "policies/governor_options.h"
#include "rewrite/analyzer.h"

namespace blueshift::policies {
namespace {

using namespace testing;
using V = Verdict::Outcome;

struct Row {
  const char* name;
  const char* sql;
  SessionContext who;
  V outcome;
  const char* message = nullptr;  // exact, when given
  const char* detail = nullptr;   // a prefix of the detail, when given
  const char* hint = nullptr;     // exact, when given
};

constexpr const char* kFilterMsg =
    "blueshift: query on spectrum_schema.sales refused by rule \"analysts-must-filter-partitions\" "
    "(require_partition_filter)";

// Checks rows against a Governor: outcome, SQLSTATE (42501 refused, 01000 warned, none
// passed), and message, hint and a prefix of the DETAIL when a row gives them.
void check_rows(Governor& g, const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + ": " + row.sql);
    g.lookup_groups(row.who.user);  // as the proxy does before a session's first statement
    const Verdict v = g.check_query(row.sql, row.who).verdict;
    EXPECT_EQ(v.outcome, row.outcome) << v.message << "\n" << v.detail;
    if (row.outcome == V::Refuse) {
      EXPECT_EQ(v.sqlstate, "42501");
    }
    if (row.outcome == V::Notice) {
      EXPECT_EQ(v.sqlstate, "01000");
    }
    if (row.outcome == V::Pass) {
      EXPECT_TRUE(v.message.empty());
    }
    if (row.message) {
      EXPECT_EQ(v.message, row.message);
    }
    if (row.detail) {
      EXPECT_EQ(v.detail.substr(0, std::string(row.detail).size()), row.detail) << v.detail;
    }
    if (row.hint) {
      EXPECT_EQ(v.hint, row.hint);
    }
  }
}

TEST(Governor, QueriesFromText) {
  Harness h;
  const Row rows[] = {
      {"filtered", "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1", ctx("analyst"), V::Pass},
      {"year only", "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024", ctx("analyst"), V::Refuse, kFilterMsg,
       "year is bounded (year = 2024), month is not; 12 partitions match",
       "add WHERE year = ... AND month = ... (partition columns of spectrum_schema.sales: year, month)"},
      {"unfiltered: the max_partitions finding is listed too", "SELECT sale_id FROM spectrum_schema.sales",
       ctx("analyst"), V::Refuse, kFilterMsg,
       "year is not bounded, month is not; 36 partitions match\nalso: blueshift: query on spectrum_schema.sales refused "
       "by rule \"analysts-max-12-partitions\" (max_partitions): 36 partitions match, the limit is 12"},
      {"etl is exempt", "SELECT sale_id FROM spectrum_schema.sales", ctx("etl"), V::Pass},
      {"outside every scope", "SELECT * FROM spectrum_schema.sales", ctx("someone_else"), V::Pass},
      {"OR that leaves year open",
       "SELECT sale_id FROM spectrum_schema.sales WHERE (year = 2024 AND month = 1) OR month = 2", ctx("analyst"),
       V::Refuse, kFilterMsg,
       "year is not bounded, month is bounded (month = 1 OR month = 2); 4 partitions match"},  // 2024-01 and 3 x month 2
      {"OR where both branches bound both",
       "SELECT sale_id FROM spectrum_schema.sales s WHERE (s.year = 2024 AND s.month = 1) OR (year = 2023 AND month = 12)",
       ctx("analyst"), V::Pass},
      {"IN and BETWEEN", "SELECT amount FROM spectrum_schema.sales WHERE year IN (2023, 2024) AND month BETWEEN 1 AND 3",
       ctx("analyst"), V::Pass},
      {"too many partitions", "SELECT amount FROM spectrum_schema.sales WHERE year >= 2022 AND year <= 2024 AND month >= 1 AND month <= 12",
       ctx("analyst"), V::Refuse,
       "blueshift: query on spectrum_schema.sales refused by rule \"analysts-max-12-partitions\" (max_partitions)",
       "36 partitions match, the limit is 12"},
      {"select star warns", "SELECT * FROM spectrum_schema.countries", ctx("analyst"), V::Notice,
       "blueshift: query on spectrum_schema.countries breaks rule \"no-select-star-on-lake\" (deny_select_star)",
       "SELECT * reads every column of spectrum_schema.countries", "name the columns you need instead of *"},
      {"in a subquery", "SELECT count(*) FROM (SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024) t",
       ctx("analyst"), V::Refuse, kFilterMsg},
      {"in a CTE", "WITH s AS (SELECT sale_id FROM spectrum_schema.sales) SELECT count(*) FROM s", ctx("analyst"),
       V::Refuse, kFilterMsg},
      {"unqualified through search_path", "SELECT sale_id FROM sales WHERE year = 2024",
       ctx("analyst", {"spectrum_schema", "public"}), V::Refuse, kFilterMsg},
      {"delete on public", "DELETE FROM public.sales_fact WHERE sale_id = 1", ctx("analyst"), V::Refuse,
       "blueshift: DELETE on public.sales_fact refused by rule \"analysts-no-ddl-on-public\" (deny_statements)",
       "DELETE statements on schema public are not allowed for user analyst"},
      {"unqualified delete resolves to public", "DELETE FROM sales_fact", ctx("analyst"), V::Refuse,
       "blueshift: DELETE on public.sales_fact refused by rule \"analysts-no-ddl-on-public\" (deny_statements)"},
      {"drop table", "DROP TABLE public.customers", ctx("analyst"), V::Refuse},
      {"etl may drop", "DROP TABLE public.customers", ctx("etl"), V::Pass},
      {"drop schema public: the schema itself is in public", "DROP SCHEMA public CASCADE", ctx("analyst"), V::Refuse,
       "blueshift: DROP on schema public refused by rule \"analysts-no-ddl-on-public\" (deny_statements)"},
      {"merge writes public", "MERGE INTO public.sales_fact t USING public.customers c ON t.customer_id = c.customer_id "
       "WHEN MATCHED THEN DELETE", ctx("analyst"), V::Pass},
      {"TOP is Redshift dialect, still analysed", "SELECT TOP 10 sale_id FROM spectrum_schema.sales", ctx("analyst"),
       V::Refuse, kFilterMsg},
      {"UNLOAD's inner query is checked", "UNLOAD ('SELECT sale_id FROM spectrum_schema.sales') TO 's3://b/p' IAM_ROLE 'arn:x'",
       ctx("analyst"), V::Refuse, kFilterMsg},
      {"quoted upper-case names fold", "SELECT sale_id FROM \"Spectrum_Schema\".\"SALES\"", ctx("analyst"), V::Refuse,
       kFilterMsg},
      {"insert is allowed", "INSERT INTO public.sales_fact VALUES (1, 1, 1, '2024-01-01')", ctx("analyst"), V::Pass},
      {"multi-statement: one refusal refuses all",
       "SELECT 1; SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1; SELECT sale_id FROM spectrum_schema.sales",
       ctx("analyst"), V::Refuse, kFilterMsg},
      {"unparsable text naming sales",
       "SELEC sale_id FROM spectrum_schema.sales", ctx("analyst"), V::Refuse,
       "blueshift: query on spectrum_schema.sales refused by rule \"analysts-must-filter-partitions\" "
       "(require_partition_filter): the proxy could not analyse it",
       "the SQL parser rejected the statement"},
  };
  check_rows(*h.governor, {std::begin(rows), std::end(rows)});
  // Every non-pass verdict wrote one audit line (a pass scanning an external table, a
  // "passed" one with its estimate).
  const auto lines = h.audit.lines();
  const auto c = h.governor->counters();
  const auto decided = std::count_if(lines.begin(), lines.end(), [](const auto& l) { return l["outcome"] != "passed"; });
  EXPECT_EQ(static_cast<uint64_t>(decided), c.refused + c.warned + c.audited);
  EXPECT_GT(c.refused, 0u);
  EXPECT_EQ(c.warned, 1u);
  for (const auto& j : lines) {
    EXPECT_EQ(j["time"], "2024-05-01T12:00:00.000Z");
    EXPECT_EQ(j["database"], "dev");
    EXPECT_EQ(j["client_address"], "127.0.0.1:50000");
    EXPECT_TRUE(j["outcome"] == "refused" || j["outcome"] == "warned" || j["outcome"] == "passed") << j.dump();
    if (j["outcome"] == "passed") {
      EXPECT_TRUE(j["findings"].empty() && j.contains("estimate")) << j.dump();
      continue;
    }
    if (j["findings"][0].contains("unanalysed")) {
      EXPECT_EQ(j["fingerprint"], "");  // the parser gave up: there is no fingerprint
    }
  }
}


// deny_statements limited to a schema, end to end: a statement is refused when it acts
// on something in the schema (the schema itself included), never merely for naming no
// table. The kinds listed include set, show and select to show that SET, SHOW and
// SELECT 1 still pass.
TEST(Governor, StatementRulesLimitedToSchemas) {
  Harness h(R"(
rules:
  - name: prod
    type: deny_statements
    kinds: [ddl, delete, utility, set, show, transaction, select]
    schemas: [prod]
    scope: {users: [analyst]}
)");
  const auto on_prod = [](const char* kind, const char* what) {
    return std::string("blueshift: ") + kind + " on " + what + " refused by rule \"prod\" (deny_statements)";
  };
  const std::string drop_schema = on_prod("DROP", "schema prod");
  const std::string drop_function = on_prod("DROP", "function prod.f");
  const std::string vacuum_prod = on_prod("UTILITY", "table prod.t");
  const std::string grant_prod = on_prod("OTHER DDL", "table prod.t");
  const std::string grant_schema = on_prod("OTHER DDL", "schema prod");
  const std::string create_schema = on_prod("OTHER DDL", "schema prod");
  const std::string rename_into = on_prod("ALTER", "schema prod");
  const std::string delete_prod = on_prod("DELETE", "prod.t");
  const std::vector<Row> rows = {
      {"ALTER USER acts on no schema", "ALTER USER analyst PASSWORD 'secret'", ctx("analyst"), V::Pass},
      {"SET", "SET statement_timeout = 0", ctx("analyst"), V::Pass},
      {"SET search_path to it", "SET search_path TO prod", ctx("analyst"), V::Pass},
      {"SHOW", "SHOW search_path", ctx("analyst"), V::Pass},
      {"BEGIN", "BEGIN", ctx("analyst"), V::Pass},
      {"SELECT 1", "SELECT 1", ctx("analyst"), V::Pass},
      {"CREATE ROLE", "CREATE ROLE reporting", ctx("analyst"), V::Pass},
      {"GRANT a role", "GRANT analysts TO bob", ctx("analyst"), V::Pass},
      {"CREATE SCHEMA elsewhere", "CREATE SCHEMA scratch", ctx("analyst"), V::Pass},
      {"CREATE SCHEMA prod", "CREATE SCHEMA prod", ctx("analyst"), V::Refuse, create_schema.c_str()},
      {"DROP SCHEMA prod", "DROP SCHEMA prod CASCADE", ctx("analyst"), V::Refuse, drop_schema.c_str(),
       "DROP statements on schema prod are not allowed for user analyst"},
      {"DROP SCHEMA elsewhere", "DROP SCHEMA scratch", ctx("analyst"), V::Pass},
      {"DROP SCHEMA elsewhere CASCADE may drop dependents in prod", "DROP SCHEMA scratch CASCADE", ctx("analyst"),
       V::Refuse, "blueshift: DROP statement refused by rule \"prod\" (deny_statements)",
       "DROP statements on schema prod are not allowed for user analyst, and this one may act on every schema: CASCADE"},
      {"renaming a schema to prod", "ALTER SCHEMA scratch RENAME TO prod", ctx("analyst"), V::Refuse, rename_into.c_str()},
      {"a function in prod", "DROP FUNCTION prod.f()", ctx("analyst"), V::Refuse, drop_function.c_str()},
      {"an unqualified function off prod's search_path", "DROP FUNCTION f()", ctx("analyst"), V::Pass},
      {"an unqualified function with prod on the search_path", "DROP FUNCTION f()", ctx("analyst", {"prod"}),
       V::Refuse, drop_function.c_str()},
      {"a function elsewhere", "CREATE FUNCTION scratch.f() RETURNS int LANGUAGE sql AS 'SELECT 1'", ctx("analyst"),
       V::Pass},
      {"GRANT on a prod table", "GRANT SELECT ON prod.t TO bob", ctx("analyst"), V::Refuse, grant_prod.c_str()},
      {"GRANT on every table in prod", "GRANT SELECT ON ALL TABLES IN SCHEMA prod TO bob", ctx("analyst"), V::Refuse,
       grant_schema.c_str()},
      {"GRANT elsewhere", "GRANT SELECT ON scratch.t TO bob", ctx("analyst"), V::Pass},
      {"VACUUM a prod table", "VACUUM prod.t", ctx("analyst"), V::Refuse, vacuum_prod.c_str()},
      {"VACUUM elsewhere", "VACUUM scratch.t", ctx("analyst"), V::Pass},
      {"VACUUM of the whole database", "VACUUM", ctx("analyst"), V::Refuse,
       "blueshift: UTILITY statement refused by rule \"prod\" (deny_statements)",
       "UTILITY statements on schema prod are not allowed for user analyst, and this one may act on every schema"},
      {"DROP OWNED", "DROP OWNED BY analyst", ctx("analyst"), V::Refuse,
       "blueshift: DROP statement refused by rule \"prod\" (deny_statements)"},
      {"DELETE in prod", "DELETE FROM prod.t", ctx("analyst"), V::Refuse, delete_prod.c_str()},
      {"DELETE elsewhere", "DELETE FROM scratch.t", ctx("analyst"), V::Pass},
      {"SELECT from prod (select listed: reads count)", "SELECT * FROM prod.t", ctx("analyst"), V::Refuse},
      {"Redshift GRANT ... TO ROLE naming prod: targets unknown, fails closed", "GRANT USAGE ON SCHEMA prod TO ROLE r",
       ctx("analyst"), V::Refuse, "blueshift: OTHER DDL statement refused by rule \"prod\" (deny_statements)",
       "OTHER DDL statements on schema prod are not allowed for user analyst: the proxy cannot tell which objects this "
       "one acts on, and schema prod is named in it or on its search_path"},
      {"Redshift GRANT ... TO ROLE elsewhere", "GRANT USAGE ON SCHEMA scratch TO ROLE r", ctx("analyst"), V::Pass},
      {"Redshift GRANT ... TO ROLE with prod on the search_path", "GRANT SELECT ON t TO ROLE r", ctx("analyst", {"prod"}),
       V::Refuse},
      {"a DO block naming prod", "DO $$ BEGIN DELETE FROM prod.t; END $$", ctx("analyst"), V::Refuse,
       "blueshift: statement on schema prod refused by rule \"prod\" (deny_statements): the proxy could not analyse it"},
      {"someone else", "DROP SCHEMA prod", ctx("etl"), V::Pass},
  };
  check_rows(*h.governor, rows);
}

// DO blocks and function bodies are not analysed: they are refused when their names show
// a governed table (or a schema a statement rule protects), and whenever they can build
// SQL at run time.
TEST(Governor, RoutineBodiesFailClosed) {
  Harness h;
  const char* kUnanalysed =
      "blueshift: query on spectrum_schema.sales refused by rule \"analysts-must-filter-partitions\" "
      "(require_partition_filter): the proxy could not analyse it";
  const char* kDynamic =
      "blueshift: statement refused by rule \"analysts-must-filter-partitions\" (require_partition_filter): the proxy "
      "could not analyse it";
  const std::vector<Row> rows = {
      {"DO naming sales", "DO $$ BEGIN PERFORM count(*) FROM spectrum_schema.sales; END $$", ctx("analyst"), V::Refuse,
       kUnanalysed, "the proxy does not analyse the body of a DO block"},
      {"DO naming sales unqualified, in a string", "DO $$ BEGIN PERFORM my_log('db', 'select * from sales'); END $$",
       ctx("analyst"), V::Refuse, kUnanalysed},
      {"DO naming nothing governed", "DO $$ BEGIN RAISE NOTICE 'hello'; END $$", ctx("analyst"), V::Pass},
      {"DO building the name at run time",
       "DO $$ BEGIN EXECUTE 'SELECT count(*) FROM spectrum_schema.' || 'sa' || 'les'; END $$", ctx("analyst"),
       V::Refuse, kDynamic, "the proxy does not analyse the body of a DO block, and it cannot check it by its names: "
       "EXECUTE runs SQL built at run time"},
      {"DO in another language", "DO LANGUAGE plperl $$ spi_exec_query('select 1') $$", ctx("analyst"), V::Refuse,
       kDynamic},
      {"etl is exempt", "DO $$ BEGIN PERFORM count(*) FROM spectrum_schema.sales; END $$", ctx("etl"), V::Pass},
      {"SQL function over sales",
       "CREATE FUNCTION public.n() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM spectrum_schema.sales'",
       ctx("analyst"), V::Refuse, kUnanalysed, "the proxy does not analyse the body of function public.n"},
      {"PL/pgSQL procedure over sales",
       "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t SELECT * FROM spectrum_schema.sales; END $$",
       ctx("analyst"), V::Refuse, kUnanalysed},
      {"function over something else", "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1'", ctx("analyst"),
       V::Pass},
      {"SQL-standard body is parsed and checked like a query",
       "CREATE FUNCTION n() RETURNS bigint LANGUAGE sql RETURN (SELECT count(*) FROM spectrum_schema.sales WHERE year = "
       "2024 AND month = 1)",
       ctx("analyst"), V::Pass},
      {"SQL-standard body without a filter",
       "CREATE FUNCTION n() RETURNS bigint LANGUAGE sql RETURN (SELECT count(*) FROM spectrum_schema.sales)",
       ctx("analyst"), V::Refuse, kFilterMsg},
      {"Python UDF (cannot reach the database)", "CREATE FUNCTION f(x int) RETURNS int LANGUAGE plpythonu AS 'return x'",
       ctx("analyst"), V::Pass},
  };
  check_rows(*h.governor, rows);
}

// Functions that run SQL text (query_to_xml, dblink, ...) scan what their text names, out
// of the proxy's sight: refused by every table rule in scope, whatever the text says or
// however it is built, also inside a DO block or a function body, which the analyst could
// otherwise create once and call with any text.
TEST(Governor, FunctionsRunningSqlTextFailClosed) {
  Harness h;
  const char* kRefused =
      "blueshift: statement refused by rule \"analysts-must-filter-partitions\" (require_partition_filter): the proxy "
      "could not analyse it";
  const std::vector<Row> rows = {
      {"query_to_xml naming sales",
       "SELECT query_to_xml('select * from spectrum_schema.sales', true, false, '')", ctx("analyst"), V::Refuse,
       kRefused, "query_to_xml runs SQL text (or reads a table named in text) that the proxy does not analyse",
       "run the query itself rather than through query_to_xml, so the proxy can check it"},
      {"the name built at run time",
       "SELECT query_to_xml('select * from spectrum_' || 'schema.sa' || 'les', true, false, '')", ctx("analyst"),
       V::Refuse, kRefused},
      {"schema-qualified, in FROM", "SELECT * FROM pg_catalog.query_to_xml_and_xmlschema($q$select 1$q$, true, false, '')",
       ctx("analyst"), V::Refuse, kRefused},
      {"table_to_xml of a regclass", "SELECT table_to_xml('spectrum_schema.sales'::regclass, true, false, '')",
       ctx("analyst"), V::Refuse, kRefused},
      {"cursor_to_xml", "SELECT cursor_to_xml('c', 10, false, false, '')", ctx("analyst"), V::Refuse, kRefused},
      {"dblink", "SELECT * FROM dblink('dbname=dev', 'select 1') AS t(x int)", ctx("analyst"), V::Refuse, kRefused},
      {"in a subquery of an INSERT",
       "INSERT INTO t SELECT x FROM (SELECT table_to_xmlschema('s', true, false, '') AS x) q", ctx("analyst"),
       V::Refuse, kRefused},
      {"inside a DO block", "DO $$ BEGIN PERFORM query_to_xml('select 1', true, false, ''); END $$", ctx("analyst"),
       V::Refuse, kRefused, "query_to_xml runs SQL text"},
      {"inside a pg_temp SQL function",
       "CREATE FUNCTION pg_temp.f(q text) RETURNS xml LANGUAGE sql AS 'SELECT query_to_xml(q, true, false, '''')'",
       ctx("analyst"), V::Refuse, kRefused, "query_to_xml runs SQL text"},
      {"in unparsed text", "SELECT query_to_xml('x' true false", ctx("analyst"), V::Refuse, kRefused},
      {"inside UNLOAD's query",
       "UNLOAD ('select query_to_xml(''select 1'', true, false, '''')') TO 's3://b/p' IAM_ROLE 'arn:aws:iam::1:role/r'",
       ctx("analyst"), V::Refuse, kRefused},
      {"exempt", "SELECT query_to_xml('select * from spectrum_schema.sales', true, false, '')", ctx("etl"), V::Pass},
      {"nobody in scope", "SELECT query_to_xml('select 1', true, false, '')", ctx("someone_else"), V::Pass},
      {"other functions", "SELECT xmlelement(name a, 1), upper('query_to_xml')", ctx("analyst"), V::Pass},
  };
  check_rows(*h.governor, rows);
}

// The list is the operator's: `sql_text_functions` replaces the default.
TEST(Governor, SqlTextFunctionsAreConfigurable) {
  Harness h(std::string(kDemoPolicies) + "\nsql_text_functions: [My_Runner]\n");
  const std::vector<Row> rows = {
      {"a listed function", "SELECT my_runner('select 1')", ctx("analyst"), V::Refuse},
      {"no longer listed", "SELECT query_to_xml('select 1', true, false, '')", ctx("analyst"), V::Pass},
  };
  check_rows(*h.governor, rows);
}

// A filter counts as a partition bound only in a form the warehouse prunes on: the column
// itself compared with a value of its own type. tests/e2e/policies/bypass_tests.py checks
// each form against the dev warehouse's EXPLAIN.
TEST(Governor, OnlyFormsTheWarehousePrunesOnBound) {
  Harness h;
  const char* kHintTail =
      "; the warehouse prunes partitions only when the column itself is compared with a value of its own type: year "
      "= 2024, year IN (2023, 2024), year BETWEEN 2023 AND 2024, year = '2024' or a parameter of that type, not year "
      "= 2024.0, year = 2024::numeric, a numeric or float parameter, or IS NOT DISTINCT FROM";
  const std::string hint =
      std::string("add WHERE year = ... AND month = ... (partition columns of spectrum_schema.sales: year, month)") +
      kHintTail;
  const char* kCount = "SELECT count(*) FROM spectrum_schema.sales WHERE ";
  const std::pair<const char*, V> forms[] = {
      {"year = 2024 AND month = 3", V::Pass},
      {"year = '2024' AND month = '3'", V::Pass},
      {"year = 2024::int AND month = 3", V::Pass},
      {"year = 2024::bigint AND month = 3", V::Pass},
      {"year = 20240000000 AND month = 3", V::Pass},  // an int8 literal
      {"year IN (2024) AND month = 3", V::Pass},
      {"year = ANY('{2024}') AND month = 3", V::Pass},
      {"year IS NOT DISTINCT FROM 2024 AND month = 3", V::Refuse},
      {"year = 2024.0 AND month = 3", V::Refuse},
      {"year = 2e3 AND month = 3", V::Refuse},
      {"year = 2024::numeric AND month = 3", V::Refuse},
      {"year = CAST(2024 AS double precision) AND month = 3", V::Refuse},
      {"year IN (2024.0) AND month = 3", V::Refuse},
      {"year IN (2024, 2025.0) AND month = 3", V::Refuse},
      {"year = ANY('{2024}'::numeric[]) AND month = 3", V::Refuse},
      {"year = 2024 AND month = 3.0", V::Refuse},
      {"(year = 2024 OR year = 2023.0) AND month = 3", V::Refuse},
      {"year = 2024 AND year = 2024.0 AND month = 3", V::Pass},  // the int comparison prunes
  };
  std::vector<Row> rows;
  std::vector<std::string> texts;
  texts.reserve(std::size(forms) + 2);
  for (const auto& [where, outcome] : forms) {
    texts.push_back(kCount + std::string(where));
    rows.push_back({where, texts.back().c_str(), ctx("analyst"), outcome});
  }
  texts.push_back("WITH s AS MATERIALIZED (SELECT * FROM spectrum_schema.sales) SELECT count(*) FROM s WHERE year = "
                  "2024 AND month = 3");
  rows.push_back({"a MATERIALIZED CTE filtered outside", texts.back().c_str(), ctx("analyst"), V::Refuse});
  texts.push_back("WITH s AS (SELECT year, month FROM spectrum_schema.sales) SELECT count(*) FROM s WHERE year = 2024 "
                  "AND month = 3");
  rows.push_back({"a CTE the warehouse inlines", texts.back().c_str(), ctx("analyst"), V::Pass});
  check_rows(*h.governor, rows);
  const Verdict v = h.governor->check_query(std::string(kCount) + "year = 2024.0 AND month = 3", ctx("analyst")).verdict;
  EXPECT_EQ(v.hint, hint);
  EXPECT_EQ(v.detail.substr(0, 46), "year is not bounded, month is bounded (month =");
}

// Parameters typed numeric or floating point cast the column: decided at Bind, refused.
TEST(Governor, NumericParametersDoNotBound) {
  Harness h;
  const char* kSql = "SELECT count(*) FROM spectrum_schema.sales WHERE year = $1 AND month = $2";
  const std::pair<std::vector<uint32_t>, V> cases[] = {
      {{0, 0}, V::Pass}, {{23, 23}, V::Pass}, {{20, 21}, V::Pass},
      {{1700, 23}, V::Refuse}, {{701, 23}, V::Refuse}, {{23, 700}, V::Refuse},
  };
  for (const auto& [types, outcome] : cases) {
    SCOPED_TRACE(::testing::PrintToString(types));
    std::shared_ptr<const PreparedCheck> deferred;
    EXPECT_EQ(parse(*h.governor, kSql, ctx("analyst"), &deferred, types).outcome, V::Pass);
    const Verdict v = deferred ? h.governor->check_bind(*deferred, {"2024", "3"}, {}, ctx("analyst")) : Verdict{};
    EXPECT_EQ(v.outcome, outcome) << v.message;
  }
  // A cast in the text does the same whatever the declared type.
  std::shared_ptr<const PreparedCheck> deferred;
  (void)parse(*h.governor, "SELECT count(*) FROM spectrum_schema.sales WHERE year = $1::numeric AND month = $2",
              ctx("analyst"), &deferred, {});
  const Verdict cast = deferred ? h.governor->check_bind(*deferred, {"2024", "3"}, {}, ctx("analyst"))
                                : h.governor->check_parse("SELECT count(*) FROM spectrum_schema.sales WHERE year = "
                                                          "$1::numeric AND month = $2", ctx("analyst"), {}).verdict;
  EXPECT_EQ(cast.outcome, V::Refuse);
}

// "$user" in the search_path names the user's schema only when it exists, as the server
// resolves it: otherwise an unqualified CREATE lands in public, where analysts may not.
TEST(Governor, UserSchemaOnlyWhenItExists) {
  Harness h;
  const char* kCreate = "CREATE TABLE scratch (x int)";
  EXPECT_EQ(h.governor->check_query(kCreate, ctx("analyst")).verdict.outcome, V::Refuse);
  EXPECT_EQ(h.governor->check_query("CREATE TABLE public.scratch (x int)", ctx("analyst")).verdict.outcome,
            V::Refuse);
  h.catalog.schemas.insert("analyst");
  std::string error;
  ASSERT_TRUE(h.governor->refresh_catalog(&error)) << error;
  EXPECT_EQ(h.governor->check_query(kCreate, ctx("analyst")).verdict.outcome, V::Pass);  // in analyst
  // Another analyst has no schema of their own.
  EXPECT_EQ(h.governor->check_query(kCreate, ctx("bi_user")).verdict.outcome, V::Refuse);
}

// ALTER ROLE/DATABASE ... SET search_path outlives the session: a later session starts on
// that path, which the catalog reads (pg_db_role_setting) and names resolve through; and
// statement rules on a schema refuse the ALTER itself, which may point names anywhere.
TEST(Governor, RoleAndDatabaseSearchPathDefaults) {
  Harness h;
  const char* kUnqualified = "SELECT count(*) FROM sales";
  EXPECT_EQ(h.governor->check_query(kUnqualified, ctx("analyst")).verdict.outcome, V::Pass);  // public: no sales
  h.catalog.search_path_defaults[{"", "analyst"}] = {"spectrum_schema"};
  h.catalog.search_path_defaults[{"dev", ""}] = {"public"};
  h.catalog.search_path_defaults[{"dev", "bi_user"}] = {"spectrum_schema", "public"};
  std::string error;
  ASSERT_TRUE(h.governor->refresh_catalog(&error)) << error;
  EXPECT_EQ(h.governor->check_query(kUnqualified, ctx("analyst")).verdict.outcome, V::Refuse);  // the role's
  EXPECT_EQ(h.governor->check_query(kUnqualified, ctx("bi_user")).verdict.outcome, V::Refuse);  // role in database
  EXPECT_EQ(h.governor->check_query(kUnqualified, ctx("newbie")).verdict.outcome, V::Pass);     // the database's
  // What the session sets itself wins.
  EXPECT_EQ(h.governor->check_query(kUnqualified, ctx("analyst", {"public"})).verdict.outcome, V::Pass);

  const std::vector<Row> rows = {
      {"ALTER ROLE SET search_path", "ALTER ROLE analyst SET search_path = spectrum_schema", ctx("analyst"),
       V::Refuse, nullptr,
       "ALTER statements on schema public are not allowed for user analyst, and this one may act on every schema: it "
       "changes the search_path later sessions resolve unqualified names through"},
      {"ALTER USER IN DATABASE", "ALTER USER analyst IN DATABASE dev SET search_path TO spectrum_schema",
       ctx("analyst"), V::Refuse},
      {"ALTER DATABASE SET", "ALTER DATABASE dev SET search_path = spectrum_schema", ctx("analyst"), V::Refuse},
      {"ALTER ROLE RESET ALL", "ALTER ROLE analyst RESET ALL", ctx("analyst"), V::Refuse},
      {"another setting", "ALTER ROLE analyst SET statement_timeout = 0", ctx("analyst"), V::Pass},
      {"etl is exempt", "ALTER ROLE etl SET search_path = spectrum_schema", ctx("etl"), V::Pass},
  };
  check_rows(*h.governor, rows);
}

// A governed text over policies.max_statement_bytes is refused as unanalysed at once
// rather than parsed for seconds on the I/O thread; other long texts are not looked at.
TEST(Governor, StatementsOverTheSizeLimitFailClosed) {
  Harness h(std::string(kDemoPolicies) + "\nmax_statement_bytes: 4000\n");
  std::string ors = "sale_id = 0";
  for (int i = 1; i < 400; ++i) ors += " OR sale_id = " + std::to_string(i);
  const std::string governed = "SELECT count(*) FROM spectrum_schema.sales WHERE year = 2024 AND month = 1 AND (" + ors + ")";
  const Verdict v = h.governor->check_query(governed, ctx("analyst")).verdict;
  EXPECT_EQ(v.outcome, V::Refuse);
  EXPECT_EQ(v.message, std::string(kFilterMsg) + ": the proxy could not analyse it");
  EXPECT_EQ(v.detail.substr(0, 74),
            "the SQL parser rejected the statement: statement too large to analyse: " + std::to_string(governed.size()).substr(0, 3));
  EXPECT_EQ(h.governor->check_query(governed, ctx("etl")).verdict.outcome, V::Pass);
  EXPECT_EQ(h.governor->check_query("SELECT count(*) FROM scratch.t WHERE " + ors, ctx("analyst")).verdict.outcome,
            V::Pass);
  Harness unlimited(std::string(kDemoPolicies) + "\nmax_statement_bytes: 0\n");
  EXPECT_EQ(unlimited.governor->check_query(governed, ctx("analyst")).verdict.outcome, V::Pass);
}

TEST(Governor, AuditLineCarriesTheStatementFingerprint) {
  Harness h;
  const char* sql = "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024";
  ASSERT_EQ(h.governor->check_query(sql, ctx("analyst", {}, "Tableau 2024.1")).verdict.outcome, V::Refuse);
  const auto lines = h.audit.lines();
  ASSERT_EQ(lines.size(), 1u);
  const auto& j = lines[0];
  const std::string expected = rewrite::analyze(sql, rewrite::AnalysisContext{}).fingerprint;
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(j["fingerprint"], expected);
  EXPECT_EQ(j["user"], "analyst");
  EXPECT_EQ(j["application_name"], "Tableau 2024.1");
  EXPECT_EQ(j["tables"], nlohmann::json::array({"spectrum_schema.sales"}));
  EXPECT_EQ(j["rule"], "analysts-must-filter-partitions");
  EXPECT_EQ(j["outcome"], "refused");
  EXPECT_EQ(j["mode"], "enforce");
}

TEST(Governor, FastPathSkipsParsing) {
  // Only table rules: text that names no governed table passes unparsed.
  Harness h("catalog_tables: true\nrules: [{name: f, type: require_partition_filter, scope: {groups: [analysts]}}]");
  auto& g = *h.governor;
  EXPECT_EQ(g.check_query("SELECT * FROM public.sales_fact", ctx("analyst")).verdict.outcome, V::Pass);
  EXPECT_EQ(g.check_query("SELECT 1", ctx("analyst")).verdict.outcome, V::Pass);
  EXPECT_EQ(g.counters().parsed, 0u);
  // Out of scope: not parsed even when it names a governed table.
  EXPECT_EQ(g.check_query("SELECT * FROM spectrum_schema.sales", ctx("etl")).verdict.outcome, V::Pass);
  EXPECT_EQ(g.counters().parsed, 0u);
  // In scope and naming it: parsed, then cached.
  EXPECT_EQ(g.check_query("SELECT * FROM spectrum_schema.sales", ctx("analyst")).verdict.outcome, V::Refuse);
  EXPECT_EQ(g.counters().parsed, 1u);
  EXPECT_EQ(g.counters().cache_hits, 0u);
  EXPECT_EQ(g.check_query("SELECT * FROM spectrum_schema.sales", ctx("analyst")).verdict.outcome, V::Refuse);
  EXPECT_EQ(g.counters().parsed, 2u);
  EXPECT_EQ(g.counters().cache_hits, 1u);
  EXPECT_EQ(g.counters().checked, 5u);
  EXPECT_EQ(g.counters().refused, 2u);
  // A DO block may build a governed name at run time: always parsed, then refused.
  EXPECT_EQ(g.check_query("DO $$ BEGIN EXECUTE 'SELECT 1 FROM x' || 'y'; END $$", ctx("analyst")).verdict.outcome, V::Refuse);
  EXPECT_EQ(g.counters().parsed, 3u);
}

TEST(Governor, StatementRulesAlwaysParseInScope) {
  Harness h("rules: [{name: d, type: deny_statements, kinds: [delete], scope: {users: [analyst]}}]");
  auto& g = *h.governor;
  EXPECT_EQ(g.check_query("SELECT 1", ctx("analyst")).verdict.outcome, V::Pass);
  EXPECT_EQ(g.counters().parsed, 1u);
  EXPECT_EQ(g.check_query("DELETE FROM t", ctx("analyst")).verdict.outcome, V::Refuse);
  EXPECT_EQ(g.check_query("DELETE FROM t", ctx("etl")).verdict.outcome, V::Pass);
  EXPECT_EQ(g.counters().parsed, 2u);
}

TEST(Governor, ReportsSearchPathChangesForEveryone) {
  Harness h;
  const Checked c = h.governor->check_query("SET search_path TO spectrum_schema, public", ctx("etl"));
  EXPECT_EQ(c.verdict.outcome, V::Pass);
  ASSERT_TRUE(c.effect.new_search_path.has_value());
  EXPECT_EQ(*c.effect.new_search_path, (std::vector<std::string>{"spectrum_schema", "public"}));
  EXPECT_FALSE(c.effect.search_path_uncertain);
  EXPECT_FALSE(h.governor->check_query("SELECT 1", ctx("etl")).effect.new_search_path.has_value());
}

// The server's search_path may differ from the proxy's copy; the Governor must then
// assume an unqualified name means the governed table, never the other way round.
TEST(Governor, UncertainSearchPathResolvesToGovernedTablesFirst) {
  Harness h;
  SessionContext analyst = ctx("analyst", {"public"});
  // With a certain path of public, `sales` is public.sales (not governed in the demo catalog).
  EXPECT_EQ(h.governor->check_query("SELECT count(*) FROM sales", analyst).verdict.outcome, V::Pass);
  analyst.search_path_uncertain = true;
  const Verdict v = h.governor->check_query("SELECT count(*) FROM sales", analyst).verdict;
  EXPECT_EQ(v.outcome, V::Refuse);
  EXPECT_NE(v.message.find("spectrum_schema.sales"), std::string::npos) << v.message;
  // Bounded scans still pass, and names that exist only elsewhere still resolve there.
  EXPECT_EQ(h.governor->check_query("SELECT count(*) FROM sales WHERE year = 2024 AND month = 1", analyst).verdict.outcome,
            V::Pass);
  EXPECT_EQ(h.governor->check_query("SELECT count(*) FROM customers", analyst).verdict.outcome, V::Pass);
}

TEST(Governor, ReportsSearchPathChangesItCannotPinDown) {
  Harness h;
  struct Row {
    const char* sql;
    bool uncertain;
  };
  const Row rows[] = {
      {"SET search_path TO spectrum_schema", false},
      {"SET LOCAL search_path TO spectrum_schema", true},
      {"SELECT set_config('search_path', 'spectrum_schema', false)", true},
      {"BEGIN; SET search_path TO public; ROLLBACK", true},
      {"SELECT 1", false},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(h.governor->check_query(r.sql, ctx("analyst")).effect.search_path_uncertain, r.uncertain) << r.sql;
  }
}

// SQL-level PREPARE has no Bind: its EXECUTE supplies values the proxy does not decode,
// so a scan whose partition count depends on them is decided as if they match everything.
TEST(Governor, SqlPrepareWithParametersIsDecidedWithoutBind) {
  Harness h;
  const Verdict wide = h.governor->check_query(
      "PREPARE w(int, int) AS SELECT count(*) FROM spectrum_schema.sales WHERE year BETWEEN $1 AND $2 AND month "
      "BETWEEN 1 AND 12",
      ctx("analyst")).verdict;
  EXPECT_EQ(wide.outcome, V::Refuse);
  const Verdict narrow = h.governor->check_query(
      "PREPARE n AS SELECT count(*) FROM spectrum_schema.sales WHERE year = 2024 AND month = 2", ctx("analyst")).verdict;
  EXPECT_EQ(narrow.outcome, V::Pass);
}

// Lifting a simple Query's literals into $n (for the analysis cache) never changes what
// the client sees: every verdict equals the one for the text analysed as written.
// Two governors that must agree: every field the client sees.
void expect_same_verdict(const Verdict& a, const Verdict& b) {
  EXPECT_EQ(a.outcome, b.outcome);
  EXPECT_EQ(a.sqlstate, b.sqlstate);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.detail, b.detail);
  EXPECT_EQ(a.hint, b.hint);
}
// The same, and the same effect on the session.
void expect_same_check(const Checked& a, const Checked& b) {
  expect_same_verdict(a.verdict, b.verdict);
  EXPECT_EQ(a.effect.new_search_path, b.effect.new_search_path);
  EXPECT_EQ(a.effect.search_path_uncertain, b.effect.search_path_uncertain);
}

// A governor that lifts literals and one that analyses every text as written.
struct LiftingAndAsWritten {
  LiftingAndAsWritten() {
    as_written.options.lift_literals = false;
    as_written.governor = Governor::create(YAML::Load(kDemoPolicies), as_written.options);
  }
  void expect_same_verdict_for(const std::string& sql, const SessionContext& who) {
    expect_same_check(lifting.governor->check_query(sql, who), as_written.governor->check_query(sql, who));
  }
  Harness lifting;
  Harness as_written;
};

TEST(Governor, LiftedLiteralsDecideAsWritten) {
  LiftingAndAsWritten both;
  const char* const statements[] = {
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = '2024' AND month = '01'",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = '2024' AND month = '1'",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024.0 AND month = 1",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 1999 AND month = 1",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year IN (2023, 2024) AND month BETWEEN 1 AND 3",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year IN (2022, 2023, 2024) AND month BETWEEN 1 AND 12",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year >= 2022 AND year <= 2024 AND month >= 1 AND month <= 12",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year > 2023 AND month < 4",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year BETWEEN 2024 AND 2023 AND month = 1",
      "SELECT sale_id FROM spectrum_schema.sales WHERE (year = 2024 AND month = 1) OR month = 2",
      "SELECT sale_id FROM spectrum_schema.sales WHERE (year = 2024 AND month = 1) OR (year = 2023 AND month = 12)",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1 OR 1 = 1",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND (month = 1 OR 'a' = 'a')",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = -1",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1 + 1",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = '1'::int",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = CAST('2' AS int)",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = ANY('{1,2}')",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month IS NOT DISTINCT FROM 3",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month <> 1",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND sale_date >= '2024-01-01'",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1 AND note LIKE 'x%'",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 /* AND month = 1 */",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND 'month = 1' = 'x'",
      "SELECT count(*) FROM (SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 5) t",
      "WITH s AS (SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND month = 7) SELECT count(*) FROM s",
      "WITH s AS (SELECT * FROM spectrum_schema.sales WHERE year = 2024) SELECT count(*) FROM s WHERE month = 7",
      "SELECT s.sale_id FROM spectrum_schema.sales s JOIN public.customers c ON c.customer_id = s.customer_id AND "
      "s.year = 2024 WHERE s.month = 3",
      "SELECT s.sale_id FROM public.customers c LEFT JOIN spectrum_schema.sales s ON s.year = 2024 AND s.month = 3",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1 UNION ALL SELECT sale_id FROM "
      "spectrum_schema.sales WHERE year = 2023",
      "SELECT TOP 5 sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1 LIMIT 10",
      "SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND month = 1",
      "SELECT * FROM spectrum_schema.countries WHERE name = 'France'",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = DATE_PART('month', '2024-03-01'::date)",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1 AND DATEADD(month, -1, sale_date) > "
      "'2024-01-01'",
      "SELECT set_config('search_path', 'spectrum_schema', false)",
      "SELECT sale_id FROM sales WHERE year = 2024 AND month = 1",
      "SELECT sale_id FROM sales WHERE year = 2024",
      "SELECT sale_id FROM public.sales_fact WHERE sale_id = 42",
      "SELECT sale_id FROM \"spectrum_schema\".\"sales\" WHERE \"year\" = 2024 AND \"month\" = 12",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1 AND customer_id IN (SELECT "
      "customer_id FROM public.customers WHERE region = 'EU')",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1 QUALIFY row_number() OVER "
      "(PARTITION BY customer_id ORDER BY amount) = 1",
  };
  const std::vector<SessionContext> sessions = {ctx("analyst"), ctx("analyst", {"spectrum_schema", "public"}),
                                                ctx("etl")};
  for (const auto& who : sessions) {
    for (const char* sql : statements) {
      SCOPED_TRACE(std::string(sql) + " as " + who.user);
      // Twice: the second time the lifted template comes from the cache.
      for (int round = 0; round < 2; ++round) both.expect_same_verdict_for(sql, who);
    }
  }
  // And the point of it: texts that differ only in values share one analysis.
  Harness h;
  const auto before = h.governor->counters();
  for (int aid = 1; aid <= 50; ++aid) {
    const std::string sql = "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = " +
                            std::to_string(aid % 12 + 1) + " AND customer_id = " + std::to_string(aid);
    ASSERT_EQ(h.governor->check_query(sql, ctx("analyst")).verdict.outcome, V::Pass) << sql;
  }
  EXPECT_EQ(h.governor->check_query("SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND customer_id = 7",
                                    ctx("analyst")).verdict.outcome,
            V::Refuse);
  EXPECT_GE(h.governor->counters().cache_hits - before.cache_hits, 49u);
}

// A refusal words a lifted literal as analysis of the text does: 01 is the integer 1
// (PostgreSQL's value of it) either way, a signed number is never lifted, and a string
// keeps its text exactly ('01' stays '01'). Each statement is checked by a governor that
// meets its template first (the values are put into the template's facts), one that met
// the template with other values before (the values reach evaluate apart from the facts)
// and one that analyses the text as written: all three refuse in the same words.
TEST(Governor, LiftedLiteralsWordRefusalsAsWritten) {
  struct WordingRow {
    const char* sql;
    const char* other;   // the same template with other values
    const char* detail;  // the refusal's DETAIL, exact
  };
#define SALE_IDS "SELECT sale_id FROM spectrum_schema.sales WHERE "
  const WordingRow rows[] = {
      {SALE_IDS "month = 01", SALE_IDS "month = 2", "year is not bounded, month is bounded (month = 1); 3 partitions match"},
      {SALE_IDS "year = 02024", SALE_IDS "year = 2023", "year is bounded (year = 2024), month is not; 12 partitions match"},
      {SALE_IDS "year = 000000002024", SALE_IDS "year = 2023",
       "year is bounded (year = 2024), month is not; 12 partitions match"},
      {SALE_IDS "year = 02024.0 AND month = 01", SALE_IDS "year = 2023.0 AND month = 2",
       "year is not bounded, month is bounded (month = 1); 3 partitions match"},  // a numeric does not prune
      {SALE_IDS "month IN (01, 002, 3)", SALE_IDS "month IN (4, 5, 6)",
       "year is not bounded, month is bounded (month IN (1, 2, 3)); 9 partitions match"},
      {SALE_IDS "month BETWEEN 01 AND 03", SALE_IDS "month BETWEEN 4 AND 6",
       "year is not bounded, month is bounded (month BETWEEN 1 AND 3); 9 partitions match"},
      {SALE_IDS "year >= 02023 AND month = 01", SALE_IDS "year >= 2022 AND month = 5",
       "year is not bounded to a finite set of values (year >= 2023), month is bounded (month = 1); 2 partitions match"},
      {SALE_IDS "year = 02024 AND month > -01", SALE_IDS "year = 2023 AND month > -01",
       "year is bounded (year = 2024), month is not bounded to a finite set of values (month > -1); 12 partitions match"},
      {SALE_IDS "year = 02024 AND month < - 010", SALE_IDS "year = 2023 AND month < - 010",
       "year is bounded (year = 2024), month is not bounded to a finite set of values (month < -10); 0 partitions "
       "match"},
      {SALE_IDS "month = '01'", SALE_IDS "month = '02'",
       "year is not bounded, month is bounded (month = '01'); 3 partitions match"},
      {SALE_IDS "year = '02024' AND month > '01'", SALE_IDS "year = '2023' AND month > '05'",
       "year is bounded (year = '02024'), month is not bounded to a finite set of values (month > '01'); 11 "
       "partitions match"},
      {SALE_IDS "month = ANY('{01,02}')", SALE_IDS "month = ANY('{3}')",
       "year is not bounded, month is bounded (month IN ('01', '02')); 6 partitions match"},
      {SALE_IDS "year >= 02023 AND month = CAST('3' AS int)", SALE_IDS "year >= 2022 AND month = CAST('3' AS int)",
       "year is not bounded to a finite set of values (year >= 2023), month is bounded (month = 3); 2 partitions match"},
      {SALE_IDS "year IN (02023, 02024) AND month BETWEEN 01 AND 07",
       SALE_IDS "year IN (2022, 2023) AND month BETWEEN 2 AND 8",
       "14 partitions match, the limit is 12 (filter found: year IN (2023, 2024), month BETWEEN 1 AND 7)"},
  };
#undef SALE_IDS
  for (const auto& row : rows) {
    SCOPED_TRACE(row.sql);
    LiftingAndAsWritten fresh;
    const Verdict written = fresh.as_written.governor->check_query(row.sql, ctx("analyst")).verdict;
    EXPECT_EQ(written.outcome, V::Refuse);
    EXPECT_EQ(written.detail, row.detail);
    expect_same_verdict(fresh.lifting.governor->check_query(row.sql, ctx("analyst")).verdict, written);

    Harness primed;
    EXPECT_EQ(primed.governor->check_query(row.other, ctx("analyst")).verdict.outcome, V::Refuse) << row.other;
    const auto hits = primed.governor->counters().cache_hits;
    expect_same_verdict(primed.governor->check_query(row.sql, ctx("analyst")).verdict, written);
    EXPECT_GT(primed.governor->counters().cache_hits, hits) << "the template was not found cached";
  }
}

// The common case behind the lifting: a text never seen whose template is cached. Its
// values reach evaluate apart from the template's facts; the verdict must still be the one
// the text gets analysed as written, refusals and their wording included.
TEST(Governor, NewValuesOfACachedTemplateDecideAsWritten) {
  LiftingAndAsWritten both;
  const char* const templates[] = {
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = {A} AND month BETWEEN 1 AND {B}",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year IN ({A}, 2023) AND month = {B}",
      "SELECT sale_id FROM spectrum_schema.sales WHERE (year = {A} AND month = 1) OR (year = 2023 AND month = {B})",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year >= {A} AND year <= 2024 AND month >= 1 AND month <= {B}",
      "SELECT * FROM spectrum_schema.sales WHERE year = '{A}' AND month = '{B}'",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = {A} OR month = {B}",
      // (`{B} = 1` would compare two literals, which stay in the text to be folded.)
      "SELECT sale_id FROM public.sales_fact WHERE sale_id = {A} AND {B} = customer_id",
  };
  const std::pair<const char*, const char*> values[] = {{"2024", "3"}, {"2024", "12"}, {"1999", "1"},
                                                        {"2022", "12"}, {"2023", "11"}, {"2024", "1"}};
  const std::vector<SessionContext> sessions = {ctx("analyst"), ctx("etl")};
  for (const auto& who : sessions) {
    for (const char* t : templates) {
      for (const auto& [a, b] : values) {
        std::string sql = t;
        sql.replace(sql.find("{A}"), 3, a);
        sql.replace(sql.find("{B}"), 3, b);
        SCOPED_TRACE(sql + " as " + who.user);
        both.expect_same_verdict_for(sql, who);
      }
    }
  }
  // From its second value on, each of the analyst's texts found its template cached (etl
  // is in no rule's scope: nothing is lifted for it).
  EXPECT_GE(both.lifting.governor->counters().cache_hits, std::size(templates) * (std::size(values) - 1));
}

// A text sent again is decided from the DecisionMemo. Whoever sends it, in whatever
// order, the verdict and the audit line are those a governor that never saw the text
// gives: the memo must tell apart the rules in scope and the user a finding names.
TEST(Governor, RepeatedTextsDecideAsAFreshGovernor) {
  const char* const statements[] = {
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024",
      "SELECT sale_id FROM spectrum_schema.sales WHERE year IN (2022, 2023, 2024)",
      "SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND month = 1",
      "DELETE FROM public.customers WHERE customer_id = 7",
      "DROP TABLE public.customers",
      "SET search_path TO spectrum_schema",
      "SELECT 1",
      "SELECT count(*) FROM spectrum_schema.clicks",
  };
  // Sessions on one search_path share cached facts (the default "$user" would tell users
  // apart in the analysis cache already).
  const std::vector<std::string> path = {"public", "spectrum_schema"};
  const std::vector<SessionContext> sessions = {ctx("analyst", path), ctx("bi_user", path), ctx("etl", path),
                                                ctx("newbie", path), ctx("analyst")};
  Harness shared;
  for (int round = 0; round < 3; ++round) {
    for (const char* sql : statements) {
      for (const auto& who : sessions) {
        SCOPED_TRACE(std::string(sql) + " as " + who.user + " round " + std::to_string(round));
        Harness fresh;
        const size_t shared_lines = shared.audit.lines().size();
        expect_same_check(shared.governor->check_query(sql, who), fresh.governor->check_query(sql, who));
        // The audit line is written for every check, remembered decision or not.
        const auto lines = shared.audit.lines();
        const auto fresh_lines = fresh.audit.lines();
        ASSERT_EQ(lines.size() - shared_lines, fresh_lines.size());
        if (!fresh_lines.empty()) {
          EXPECT_EQ(lines.back(), fresh_lines.back());
        }
      }
    }
  }
  EXPECT_GT(shared.governor->counters().cache_hits, 0u);
}

TEST(Governor, DefersToBindWhenTheCountNeedsValues) {
  Harness h;
  auto& g = *h.governor;
  const char* sql = "SELECT amount FROM spectrum_schema.sales WHERE year = $1 AND month BETWEEN $2 AND $3";
  std::shared_ptr<const PreparedCheck> deferred;
  const Verdict parsed = parse(g, sql, ctx("analyst"), &deferred, {23, 23, 23});  // int4 x 3
  EXPECT_EQ(parsed.outcome, V::Pass);
  ASSERT_NE(deferred, nullptr);
  std::shared_ptr<const PreparedCheck> untyped;
  EXPECT_EQ(parse(g, sql, ctx("analyst"), &untyped).outcome, V::Pass);
  ASSERT_NE(untyped, nullptr);

  auto int4 = [](int32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((static_cast<uint32_t>(v) >> (24 - 8 * i)) & 0xff);
    return s;
  };
  struct BindRow {
    const char* name;
    std::vector<std::optional<std::string>> params;
    std::vector<int16_t> formats;
    V outcome;
    const char* detail;
  };
  const BindRow rows[] = {
      {"a quarter", {"2024", "1", "3"}, {}, V::Pass, nullptr},
      {"a year", {"2024", "01", "12"}, {0}, V::Pass, nullptr},
      {"binary int4 values", {int4(2024), int4(1), int4(6)}, {1}, V::Pass, nullptr},
      {"mixed formats", {"2024", int4(1), int4(6)}, {0, 1, 1}, V::Pass, nullptr},
      {"unreadable binary may match anything", {std::string("\x01\x02\x03", 3), int4(1), int4(12)}, {1}, V::Refuse,
       "36 partitions match, the limit is 12"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Verdict v = g.check_bind(*deferred, row.params, row.formats, ctx("analyst"));
    EXPECT_EQ(v.outcome, row.outcome) << v.detail;
    if (row.detail) {
      EXPECT_EQ(v.detail.substr(0, std::string(row.detail).size()), row.detail);
    }
  }
  // Without declared types text values still read; binary ones cannot, and may then
  // match every partition.
  EXPECT_EQ(g.check_bind(*untyped, {{"2024"}, {"1"}, {"3"}}, {}, ctx("analyst")).outcome, V::Pass);
  const Verdict blind = g.check_bind(*untyped, {int4(2024), int4(1), int4(3)}, {1}, ctx("analyst"));
  EXPECT_EQ(blind.outcome, V::Refuse);
  EXPECT_EQ(blind.detail.substr(0, 37), "36 partitions match, the limit is 12 ");
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Verdict v = g.check_bind(*deferred, row.params, row.formats, ctx("analyst"));
    EXPECT_EQ(v.outcome, row.outcome) << v.detail;
    if (row.detail) {
      EXPECT_EQ(v.detail.substr(0, std::string(row.detail).size()), row.detail);
    }
  }
  // Exempt at Bind time even though the statement was deferred.
  EXPECT_EQ(g.check_bind(*deferred, {{"2024"}, {"1"}, {"12"}}, {}, ctx("etl")).outcome, V::Pass);

  // A statement whose verdict does not need values is decided at Parse.
  std::shared_ptr<const PreparedCheck> none;
  EXPECT_EQ(parse(g, "SELECT amount FROM spectrum_schema.sales WHERE year >= $1", ctx("analyst"), &none).outcome,
            V::Refuse);
  EXPECT_EQ(none, nullptr);
  EXPECT_EQ(parse(g, "SELECT amount FROM spectrum_schema.sales WHERE year = 2024 AND month = 1", ctx("analyst"),
                          &none).outcome,
            V::Pass);
  EXPECT_EQ(none, nullptr);
}

// year = ANY($1) AND month = ANY($2): bounded at Parse (an array is a finite set), the
// count deferred to Bind, where the arrays arrive as text literals or in binary.
TEST(Governor, AnyArrayParametersAreCountedAtBind) {
  Harness h;
  auto& g = *h.governor;
  const char* sql = "SELECT amount FROM spectrum_schema.sales WHERE year = ANY($1) AND month = ANY($2::int[])";
  std::shared_ptr<const PreparedCheck> deferred;
  EXPECT_EQ(parse(g, sql, ctx("analyst"), &deferred, {1007, 1007}).outcome, V::Pass);  // int4[] x 2
  ASSERT_NE(deferred, nullptr);

  auto be = [](uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
    return s;
  };
  auto int4_array = [&](std::vector<uint32_t> values) {
    std::string out = be(1) + be(0) + be(23) + be(static_cast<uint32_t>(values.size())) + be(1);
    for (uint32_t v : values) out += be(4) + be(v);
    return out;
  };
  struct BindRow {
    const char* name;
    std::vector<std::optional<std::string>> params;
    std::vector<int16_t> formats;
    V outcome;
    const char* detail;  // a prefix, when given
  };
  const BindRow rows[] = {
      {"one quarter", {"{2024}", "{1,2,3}"}, {}, V::Pass, nullptr},
      {"two years of seven months", {"{2023,2024}", "{1,2,3,4,5,6,7}"}, {}, V::Refuse,
       "14 partitions match, the limit is 12 (filter found: year IN (2023, 2024), month IN (1, 2, 3, 4, 5, 6, 7))"},
      {"quoted elements and NULLs", {"{\"2024\", NULL}", "{01,\"02\"}"}, {}, V::Pass, nullptr},
      {"binary: a whole year", {int4_array({2024}), int4_array({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})}, {1}, V::Pass,
       nullptr},
      {"binary: three years of a month", {int4_array({2022, 2023, 2024}), int4_array({1})}, {1}, V::Pass, nullptr},
      {"binary: thirteen", {int4_array({2023, 2024}), int4_array({12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})}, {1},
       V::Refuse, "24 partitions match, the limit is 12"},
      {"a NULL array matches nothing", {std::nullopt, "{1}"}, {}, V::Pass, nullptr},
      {"an empty array matches nothing", {"{}", "{1,2,3,4,5,6,7,8,9,10,11,12}"}, {}, V::Pass, nullptr},
      {"an unreadable array may match every year", {"{2024", "{1,2,3,4,5,6,7,8,9,10,11,12}"}, {}, V::Refuse,
       "36 partitions match, the limit is 12 (filter found: year = ANY($1), month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "
       "11, 12))"},
      {"a scalar where an array belongs is unreadable", {"2024", "{1}"}, {}, V::Pass, nullptr},  // 3 <= 12
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Verdict v = g.check_bind(*deferred, row.params, row.formats, ctx("analyst"));
    EXPECT_EQ(v.outcome, row.outcome) << v.detail;
    if (row.detail) {
      EXPECT_EQ(v.detail.substr(0, std::string(row.detail).size()), row.detail) << v.detail;
    }
  }

  // Decided at Parse, no Bind needed: a column left open, or bounded only by <> ALL.
  std::shared_ptr<const PreparedCheck> none;
  const Verdict open = parse(g, "SELECT amount FROM spectrum_schema.sales WHERE year = ANY($1)", ctx("analyst"), &none);
  EXPECT_EQ(open.outcome, V::Refuse);
  EXPECT_EQ(open.detail, "year is bounded (year = ANY($1)), month is not");
  EXPECT_EQ(none, nullptr);
  const Verdict all = parse(g, "SELECT amount FROM spectrum_schema.sales WHERE year <> ALL($1) AND month = ANY($2)",
                                    ctx("analyst"), &none);
  EXPECT_EQ(all.outcome, V::Refuse);
  EXPECT_EQ(all.detail.substr(0, 20), "year is not bounded,");
  // SQL PREPARE has no Bind: the arrays' values are unknown and match every partition.
  EXPECT_EQ(g.check_query("PREPARE q(int[], int[]) AS SELECT amount FROM spectrum_schema.sales WHERE year = ANY($1) "
                          "AND month = ANY($2)",
                          ctx("analyst")).verdict
                .outcome,
            V::Refuse);
  // Constant arrays are counted at once.
  EXPECT_EQ(g.check_query("SELECT amount FROM spectrum_schema.sales WHERE year = ANY('{2023,2024}') AND month = "
                          "ANY(ARRAY[1, 2, 3])",
                          ctx("analyst")).verdict
                .outcome,
            V::Pass);
  const Verdict wide = g.check_query(
      "SELECT amount FROM spectrum_schema.sales WHERE year = ANY('{2022,2023,2024}'::int[]) AND month = ANY(ARRAY[1, 2, "
      "3, 4, 5])",
      ctx("analyst")).verdict;
  EXPECT_EQ(wide.outcome, V::Refuse);
  EXPECT_EQ(wide.detail.substr(0, 37), "15 partitions match, the limit is 12 ");
}

// An OR of (year, month) pairs counts the pairs, not every year with every month.
TEST(Governor, OrOfPartitionPairsCountsThePairs) {
  Harness h("catalog_tables: true\nrules: [{name: f, type: require_partition_filter}, {name: m, type: max_partitions, max: 2}]");
  auto& g = *h.governor;
  struct PairRow {
    const char* name;
    const char* where;
    V outcome;
    const char* detail;  // exact, when given
  };
  const PairRow rows[] = {
      {"two pairs", "(year = 2024 AND month = 1) OR (year = 2023 AND month = 12)", V::Pass, nullptr},
      {"two pairs as a row IN list", "(year, month) IN ((2024, 1), (2023, 12))", V::Pass, nullptr},
      {"three pairs", "(year = 2024 AND month = 1) OR (year = 2023 AND month = 12) OR (year = 2022 AND month = 6)",
       V::Refuse,
       "3 partitions match, the limit is 2 (filter found: year = 2024 OR year = 2023 OR year = 2022, month = 1 OR "
       "month = 12 OR month = 6; in combination: (year = 2024 AND month = 1) OR (year = 2023 AND month = 12) OR (year "
       "= 2022 AND month = 6))"},
      {"a pair and a whole year", "(year = 2024 AND month = 1) OR (year = 2023 AND month BETWEEN 1 AND 12)", V::Refuse,
       "13 partitions match, the limit is 2 (filter found: year = 2024 OR year = 2023, month = 1 OR month BETWEEN 1 AND "
       "12; in combination: (year = 2024 AND month = 1) OR (year = 2023 AND month BETWEEN 1 AND 12))"},
      {"one branch leaves year open: the filter rule refuses, with the right count",
       "(year = 2024 AND month = 1) OR month = 2", V::Refuse,
       "year is not bounded, month is bounded (month = 1 OR month = 2); 4 partitions match\nalso: blueshift: query on "
       "spectrum_schema.sales refused by rule \"m\" (max_partitions): 4 partitions match, the limit is 2 (filter "
       "found: month = 1 OR month = 2; in combination: (year = 2024 AND month = 1) OR month = 2)"},
      {"pairs with another conjunct", "((year = 2024 AND month = 1) OR (year = 2023 AND month = 12)) AND amount > 0",
       V::Pass, nullptr},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Verdict v = g.check_query(std::string("SELECT amount FROM spectrum_schema.sales WHERE ") + row.where, ctx("analyst")).verdict;
    EXPECT_EQ(v.outcome, row.outcome) << v.detail;
    if (row.detail) {
      EXPECT_EQ(v.detail, row.detail);
    }
  }
  // With $n: deferred at Parse, counted at Bind.
  std::shared_ptr<const PreparedCheck> deferred;
  const char* sql = "SELECT amount FROM spectrum_schema.sales WHERE (year = $1 AND month = $2) OR (year = $3 AND month = $4)";
  EXPECT_EQ(parse(g, sql, ctx("analyst"), &deferred).outcome, V::Pass);
  ASSERT_NE(deferred, nullptr);
  EXPECT_EQ(g.check_bind(*deferred, {{"2024"}, {"1"}, {"2023"}, {"12"}}, {}, ctx("analyst")).outcome, V::Pass);
  EXPECT_EQ(g.check_bind(*deferred, {{"2024"}, {"1"}, {"2024"}, {"1"}}, {}, ctx("analyst")).outcome, V::Pass);
}

TEST(Governor, ReloadSwapsPoliciesAndKeepsTheOldOnError) {
  Harness h;
  auto& g = *h.governor;
  const char* sql = "SELECT sale_id FROM spectrum_schema.sales";
  EXPECT_EQ(g.check_query(sql, ctx("analyst")).verdict.outcome, V::Refuse);

  std::string error;
  EXPECT_FALSE(g.reload(YAML::Load("rules: [{name: x, type: require_partition_filter, mode: sometimes}]"), &error));
  EXPECT_NE(error.find("policies.rules[0].mode"), std::string::npos) << error;
  EXPECT_EQ(g.check_query(sql, ctx("analyst")).verdict.outcome, V::Refuse);

  EXPECT_TRUE(g.reload(YAML::Load("catalog_tables: true\nrules: [{name: f, type: require_partition_filter, mode: warn}]"),
                       &error));
  const Verdict v = g.check_query(sql, ctx("analyst")).verdict;
  EXPECT_EQ(v.outcome, V::Notice);
  EXPECT_EQ(v.message, "blueshift: query on spectrum_schema.sales breaks rule \"f\" (require_partition_filter)");

  EXPECT_TRUE(g.reload(YAML::Node(), &error));  // no policies: nothing governed
  EXPECT_EQ(g.check_query(sql, ctx("analyst")).verdict.outcome, V::Pass);
}

TEST(Governor, CatalogRefreshChangesCounts) {
  Harness h;
  auto& g = *h.governor;
  const char* sql = "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024";
  EXPECT_EQ(g.check_query(sql, ctx("analyst")).verdict.detail, "year is bounded (year = 2024), month is not; 12 partitions match");
  // A month of 2025 appears... in 2024's place: drop half of 2024's partitions.
  auto& parts = h.catalog.external["spectrum_schema.sales"].partitions;
  parts.erase(std::remove_if(parts.begin(), parts.end(),
                             [](const auto& p) { return p[0] == "2024" && std::stoi(p[1]) > 6; }),
              parts.end());
  std::string error;
  ASSERT_TRUE(g.refresh_catalog(&error)) << error;
  EXPECT_EQ(g.check_query(sql, ctx("analyst")).verdict.detail, "year is bounded (year = 2024), month is not; 6 partitions match");
  // A failed refresh keeps the last good catalog.
  h.catalog_fails = true;
  EXPECT_FALSE(g.refresh_catalog(&error));
  EXPECT_EQ(error, "warehouse down");
  EXPECT_EQ(g.check_query(sql, ctx("analyst")).verdict.detail, "year is bounded (year = 2024), month is not; 6 partitions match");
}

TEST(Governor, WithoutCatalogUsesDeclaredTables) {
  Harness h("tables: [{name: spectrum_schema.sales, partition_columns: [year, month]}]\n"
            "rules: [{name: f, type: require_partition_filter}, {name: m, type: max_partitions, max: 3}]");
  // No catalog configured: declared tables are still governed, partitions unknown (a
  // catalog that failed to load is another matter: governor_fail_closed_test.cc).
  h.options.load_catalog = nullptr;
  h.options.load_user_groups = nullptr;
  h.governor = Governor::create(YAML::Load("tables: [{name: spectrum_schema.sales, partition_columns: [year, month]}]\n"
                                           "rules: [{name: f, type: require_partition_filter}, "
                                           "{name: m, type: max_partitions, max: 3}]"),
                                h.options);
  auto& g = *h.governor;
  const Verdict v = g.check_query("SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024", ctx("anyone")).verdict;
  EXPECT_EQ(v.outcome, V::Refuse);
  EXPECT_EQ(v.detail, "year is bounded (year = 2024), month is not");
  // Bounded, but max_partitions cannot count: audited with a note, not refused.
  const auto before = g.counters().audited;
  EXPECT_EQ(g.check_query("SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1", ctx("anyone")).verdict.outcome,
            V::Pass);
  EXPECT_EQ(g.counters().audited, before + 1);
  const auto lines = h.audit.lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["outcome"], "audited");
  EXPECT_EQ(lines.back()["findings"][0]["note"], true);
}

TEST(Governor, ConcurrentChecksAndReloads) {
  Harness h;
  auto& g = *h.governor;
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const std::string sql = "SELECT sale_id FROM spectrum_schema.sales WHERE year = " + std::to_string(2000 + i % 50) +
                                (t % 2 ? " AND month = 1" : "");
        const Verdict v = g.check_query(sql, ctx("analyst")).verdict;
        // Both policy versions refuse the year-only query and pass the full filter.
        if ((t % 2 == 0) != (v.outcome != V::Pass)) ++wrong;
      }
    });
  }
  std::thread reloader([&] {
    std::string error;
    for (int i = 0; !stop; ++i) {
      (void)g.reload(YAML::Load(i % 2 ? kDemoPolicies
                                      : "catalog_tables: true\nrules: [{name: f, type: require_partition_filter}]"),
                     &error);
      (void)g.refresh_catalog(&error);
    }
  });
  for (auto& th : threads) th.join();
  stop = true;
  reloader.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(g.counters().checked, 1200u);
}

TEST(Governor, InvalidPoliciesThrowAtCreate) {
  EXPECT_THROW(Governor::validate(YAML::Load("rules: [{type: nope}]")), std::runtime_error);
  EXPECT_NO_THROW(Governor::validate(YAML::Load(kDemoPolicies)));
  GovernorOptions options;
  options.audit_path = "/nonexistent-dir/audit.jsonl";
  EXPECT_THROW(Governor::create(YAML::Load(kDemoPolicies), options), std::runtime_error);
}

}  // namespace
}  // namespace blueshift::policies
