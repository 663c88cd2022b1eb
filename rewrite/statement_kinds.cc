#include "rewrite/statement_kinds.h"

#include <algorithm>
#include <array>

namespace blueshift::rewrite {
namespace {

#define ROW(tag, kind, walk, objects) \
  StatementType { PG_QUERY__NODE__NODE_##tag, StatementKind::kind, Walk::walk, Objects::objects }

// Node type,                             kind,           walk,   objects
constexpr StatementType kTypes[] = {
    ROW(SELECT_STMT,                      Select,         Query,  None),
    ROW(INSERT_STMT,                      Insert,         Query,  None),
    ROW(UPDATE_STMT,                      Update,         Query,  None),
    ROW(DELETE_STMT,                      Delete,         Query,  None),
    ROW(MERGE_STMT,                       Merge,          Query,  None),
    ROW(COPY_STMT,                        Copy,           Own,    None),
    ROW(CREATE_TABLE_AS_STMT,             CreateTableAs,  Own,    None),
    ROW(CREATE_STMT,                      CreateTable,    Own,    Own),
    ROW(CREATE_FOREIGN_TABLE_STMT,        CreateExternal, Own,    Own),
    ROW(VIEW_STMT,                        OtherDdl,       Own,    None),
    ROW(EXPLAIN_STMT,                     Explain,        Own,    None),
    ROW(DROP_STMT,                        Drop,           Own,    Own),
    ROW(DROP_OWNED_STMT,                  Drop,           None,   Own),
    ROW(DROPDB_STMT,                      Drop,           None,   None),
    ROW(DROP_ROLE_STMT,                   Drop,           None,   None),
    ROW(DROP_TABLE_SPACE_STMT,            Drop,           None,   None),
    ROW(DROP_USER_MAPPING_STMT,           Drop,           None,   None),
    ROW(DROP_SUBSCRIPTION_STMT,           Drop,           None,   None),
    ROW(TRUNCATE_STMT,                    Truncate,       Own,    Own),
    ROW(ALTER_TABLE_STMT,                 Alter,          Own,    Own),
    ROW(RENAME_STMT,                      Alter,          Own,    Own),
    ROW(ALTER_OBJECT_SCHEMA_STMT,         Alter,          Own,    Own),
    ROW(ALTER_DOMAIN_STMT,                Alter,          None,   Own),
    ROW(ALTER_DEFAULT_PRIVILEGES_STMT,    Alter,          None,   Own),
    ROW(ALTER_FUNCTION_STMT,              Alter,          None,   Own),
    ROW(ALTER_SEQ_STMT,                   Alter,          None,   Own),
    ROW(ALTER_ROLE_STMT,                  Alter,          None,   None),
    ROW(ALTER_DATABASE_STMT,              Alter,          None,   None),
    ROW(ALTER_DATABASE_REFRESH_COLL_STMT, Alter,          None,   None),
    ROW(ALTER_DATABASE_SET_STMT,          Alter,          None,   Own),
    ROW(ALTER_ROLE_SET_STMT,              Alter,          None,   Own),
    ROW(ALTER_OP_FAMILY_STMT,             Alter,          None,   Own),
    ROW(ALTER_OBJECT_DEPENDS_STMT,        Alter,          None,   Own),
    ROW(ALTER_OWNER_STMT,                 Alter,          None,   Own),
    ROW(ALTER_OPERATOR_STMT,              Alter,          None,   Own),
    ROW(ALTER_TYPE_STMT,                  Alter,          None,   Own),
    ROW(ALTER_ENUM_STMT,                  Alter,          None,   Own),
    ROW(ALTER_TSDICTIONARY_STMT,          Alter,          None,   Own),
    ROW(ALTER_TSCONFIGURATION_STMT,       Alter,          None,   Own),
    ROW(ALTER_FDW_STMT,                   Alter,          None,   None),
    ROW(ALTER_FOREIGN_SERVER_STMT,        Alter,          None,   None),
    ROW(ALTER_USER_MAPPING_STMT,          Alter,          None,   None),
    ROW(ALTER_TABLE_SPACE_OPTIONS_STMT,   Alter,          None,   None),
    ROW(ALTER_TABLE_MOVE_ALL_STMT,        Alter,          None,   Own),
    ROW(ALTER_EXTENSION_STMT,             Alter,          None,   Own),
    ROW(ALTER_EXTENSION_CONTENTS_STMT,    Alter,          None,   Own),
    ROW(ALTER_EVENT_TRIG_STMT,            Alter,          None,   None),
    ROW(ALTER_SYSTEM_STMT,                Alter,          None,   None),
    ROW(ALTER_POLICY_STMT,                Alter,          None,   Own),
    ROW(ALTER_PUBLICATION_STMT,           Alter,          None,   None),
    ROW(ALTER_SUBSCRIPTION_STMT,          Alter,          None,   None),
    ROW(ALTER_COLLATION_STMT,             Alter,          None,   Own),
    ROW(ALTER_STATS_STMT,                 Alter,          None,   Own),
    ROW(VARIABLE_SET_STMT,                Set,            Own,    None),
    ROW(VARIABLE_SHOW_STMT,               Show,           None,   None),
    ROW(TRANSACTION_STMT,                 Transaction,    None,   None),
    ROW(PREPARE_STMT,                     Utility,        Own,    None),
    ROW(DECLARE_CURSOR_STMT,              Utility,        Own,    None),
    ROW(DISCARD_STMT,                     Utility,        Own,    None),
    ROW(EXECUTE_STMT,                     Utility,        None,   None),
    ROW(DEALLOCATE_STMT,                  Utility,        None,   None),
    ROW(VACUUM_STMT,                      Utility,        None,   Own),
    ROW(LOCK_STMT,                        Utility,        None,   Own),
    ROW(LISTEN_STMT,                      Utility,        None,   None),
    ROW(UNLISTEN_STMT,                    Utility,        None,   None),
    ROW(NOTIFY_STMT,                      Utility,        None,   None),
    ROW(FETCH_STMT,                       Utility,        None,   None),
    ROW(CLOSE_PORTAL_STMT,                Utility,        None,   None),
    ROW(CALL_STMT,                        Utility,        None,   Own),
    ROW(CHECK_POINT_STMT,                 Utility,        None,   None),
    ROW(CLUSTER_STMT,                     Utility,        None,   Own),
    ROW(LOAD_STMT,                        Utility,        None,   None),
    ROW(DO_STMT,                          Utility,        None,   Own),
    ROW(REINDEX_STMT,                     Utility,        None,   Own),
    ROW(CONSTRAINTS_SET_STMT,             Utility,        None,   None),
    ROW(REFRESH_MAT_VIEW_STMT,            Utility,        None,   Own),
    ROW(GRANT_STMT,                       OtherDdl,       Nested, Own),
    ROW(GRANT_ROLE_STMT,                  OtherDdl,       Nested, None),
    ROW(COMMENT_STMT,                     OtherDdl,       Nested, Own),
    ROW(INDEX_STMT,                       OtherDdl,       Nested, Own),
    ROW(CREATE_FUNCTION_STMT,             OtherDdl,       Nested, Own),
    ROW(RULE_STMT,                        OtherDdl,       Nested, Own),
    ROW(CREATE_DOMAIN_STMT,               OtherDdl,       Nested, Own),
    ROW(CREATEDB_STMT,                    OtherDdl,       Nested, None),
    ROW(CREATE_SEQ_STMT,                  OtherDdl,       Nested, Own),
    ROW(CREATE_TRIG_STMT,                 OtherDdl,       Nested, Own),
    ROW(CREATE_PLANG_STMT,                OtherDdl,       Nested, None),
    ROW(CREATE_ROLE_STMT,                 OtherDdl,       Nested, None),
    ROW(CREATE_SCHEMA_STMT,               OtherDdl,       Nested, Own),
    ROW(DEFINE_STMT,                      OtherDdl,       Nested, Own),
    ROW(CREATE_CONVERSION_STMT,           OtherDdl,       Nested, Own),
    ROW(CREATE_CAST_STMT,                 OtherDdl,       Nested, None),
    ROW(CREATE_OP_CLASS_STMT,             OtherDdl,       Nested, Own),
    ROW(CREATE_OP_FAMILY_STMT,            OtherDdl,       Nested, Own),
    ROW(CREATE_TABLE_SPACE_STMT,          OtherDdl,       Nested, None),
    ROW(REASSIGN_OWNED_STMT,              OtherDdl,       Nested, Own),
    ROW(COMPOSITE_TYPE_STMT,              OtherDdl,       Nested, Own),
    ROW(CREATE_ENUM_STMT,                 OtherDdl,       Nested, Own),
    ROW(CREATE_RANGE_STMT,                OtherDdl,       Nested, Own),
    ROW(CREATE_FDW_STMT,                  OtherDdl,       Nested, None),
    ROW(CREATE_FOREIGN_SERVER_STMT,       OtherDdl,       Nested, None),
    ROW(CREATE_USER_MAPPING_STMT,         OtherDdl,       Nested, None),
    ROW(SEC_LABEL_STMT,                   OtherDdl,       Nested, Own),
    ROW(IMPORT_FOREIGN_SCHEMA_STMT,       OtherDdl,       Nested, Own),
    ROW(CREATE_EXTENSION_STMT,            OtherDdl,       Nested, Own),
    ROW(CREATE_EVENT_TRIG_STMT,           OtherDdl,       Nested, None),
    ROW(REPLICA_IDENTITY_STMT,            OtherDdl,       Nested, Unknown),
    ROW(CREATE_POLICY_STMT,               OtherDdl,       Nested, Own),
    ROW(CREATE_TRANSFORM_STMT,            OtherDdl,       Nested, None),
    ROW(CREATE_AM_STMT,                   OtherDdl,       Nested, None),
    ROW(CREATE_PUBLICATION_STMT,          OtherDdl,       Nested, None),
    ROW(CREATE_SUBSCRIPTION_STMT,         OtherDdl,       Nested, Own),
    ROW(CREATE_STATS_STMT,                OtherDdl,       Nested, Own),
};

#undef ROW

// Node tags are small integers (a few hundred): a direct index makes the lookup a load.
constexpr size_t kMaxTag = 512;

struct Index {
  std::array<const StatementType*, kMaxTag> rows{};
  Index() {
    for (const auto& t : kTypes) {
      const auto tag = static_cast<size_t>(t.tag);
      if (tag < kMaxTag) rows[tag] = &t;
    }
  }
};

static_assert(std::all_of(std::begin(kTypes), std::end(kTypes),
                          [](const StatementType& t) { return static_cast<size_t>(t.tag) < kMaxTag; }),
              "a node tag beyond the index");

}  // namespace

std::span<const StatementType> statement_types() { return kTypes; }

const StatementType* statement_type(PgQuery__Node__NodeCase tag) {
  static const Index index;
  const auto i = static_cast<size_t>(tag);
  return i < kMaxTag ? index.rows[i] : nullptr;
}

}  // namespace blueshift::rewrite
