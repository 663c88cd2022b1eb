// The table of statement kinds (rewrite/statement_kinds.h) against what the two switches
// it replaced gave: the walker's kind and handling per node type, and utility_facts'
// "acts on no schema object" / "modelled" / default (targets unknown). Written out here
// from those switches, so that a dropped or changed row fails.
#include "rewrite/statement_kinds.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "rewrite/analyzer.h"

namespace blueshift::rewrite {
namespace {

// tag, kind, walk, objects: as query_walker.cc's and utility_facts.cc's switches had them
// before the table (commit fc61b58).
const std::vector<StatementType> kFromOldSwitches = {
    {PG_QUERY__NODE__NODE_SELECT_STMT, StatementKind::Select, Walk::Query, Objects::None},
    {PG_QUERY__NODE__NODE_INSERT_STMT, StatementKind::Insert, Walk::Query, Objects::None},
    {PG_QUERY__NODE__NODE_UPDATE_STMT, StatementKind::Update, Walk::Query, Objects::None},
    {PG_QUERY__NODE__NODE_DELETE_STMT, StatementKind::Delete, Walk::Query, Objects::None},
    {PG_QUERY__NODE__NODE_MERGE_STMT, StatementKind::Merge, Walk::Query, Objects::None},
    {PG_QUERY__NODE__NODE_COPY_STMT, StatementKind::Copy, Walk::Own, Objects::None},
    {PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT, StatementKind::CreateTableAs, Walk::Own, Objects::None},
    {PG_QUERY__NODE__NODE_CREATE_STMT, StatementKind::CreateTable, Walk::Own, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT, StatementKind::CreateExternal, Walk::Own, Objects::Own},
    {PG_QUERY__NODE__NODE_VIEW_STMT, StatementKind::OtherDdl, Walk::Own, Objects::None},
    {PG_QUERY__NODE__NODE_EXPLAIN_STMT, StatementKind::Explain, Walk::Own, Objects::None},
    {PG_QUERY__NODE__NODE_DROP_STMT, StatementKind::Drop, Walk::Own, Objects::Own},
    {PG_QUERY__NODE__NODE_DROP_OWNED_STMT, StatementKind::Drop, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_DROPDB_STMT, StatementKind::Drop, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_DROP_ROLE_STMT, StatementKind::Drop, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT, StatementKind::Drop, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_DROP_USER_MAPPING_STMT, StatementKind::Drop, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT, StatementKind::Drop, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_TRUNCATE_STMT, StatementKind::Truncate, Walk::Own, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_TABLE_STMT, StatementKind::Alter, Walk::Own, Objects::Own},
    {PG_QUERY__NODE__NODE_RENAME_STMT, StatementKind::Alter, Walk::Own, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT, StatementKind::Alter, Walk::Own, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_DEFAULT_PRIVILEGES_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_FUNCTION_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_SEQ_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_ROLE_STMT, StatementKind::Alter, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT, StatementKind::Alter, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_ALTER_DATABASE_REFRESH_COLL_STMT, StatementKind::Alter, Walk::None, Objects::None},
    // SET search_path in them acts on any schema (utility_facts): since issue 10.
    {PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_OP_FAMILY_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_OBJECT_DEPENDS_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_OWNER_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_OPERATOR_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_TYPE_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_ENUM_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_TSDICTIONARY_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_TSCONFIGURATION_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_FDW_STMT, StatementKind::Alter, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_ALTER_FOREIGN_SERVER_STMT, StatementKind::Alter, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_ALTER_USER_MAPPING_STMT, StatementKind::Alter, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_ALTER_TABLE_SPACE_OPTIONS_STMT, StatementKind::Alter, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_ALTER_TABLE_MOVE_ALL_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_EXTENSION_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_EXTENSION_CONTENTS_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_EVENT_TRIG_STMT, StatementKind::Alter, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT, StatementKind::Alter, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_ALTER_POLICY_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_PUBLICATION_STMT, StatementKind::Alter, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_ALTER_SUBSCRIPTION_STMT, StatementKind::Alter, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_ALTER_COLLATION_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_ALTER_STATS_STMT, StatementKind::Alter, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_VARIABLE_SET_STMT, StatementKind::Set, Walk::Own, Objects::None},
    {PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT, StatementKind::Show, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_TRANSACTION_STMT, StatementKind::Transaction, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_PREPARE_STMT, StatementKind::Utility, Walk::Own, Objects::None},
    {PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT, StatementKind::Utility, Walk::Own, Objects::None},
    {PG_QUERY__NODE__NODE_DISCARD_STMT, StatementKind::Utility, Walk::Own, Objects::None},
    {PG_QUERY__NODE__NODE_EXECUTE_STMT, StatementKind::Utility, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_DEALLOCATE_STMT, StatementKind::Utility, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_VACUUM_STMT, StatementKind::Utility, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_LOCK_STMT, StatementKind::Utility, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_LISTEN_STMT, StatementKind::Utility, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_UNLISTEN_STMT, StatementKind::Utility, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_NOTIFY_STMT, StatementKind::Utility, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_FETCH_STMT, StatementKind::Utility, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT, StatementKind::Utility, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_CALL_STMT, StatementKind::Utility, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_CHECK_POINT_STMT, StatementKind::Utility, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_CLUSTER_STMT, StatementKind::Utility, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_LOAD_STMT, StatementKind::Utility, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_DO_STMT, StatementKind::Utility, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_REINDEX_STMT, StatementKind::Utility, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_CONSTRAINTS_SET_STMT, StatementKind::Utility, Walk::None, Objects::None},
    {PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT, StatementKind::Utility, Walk::None, Objects::Own},
    {PG_QUERY__NODE__NODE_GRANT_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_GRANT_ROLE_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_COMMENT_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_INDEX_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_RULE_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATEDB_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_CREATE_SEQ_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_TRIG_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_PLANG_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_CREATE_ROLE_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_DEFINE_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_CONVERSION_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_CAST_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_CREATE_OP_CLASS_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_OP_FAMILY_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_REASSIGN_OWNED_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_ENUM_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_RANGE_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_FDW_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_CREATE_FOREIGN_SERVER_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_CREATE_USER_MAPPING_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_SEC_LABEL_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_IMPORT_FOREIGN_SCHEMA_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_EVENT_TRIG_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_REPLICA_IDENTITY_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Unknown},
    {PG_QUERY__NODE__NODE_CREATE_POLICY_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_TRANSFORM_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_CREATE_AM_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::None},
    {PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
    {PG_QUERY__NODE__NODE_CREATE_STATS_STMT, StatementKind::OtherDdl, Walk::Nested, Objects::Own},
};

TEST(StatementKinds, EveryRowOfTheOldSwitchesIsInTheTable) {
  for (const auto& want : kFromOldSwitches) {
    const StatementType* got = statement_type(want.tag);
    ASSERT_NE(got, nullptr) << "node tag " << want.tag << " dropped from the table";
    EXPECT_EQ(got->kind, want.kind) << "node tag " << want.tag << ": " << to_string(got->kind) << " instead of "
                                    << to_string(want.kind);
    EXPECT_EQ(got->walk, want.walk) << "node tag " << want.tag;
    EXPECT_EQ(got->objects, want.objects) << "node tag " << want.tag;
  }
}

TEST(StatementKinds, TheTableListsNothingElseAndNoTagTwice) {
  std::set<int> known;
  for (const auto& want : kFromOldSwitches) known.insert(want.tag);
  std::set<int> seen;
  for (const auto& row : statement_types()) {
    EXPECT_TRUE(known.count(row.tag)) << "node tag " << row.tag << " is new: add it to this test";
    EXPECT_TRUE(seen.insert(row.tag).second) << "node tag " << row.tag << " listed twice";
  }
  EXPECT_EQ(statement_types().size(), kFromOldSwitches.size());
}

TEST(StatementKinds, UnlistedNodeTypesHaveNoRow) {
  EXPECT_EQ(statement_type(PG_QUERY__NODE__NODE_A_CONST), nullptr);
  EXPECT_EQ(statement_type(PG_QUERY__NODE__NODE__NOT_SET), nullptr);
  EXPECT_EQ(statement_type(static_cast<PgQuery__Node__NodeCase>(100000)), nullptr);
}

// Through analyze(): the table's kind reaches the facts, also where the walker reads an
// inner statement (EXPLAIN, PREPARE) or a data statement turns out to create a table.
TEST(StatementKinds, AnalysisReportsTheTablesKind) {
  const struct {
    const char* sql;
    StatementKind kind;
  } rows[] = {
      {"SELECT 1", StatementKind::Select},
      {"SELECT 1 INTO t", StatementKind::CreateTableAs},
      {"EXPLAIN SELECT * FROM t", StatementKind::Explain},
      {"PREPARE p AS SELECT * FROM t", StatementKind::Utility},
      {"SHOW search_path", StatementKind::Show},
      {"ALTER ROLE bob SET search_path = x", StatementKind::Alter},
      {"CREATE ROLE bob", StatementKind::OtherDdl},
      {"DROP OWNED BY bob", StatementKind::Drop},
      {"CHECKPOINT", StatementKind::Utility},
      {"COPY t TO STDOUT", StatementKind::Copy},
      {"BEGIN", StatementKind::Transaction},
  };
  AnalysisContext ctx;
  for (const auto& row : rows) {
    const QueryFacts facts = analyze(row.sql, ctx);
    ASSERT_EQ(facts.statements.size(), 1u) << row.sql;
    EXPECT_EQ(facts.statements[0].kind, row.kind) << row.sql << ": " << to_string(facts.statements[0].kind);
  }
}

}  // namespace
}  // namespace blueshift::rewrite
