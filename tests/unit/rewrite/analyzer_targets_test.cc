// What DDL and utility statements act on, by schema (objects, "any schema", "targets
// unknown"), and code inside statements that analysis does not read (DO blocks, function
// bodies). Same one-line rendering as analyzer_test.cc; search_path is analyst, public
// over the test catalog, so unqualified names that the catalog does not list show one
// object per schema.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "rewrite/analyzer.h"
#include "rewrite/facts_text.h"
#include "test_catalog.h"

namespace blueshift::rewrite {
namespace {

using Row = testing::AnalysisRow;

AnalysisContext context() { return testing::catalog_context({"analyst", "public"}); }

const Row kTargetRows[] = {
    // Acting on no schema object at all.
    {"alter_user_password", "ALTER USER analyst PASSWORD 'secret'", "Alter"},
    {"alter_role_set", "ALTER ROLE analyst SET search_path TO prod", "Alter: any schema"},  // for later sessions
    {"alter_role_set_other", "ALTER ROLE analyst SET statement_timeout = 0", "Alter"},
    {"alter_database_reset_all", "ALTER DATABASE dev RESET ALL", "Alter: any schema"},
    {"create_role", "CREATE ROLE reporting", "OtherDdl"},
    {"grant_role", "GRANT analysts TO bob", "OtherDdl"},
    {"create_database", "CREATE DATABASE d2", "OtherDdl"},
    {"drop_database_is_a_drop", "DROP DATABASE d2", "Drop"},
    {"drop_role_is_a_drop", "DROP ROLE reporting", "Drop"},
    {"set", "SET statement_timeout = 0", "Set"},
    {"show_all", "SHOW ALL", "Show"},
    {"select_constant", "SELECT 1", "Select"},
    {"listen", "LISTEN ch", "Utility"},
    {"drop_cast", "DROP CAST (int AS text)", "Drop"},
    // Schemas themselves.
    {"create_schema", "CREATE SCHEMA scratch", "OtherDdl: object schema scratch"},
    {"create_schema_authorization", "CREATE SCHEMA AUTHORIZATION bob", "OtherDdl: object schema bob"},
    {"create_schema_current_user", "CREATE SCHEMA AUTHORIZATION CURRENT_USER", "OtherDdl: targets unknown"},
    {"drop_schemas", "DROP SCHEMA IF EXISTS a, b", "Drop: object schema a; object schema b"},
    {"drop_schema_cascade", "DROP SCHEMA prod CASCADE", "Drop: object schema prod; any schema"},
    {"rename_schema", "ALTER SCHEMA prod RENAME TO old_prod", "Alter: object schema prod; object schema old_prod"},
    {"schema_owner", "ALTER SCHEMA prod OWNER TO bob", "Alter: object schema prod"},
    {"grant_on_schema", "GRANT USAGE ON SCHEMA prod TO bob", "OtherDdl: object schema prod"},
    {"grant_all_in_schema", "GRANT SELECT ON ALL TABLES IN SCHEMA prod TO bob", "OtherDdl: object schema prod"},
    {"comment_on_schema", "COMMENT ON SCHEMA prod IS 'x'", "OtherDdl: object schema prod"},
    {"default_privileges_in_schema", "ALTER DEFAULT PRIVILEGES IN SCHEMA prod GRANT SELECT ON TABLES TO bob",
     "Alter: object schema prod"},
    {"default_privileges_everywhere", "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO bob", "Alter: any schema"},
    {"reindex_schema", "REINDEX SCHEMA prod", "Utility: object schema prod"},
    {"create_extension_in_schema", "CREATE EXTENSION hstore SCHEMA prod", "OtherDdl: object schema prod"},
    {"create_extension_default_schema", "CREATE EXTENSION hstore", "OtherDdl: any schema"},
    {"import_foreign_schema", "IMPORT FOREIGN SCHEMA remote FROM SERVER s INTO prod", "OtherDdl: object schema prod"},
    // Objects in schemas.
    {"function_qualified", "ALTER FUNCTION prod.f() SECURITY DEFINER", "Alter: object function prod.f"},
    {"function_owner", "ALTER FUNCTION prod.f() OWNER TO bob", "Alter: object function prod.f"},
    {"function_unqualified", "DROP FUNCTION f(int)", "Drop: object function analyst.f; object function public.f"},
    {"grant_execute", "GRANT EXECUTE ON FUNCTION prod.f() TO bob", "OtherDdl: object function prod.f"},
    {"type_unqualified", "CREATE TYPE mood AS ENUM ('a')", "OtherDdl: object type analyst.mood; object type public.mood"},
    {"type_set_schema", "ALTER TYPE t SET SCHEMA prod",
     "Alter: object type analyst.t; object type public.t; object schema prod"},
    {"table_set_schema", "ALTER TABLE scratch.t SET SCHEMA prod", "Alter: write scratch.t; object schema prod"},
    {"index_unqualified", "DROP INDEX i", "Drop: object index analyst.i; object index public.i"},
    {"index_qualified", "DROP INDEX prod.i", "Drop: object index prod.i"},
    {"index_on_a_catalog_table", "CREATE INDEX ON sales_fact (amount)", "OtherDdl: object index public.sales_fact"},
    {"index_rename", "ALTER INDEX prod.i RENAME TO j", "Alter: write prod.i; object index prod.i"},
    {"sequence", "CREATE SEQUENCE s", "OtherDdl: object sequence analyst.s; object sequence public.s"},
    {"operator_class", "DROP OPERATOR CLASS prod.oc USING btree", "Drop: object operator class prod.oc"},
    {"domain_constraint_comment", "COMMENT ON CONSTRAINT c ON DOMAIN prod.d IS 'x'", "OtherDdl: object domain prod.d"},
    {"column_comment_is_its_table", "COMMENT ON COLUMN prod.t.c IS 'x'", "OtherDdl: object table prod.t"},
    {"trigger_is_its_table", "DROP TRIGGER tr ON prod.t", "Drop: object table prod.t"},
    {"create_trigger", "CREATE TRIGGER tr AFTER INSERT ON prod.t FOR EACH ROW EXECUTE FUNCTION f()",
     "OtherDdl: object table prod.t"},
    {"create_policy", "CREATE POLICY p ON prod.t USING (true)", "OtherDdl: object table prod.t"},
    {"security_label", "SECURITY LABEL ON TABLE prod.t IS 'x'", "OtherDdl: object table prod.t"},
    {"lock", "LOCK TABLE prod.t", "Utility: object table prod.t"},
    {"refresh_materialized_view", "REFRESH MATERIALIZED VIEW prod.mv", "Utility: object materialized view prod.mv"},
    {"call_qualified", "CALL prod.p()", "Utility: object procedure prod.p"},
    {"inherit_changes_the_parent", "ALTER TABLE scratch.c INHERIT prod.parent",
     "Alter: write scratch.c; object table prod.parent"},
    {"partition_of_changes_the_parent", "CREATE TABLE scratch.p PARTITION OF prod.t FOR VALUES IN (1)",
     "CreateTable: write scratch.p; object table prod.t"},
    // Every schema.
    {"drop_owned", "DROP OWNED BY analyst", "Drop: any schema"},
    {"reassign_owned", "REASSIGN OWNED BY analyst TO bob", "OtherDdl: any schema"},
    {"vacuum_everything", "VACUUM", "Utility: any schema"},
    {"analyze_everything", "ANALYZE", "Utility: any schema"},
    {"truncate_cascade", "TRUNCATE prod.t CASCADE", "Truncate: write prod.t; any schema"},
    {"drop_column_cascade", "ALTER TABLE prod.t DROP COLUMN c CASCADE", "Alter: write prod.t; any schema"},
    {"drop_extension", "DROP EXTENSION hstore", "Drop: any schema"},
    {"alter_extension_update", "ALTER EXTENSION hstore UPDATE", "Alter: any schema"},
    // Redshift forms PostgreSQL rejects.
    {"redshift_vacuum_everything", "VACUUM SORT ONLY TO 75 PERCENT", "Utility: any schema"},
    {"redshift_vacuum_table", "VACUUM REINDEX prod.t", "Utility: object table prod.t"},
    {"redshift_external_schema", "CREATE EXTERNAL SCHEMA IF NOT EXISTS ext FROM DATA CATALOG DATABASE 'db' IAM_ROLE 'r'",
     "CreateExternal: object schema ext"},
    {"redshift_grant_to_role", "GRANT USAGE ON SCHEMA prod TO ROLE r", "OtherDdl: targets unknown"},
    // Code analysis does not read.
    {"do_block", "DO $$ BEGIN DELETE FROM prod.t; END $$", "Utility: opaque"},
    {"do_block_execute", "DO $$ BEGIN EXECUTE 'DELETE FROM ' || 'prod.t'; END $$", "Utility: opaque dynamic"},
    {"do_block_other_language", "DO LANGUAGE plperl $$ spi_exec_query('select 1') $$", "Utility: opaque dynamic"},
    {"sql_function_string_body", "CREATE FUNCTION prod.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
     "OtherDdl: object function prod.f; opaque"},
    {"plpgsql_procedure", "CREATE OR REPLACE PROCEDURE prod.p() AS $$ BEGIN INSERT INTO prod.t SELECT 1; END; $$ "
     "LANGUAGE plpgsql",
     "OtherDdl: object procedure prod.p; opaque"},
    {"sql_standard_body_is_analysed",
     "CREATE FUNCTION prod.n() RETURNS bigint LANGUAGE sql RETURN (SELECT count(*) FROM spectrum_schema.sales WHERE "
     "year = 2024)",
     "OtherDdl: read spectrum_schema.sales WHERE year = 2024; object function prod.n"},
    {"python_udf_is_not_read", "CREATE FUNCTION prod.f(x int) RETURNS int IMMUTABLE AS $$ return x $$ LANGUAGE plpythonu",
     "OtherDdl: object function prod.f"},
};

class TargetRows : public ::testing::TestWithParam<Row> {};
TEST_P(TargetRows, Facts) {
  const auto& row = GetParam();
  EXPECT_EQ(describe(analyze(row.sql, context())), row.expected) << "SQL: " << row.sql;
}
INSTANTIATE_TEST_SUITE_P(Analyzer, TargetRows, ::testing::ValuesIn(kTargetRows),
                         [](const ::testing::TestParamInfo<Row>& i) { return std::string(i.param.name); });

// ---- the names policies fail closed on ---------------------------------------------
struct NamesRow {
  const char* name;
  const char* sql;
  std::vector<std::string> included;
  std::vector<std::string> excluded;
};

void PrintTo(const NamesRow& row, std::ostream* os) { *os << row.name << ": " << row.sql; }

const NamesRow kNamesRows[] = {
    {"do_body", "DO $$ BEGIN PERFORM count(*) FROM spectrum_schema.sales; END $$",
     {"spectrum_schema.sales", "sales", "spectrum_schema"}, {"analyst", "public"}},
    {"do_body_string_literal", "DO $$ BEGIN PERFORM dblink('db', 'select * from Sales'); END $$", {"sales"}, {}},
    {"do_body_quoted_dollar_tag", "DO $body$ BEGIN DELETE FROM \"Prod\".t; END $body$", {"prod", "prod.t"}, {}},
    {"function_body", "CREATE FUNCTION f() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM spectrum_schema.sales'",
     {"spectrum_schema.sales"}, {}},
    {"unknown_targets_add_the_search_path", "GRANT SELECT ON t TO ROLE r", {"t", "analyst", "public"}, {}},
    {"known_targets_have_no_names", "DROP SCHEMA prod", {}, {"prod"}},
};

class NamesRows : public ::testing::TestWithParam<NamesRow> {};
TEST_P(NamesRows, Names) {
  const auto& row = GetParam();
  const QueryFacts f = analyze(row.sql, context());
  ASSERT_EQ(f.statements.size(), 1u) << describe(f);
  const auto& names = f.statements[0].names;
  for (const auto& n : row.included) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << "missing " << n;
  }
  for (const auto& n : row.excluded) {
    EXPECT_EQ(std::find(names.begin(), names.end(), n), names.end()) << "unexpected " << n;
  }
}
INSTANTIATE_TEST_SUITE_P(Analyzer, NamesRows, ::testing::ValuesIn(kNamesRows),
                         [](const ::testing::TestParamInfo<NamesRow>& i) { return std::string(i.param.name); });

TEST(AnalyzerOpaque, SaysWhyDynamicCodeCannotBeChecked) {
  const QueryFacts f = analyze("DO $$ BEGIN EXECUTE 'SELECT 1'; END $$", context());
  ASSERT_EQ(f.statements.size(), 1u);
  EXPECT_EQ(f.statements[0].opaque, "the body of a DO block");
  EXPECT_EQ(f.statements[0].opaque_dynamic, "EXECUTE runs SQL built at run time");
  const QueryFacts g = analyze("CREATE PROCEDURE prod.p() LANGUAGE plpgsql AS $$ BEGIN NULL; END $$", context());
  ASSERT_EQ(g.statements.size(), 1u);
  EXPECT_EQ(g.statements[0].opaque, "the body of procedure prod.p");
  EXPECT_EQ(g.statements[0].opaque_dynamic, "");
}

}  // namespace
}  // namespace blueshift::rewrite
