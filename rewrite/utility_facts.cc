// Objects by schema. A name written with a schema is in that schema. A name without one:
//   - a table, view or materialized view (the catalog lists them): resolved as the walker
//     resolves relations (search_path against the catalog);
//   - anything else (function, type, index, sequence, ...): one object per search_path
//     schema, since the catalog cannot say which one the server will pick;
//   - a schema is its own name.
// Sub-objects (columns, constraints, triggers, rules, policies) are their table.
#include "rewrite/utility_facts.h"

#include <string>
#include <string_view>
#include <vector>

#include "rewrite/identifiers.h"
#include "rewrite/opaque_text.h"
#include "rewrite/pg_parser.h"
#include "rewrite/statement_kinds.h"

namespace blueshift::rewrite {
namespace {

using Node = PgQuery__Node;

using pg::has;
using pg::sv;

const char* label(PgQuery__ObjectType t) {
  switch (t) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_AGGREGATE: return "aggregate";
    case PG_QUERY__OBJECT_TYPE__OBJECT_COLLATION: return "collation";
    case PG_QUERY__OBJECT_TYPE__OBJECT_CONVERSION: return "conversion";
    case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
    case PG_QUERY__OBJECT_TYPE__OBJECT_DOMCONSTRAINT: return "domain";
    case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE: return "foreign table";
    case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION: return "function";
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: return "index";
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW: return "materialized view";
    case PG_QUERY__OBJECT_TYPE__OBJECT_OPCLASS: return "operator class";
    case PG_QUERY__OBJECT_TYPE__OBJECT_OPERATOR: return "operator";
    case PG_QUERY__OBJECT_TYPE__OBJECT_OPFAMILY: return "operator family";
    case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE: return "procedure";
    case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE: return "routine";
    case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA: return "schema";
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE: return "sequence";
    case PG_QUERY__OBJECT_TYPE__OBJECT_STATISTIC_EXT: return "statistics";
    case PG_QUERY__OBJECT_TYPE__OBJECT_TSCONFIGURATION: return "text search configuration";
    case PG_QUERY__OBJECT_TYPE__OBJECT_TSDICTIONARY: return "text search dictionary";
    case PG_QUERY__OBJECT_TYPE__OBJECT_TSPARSER: return "text search parser";
    case PG_QUERY__OBJECT_TYPE__OBJECT_TSTEMPLATE: return "text search template";
    case PG_QUERY__OBJECT_TYPE__OBJECT_ATTRIBUTE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE: return "type";
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW: return "view";
    default: return "table";
  }
}

class UtilityFacts {
 public:
  UtilityFacts(const WalkInput& in, const NameResolver& names, StatementFacts* out)
      : in_(in), names_(names), out_(out) {}

  void statement(const Node* n) {
    if (n == nullptr) return;
    // Which statement types act on no schema object, and which are modelled here, is in
    // the table of statement kinds.
    const StatementType* type = statement_type(n->node_case);
    if (type == nullptr || type->objects == Objects::Unknown) return unknown();
    if (type->objects == Objects::None) return;
    switch (n->node_case) {
      case PG_QUERY__NODE__NODE_DO_STMT:
        return do_block(n->do_stmt);
      case PG_QUERY__NODE__NODE_CREATE_STMT:
        return create_table(n->create_stmt);
      case PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT:
        return create_table(n->create_foreign_table_stmt->base_stmt);
      case PG_QUERY__NODE__NODE_DROP_STMT:
        return drop(n->drop_stmt);
      case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
        if (n->truncate_stmt->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
          any_schema("TRUNCATE ... CASCADE also empties the tables that refer to these, in whatever schema");
        }
        return;
      case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        return alter_table(n->alter_table_stmt);
      case PG_QUERY__NODE__NODE_RENAME_STMT:
        return rename(n->rename_stmt);
      case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT: {
        const auto* a = n->alter_object_schema_stmt;
        if (a->object_type == PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION) {
          return any_schema("ALTER EXTENSION ... SET SCHEMA moves objects out of a schema the statement does not name");
        }
        if (a->relation != nullptr) {
          written_relation(a->object_type, a->relation);
        } else {
          object(a->object_type, a->object, nullptr);
        }
        if (has(a->newschema)) add("schema", fold(sv(a->newschema)), "");
        return;
      }
      case PG_QUERY__NODE__NODE_ALTER_OWNER_STMT:
        return object(n->alter_owner_stmt->object_type, n->alter_owner_stmt->object, n->alter_owner_stmt->relation);
      case PG_QUERY__NODE__NODE_ALTER_OBJECT_DEPENDS_STMT:
        return object(n->alter_object_depends_stmt->object_type, n->alter_object_depends_stmt->object,
                      n->alter_object_depends_stmt->relation);
      case PG_QUERY__NODE__NODE_ALTER_EXTENSION_CONTENTS_STMT:
        return object(n->alter_extension_contents_stmt->objtype, n->alter_extension_contents_stmt->object, nullptr);
      case PG_QUERY__NODE__NODE_COMMENT_STMT:
        return object(n->comment_stmt->objtype, n->comment_stmt->object, nullptr);
      case PG_QUERY__NODE__NODE_SEC_LABEL_STMT:
        return object(n->sec_label_stmt->objtype, n->sec_label_stmt->object, nullptr);
      case PG_QUERY__NODE__NODE_GRANT_STMT:
        return grant(n->grant_stmt);
      case PG_QUERY__NODE__NODE_ALTER_DEFAULT_PRIVILEGES_STMT:
        return default_privileges(n->alter_default_privileges_stmt);
      case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
        if (n->alter_domain_stmt->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) cascade();
        return named("domain", strings(n->alter_domain_stmt->type_name, n->alter_domain_stmt->n_type_name));
      case PG_QUERY__NODE__NODE_ALTER_FUNCTION_STMT: {
        const PgQuery__ObjectWithArgs* f = n->alter_function_stmt->func;
        if (f == nullptr) return unknown();
        return named(label(n->alter_function_stmt->objtype), strings(f->objname, f->n_objname));
      }
      case PG_QUERY__NODE__NODE_ALTER_OPERATOR_STMT: {
        const PgQuery__ObjectWithArgs* o = n->alter_operator_stmt->opername;
        if (o == nullptr) return unknown();
        return named("operator", strings(o->objname, o->n_objname));
      }
      case PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT:
        return session_default(n->alter_role_set_stmt->setstmt);
      case PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT:
        return session_default(n->alter_database_set_stmt->setstmt);
      case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
        return relation_object(PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE, n->alter_seq_stmt->sequence);
      case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
        return relation_object(PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE, n->create_seq_stmt->sequence);
      case PG_QUERY__NODE__NODE_ALTER_TYPE_STMT:
        return named("type", strings(n->alter_type_stmt->type_name, n->alter_type_stmt->n_type_name));
      case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
        return named("type", strings(n->alter_enum_stmt->type_name, n->alter_enum_stmt->n_type_name));
      case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
        return named("type", strings(n->create_enum_stmt->type_name, n->create_enum_stmt->n_type_name));
      case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT:
        return named("type", strings(n->create_range_stmt->type_name, n->create_range_stmt->n_type_name));
      case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
        return relation_object(PG_QUERY__OBJECT_TYPE__OBJECT_TYPE, n->composite_type_stmt->typevar);
      case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
        return named("domain", strings(n->create_domain_stmt->domainname, n->create_domain_stmt->n_domainname));
      case PG_QUERY__NODE__NODE_ALTER_TSDICTIONARY_STMT:
        return named("text search dictionary",
                     strings(n->alter_tsdictionary_stmt->dictname, n->alter_tsdictionary_stmt->n_dictname));
      case PG_QUERY__NODE__NODE_ALTER_TSCONFIGURATION_STMT:
        return named("text search configuration",
                     strings(n->alter_tsconfiguration_stmt->cfgname, n->alter_tsconfiguration_stmt->n_cfgname));
      case PG_QUERY__NODE__NODE_ALTER_COLLATION_STMT:
        return named("collation", strings(n->alter_collation_stmt->collname, n->alter_collation_stmt->n_collname));
      case PG_QUERY__NODE__NODE_ALTER_STATS_STMT:
        return named("statistics", strings(n->alter_stats_stmt->defnames, n->alter_stats_stmt->n_defnames));
      case PG_QUERY__NODE__NODE_CREATE_CONVERSION_STMT:
        return named("conversion",
                     strings(n->create_conversion_stmt->conversion_name, n->create_conversion_stmt->n_conversion_name));
      case PG_QUERY__NODE__NODE_CREATE_OP_CLASS_STMT:
        return named("operator class", strings(n->create_op_class_stmt->opclassname, n->create_op_class_stmt->n_opclassname));
      case PG_QUERY__NODE__NODE_CREATE_OP_FAMILY_STMT:
        return named("operator family",
                     strings(n->create_op_family_stmt->opfamilyname, n->create_op_family_stmt->n_opfamilyname));
      case PG_QUERY__NODE__NODE_ALTER_OP_FAMILY_STMT:
        return named("operator family",
                     strings(n->alter_op_family_stmt->opfamilyname, n->alter_op_family_stmt->n_opfamilyname));
      case PG_QUERY__NODE__NODE_DEFINE_STMT:
        return named(label(n->define_stmt->kind), strings(n->define_stmt->defnames, n->define_stmt->n_defnames));
      case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
        return create_function(n->create_function_stmt);
      case PG_QUERY__NODE__NODE_INDEX_STMT: {
        const PgQuery__IndexStmt* i = n->index_stmt;
        if (i->relation == nullptr) return unknown();
        const TableRef t = names_.relation(i->relation);
        add("index", t.schema, has(i->idxname) ? fold(sv(i->idxname)) : t.name);
        return;
      }
      case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
        return table(n->create_trig_stmt->relation);
      case PG_QUERY__NODE__NODE_RULE_STMT:
        return table(n->rule_stmt->relation);
      case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
        return table(n->create_policy_stmt->table);
      case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
        return table(n->alter_policy_stmt->table);
      case PG_QUERY__NODE__NODE_CREATE_STATS_STMT: {
        const PgQuery__CreateStatsStmt* c = n->create_stats_stmt;
        for (size_t i = 0; i < c->n_relations; ++i) {
          if (IS(c->relations[i], RANGE_VAR)) table(c->relations[i]->range_var);
        }
        if (c->n_defnames > 0) named("statistics", strings(c->defnames, c->n_defnames));
        return;
      }
      case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT: {
        const PgQuery__CreateSchemaStmt* c = n->create_schema_stmt;
        if (has(c->schemaname)) return add("schema", fold(sv(c->schemaname)), "");
        // CREATE SCHEMA AUTHORIZATION bob names the schema after the role.
        if (c->authrole != nullptr && c->authrole->roletype == PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_CSTRING &&
            has(c->authrole->rolename)) {
          return add("schema", fold(sv(c->authrole->rolename)), "");
        }
        return unknown();  // AUTHORIZATION CURRENT_USER: the session user's name
      }
      case PG_QUERY__NODE__NODE_IMPORT_FOREIGN_SCHEMA_STMT:
        if (!has(n->import_foreign_schema_stmt->local_schema)) return unknown();
        return add("schema", fold(sv(n->import_foreign_schema_stmt->local_schema)), "");
      case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
        return create_extension(n->create_extension_stmt);
      case PG_QUERY__NODE__NODE_ALTER_EXTENSION_STMT:
        return any_schema("ALTER EXTENSION changes objects in a schema the statement does not name");
      case PG_QUERY__NODE__NODE_ALTER_TABLE_MOVE_ALL_STMT:
        return any_schema("ALTER ... ALL IN TABLESPACE moves objects of every schema");
      case PG_QUERY__NODE__NODE_DROP_OWNED_STMT:
        return any_schema("DROP OWNED drops the role's objects in every schema");
      case PG_QUERY__NODE__NODE_REASSIGN_OWNED_STMT:
        return any_schema("REASSIGN OWNED changes the owner of the role's objects in every schema");
      case PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT:
        return any_schema("a subscription copies rows into tables of any schema");
      case PG_QUERY__NODE__NODE_VACUUM_STMT: {
        const PgQuery__VacuumStmt* v = n->vacuum_stmt;
        for (size_t i = 0; i < v->n_rels; ++i) {
          if (IS(v->rels[i], VACUUM_RELATION)) table(v->rels[i]->vacuum_relation->relation);
        }
        if (v->n_rels == 0) {
          any_schema(std::string(v->is_vacuumcmd ? "VACUUM" : "ANALYZE") +
                     " without a table processes every table of the database");
        }
        return;
      }
      case PG_QUERY__NODE__NODE_REINDEX_STMT: {
        const PgQuery__ReindexStmt* r = n->reindex_stmt;
        switch (r->kind) {
          case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX:
            return relation_object(PG_QUERY__OBJECT_TYPE__OBJECT_INDEX, r->relation);
          case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE:
            return table(r->relation);
          case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA:
            return add("schema", fold(sv(r->name)), "");
          default:
            return any_schema("REINDEX DATABASE/SYSTEM processes every schema");
        }
      }
      case PG_QUERY__NODE__NODE_CLUSTER_STMT:
        if (n->cluster_stmt->relation == nullptr) return any_schema("CLUSTER without a table processes every table");
        return table(n->cluster_stmt->relation);
      case PG_QUERY__NODE__NODE_LOCK_STMT:
        for (size_t i = 0; i < n->lock_stmt->n_relations; ++i) {
          if (IS(n->lock_stmt->relations[i], RANGE_VAR)) table(n->lock_stmt->relations[i]->range_var);
        }
        return;
      case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
        return relation_object(PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW, n->refresh_mat_view_stmt->relation);
      case PG_QUERY__NODE__NODE_CALL_STMT: {
        const PgQuery__FuncCall* f = n->call_stmt->funccall;
        if (f == nullptr) return unknown();
        return named("procedure", strings(f->funcname, f->n_funcname));
      }
      default:
        return unknown();
    }
  }

 private:
  [[nodiscard]] std::string fold(std::string_view s) const {
    return fold_parsed(s, in_.context->case_sensitive_identifiers);
  }

  std::vector<std::string> strings(Node* const* items, size_t n) const {
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) {
      if (!IS(items[i], STRING) || items[i]->string->sval == nullptr) return {};
      out.push_back(fold(sv(items[i]->string->sval)));
    }
    return out;
  }

  void add(std::string type, std::string schema, std::string name) {
    if (schema.empty()) return;
    out_->objects.push_back(ObjectRef{std::move(type), std::move(schema), std::move(name)});
  }

  void any_schema(std::string why) {
    if (out_->any_schema.empty()) out_->any_schema = std::move(why);
  }

  // ALTER ROLE/DATABASE ... SET/RESET search_path (or RESET ALL): later sessions resolve
  // unqualified names through another path, into any schema.
  void session_default(const PgQuery__VariableSetStmt* v) {
    if (v == nullptr) return;
    if (v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL || ascii_lower(sv(v->name)) == "search_path") {
      any_schema("it changes the search_path later sessions resolve unqualified names through");
    }
  }

  void cascade() { any_schema("CASCADE also drops the objects that depend on it, in whatever schema"); }

  void unknown() { out_->targets_unknown = true; }

  // An object the catalog does not list, by its written name parts (already folded).
  void named(const std::string& type, const std::vector<std::string>& parts) {
    if (parts.empty()) return unknown();
    if (parts.size() >= 2) return add(type, parts[parts.size() - 2], parts.back());
    for (const auto& s : *in_.search_path) add(type, s, parts.back());
  }

  // A table, view or materialized view: resolved against the catalog as the walker does.
  void table(const PgQuery__RangeVar* rv) {
    if (rv == nullptr) return unknown();
    const TableRef t = names_.relation(rv);
    add("table", t.schema, t.name);
  }

  void table_parts(const std::string& type, const std::vector<std::string>& parts) {
    if (parts.empty()) return unknown();
    const TableRef t = resolve_table_name(parts, *in_.context, *in_.search_path);
    add(type, t.schema, t.name);
  }

  // A relation named by a RangeVar that the catalog may not list (index, sequence, type).
  void relation_object(PgQuery__ObjectType type, const PgQuery__RangeVar* rv) {
    if (rv == nullptr) return unknown();
    if (type == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW || type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW ||
        type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || type == PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE) {
      const TableRef t = names_.relation(rv);
      return add(label(type), t.schema, t.name);
    }
    const TableRef t = names_.relation(rv);  // for temp tables, long names, explicit schemas
    if (t.written_qualified || t.temporary) return add(label(type), t.schema, t.name);
    named(label(type), {t.name});
  }

  // The object an (ObjectType, name node[, relation]) pair denotes, as COMMENT ON, ALTER
  // ... OWNER TO, ALTER ... SET SCHEMA, DROP, GRANT and RENAME write it.
  void object(PgQuery__ObjectType type, const Node* name, const PgQuery__RangeVar* relation) {
    switch (type) {
      case PG_QUERY__OBJECT_TYPE__OBJECT_ACCESS_METHOD:
      case PG_QUERY__OBJECT_TYPE__OBJECT_AMOP:
      case PG_QUERY__OBJECT_TYPE__OBJECT_AMPROC:
      case PG_QUERY__OBJECT_TYPE__OBJECT_CAST:
      case PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_DEFACL:
      case PG_QUERY__OBJECT_TYPE__OBJECT_EVENT_TRIGGER:
      case PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION:
      case PG_QUERY__OBJECT_TYPE__OBJECT_FDW:
      case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_SERVER:
      case PG_QUERY__OBJECT_TYPE__OBJECT_LANGUAGE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_LARGEOBJECT:
      case PG_QUERY__OBJECT_TYPE__OBJECT_PARAMETER_ACL:
      case PG_QUERY__OBJECT_TYPE__OBJECT_PUBLICATION:
      case PG_QUERY__OBJECT_TYPE__OBJECT_PUBLICATION_NAMESPACE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_PUBLICATION_REL:
      case PG_QUERY__OBJECT_TYPE__OBJECT_ROLE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_SUBSCRIPTION:
      case PG_QUERY__OBJECT_TYPE__OBJECT_TABLESPACE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_TRANSFORM:
      case PG_QUERY__OBJECT_TYPE__OBJECT_USER_MAPPING:
        return;  // not in a schema
      case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA: {
        auto parts = name_parts(name);
        if (parts.size() != 1) return unknown();
        return add("schema", parts[0], "");
      }
      case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
      case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
      case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
        if (relation != nullptr) return relation_object(type, relation);
        return table_parts(label(type), name_parts(name));
      case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
      case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
      case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
      case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY: {
        if (relation != nullptr) return table(relation);
        auto parts = name_parts(name);  // [schema.]table.sub-object
        if (parts.size() < 2) return unknown();
        parts.pop_back();
        return table_parts("table", parts);
      }
      case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
      case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_ATTRIBUTE:
        if (relation != nullptr) return relation_object(type, relation);
        return named(label(type), name_parts(name));
      case PG_QUERY__OBJECT_TYPE__OBJECT_OPCLASS:
      case PG_QUERY__OBJECT_TYPE__OBJECT_OPFAMILY: {
        auto parts = name_parts(name);  // access method first
        if (parts.size() < 2) return unknown();
        parts.erase(parts.begin());
        return named(label(type), parts);
      }
      case PG_QUERY__OBJECT_TYPE__OBJECT_AGGREGATE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_COLLATION:
      case PG_QUERY__OBJECT_TYPE__OBJECT_CONVERSION:
      case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
      case PG_QUERY__OBJECT_TYPE__OBJECT_DOMCONSTRAINT:
      case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
      case PG_QUERY__OBJECT_TYPE__OBJECT_OPERATOR:
      case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_STATISTIC_EXT:
      case PG_QUERY__OBJECT_TYPE__OBJECT_TSCONFIGURATION:
      case PG_QUERY__OBJECT_TYPE__OBJECT_TSDICTIONARY:
      case PG_QUERY__OBJECT_TYPE__OBJECT_TSPARSER:
      case PG_QUERY__OBJECT_TYPE__OBJECT_TSTEMPLATE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
        return named(label(type), name_parts(name));
      default:
        return unknown();
    }
  }

  // The name parts a name node holds: "x" (String), [a, b] (List of String), a
  // function's or operator's name (ObjectWithArgs), a type's (TypeName), a relation's
  // (RangeVar); a domain constraint's List starts with its domain's TypeName.
  std::vector<std::string> name_parts(const Node* n) const {
    if (n == nullptr) return {};
    switch (n->node_case) {
      case PG_QUERY__NODE__NODE_STRING:
        return n->string->sval != nullptr ? std::vector<std::string>{fold(sv(n->string->sval))}
                                          : std::vector<std::string>{};
      case PG_QUERY__NODE__NODE_LIST:
        if (n->list->n_items > 0 && IS(n->list->items[0], TYPE_NAME)) return name_parts(n->list->items[0]);
        return strings(n->list->items, n->list->n_items);
      case PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS:
        return strings(n->object_with_args->objname, n->object_with_args->n_objname);
      case PG_QUERY__NODE__NODE_TYPE_NAME:
        return strings(n->type_name->names, n->type_name->n_names);
      case PG_QUERY__NODE__NODE_RANGE_VAR: {
        std::vector<std::string> out;
        if (has(n->range_var->schemaname)) out.push_back(fold(sv(n->range_var->schemaname)));
        out.push_back(fold(sv(n->range_var->relname)));
        return out;
      }
      default:
        return {};
    }
  }

  void create_table(const PgQuery__CreateStmt* c) {
    if (c == nullptr) return;
    // PARTITION OF / INHERITS: the parent's rows now include this table's.
    for (size_t i = 0; i < c->n_inh_relations; ++i) {
      if (IS(c->inh_relations[i], RANGE_VAR)) table(c->inh_relations[i]->range_var);
    }
  }

  void drop(const PgQuery__DropStmt* d) {
    if (d->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) cascade();
    switch (d->remove_type) {
      case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
      case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
      case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
      case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
        return;  // the walker reports them as writes
      case PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION:
      case PG_QUERY__OBJECT_TYPE__OBJECT_LANGUAGE:
        // Members or functions live in schemas the statement does not name.
        return any_schema("DROP EXTENSION/LANGUAGE drops objects in schemas the statement does not name");
      default:
        for (size_t i = 0; i < d->n_objects; ++i) object(d->remove_type, d->objects[i], nullptr);
    }
  }

  // A relation the walker already reports as written, resolved like a table: an index,
  // sequence or composite type, which the catalog does not list, may be in any
  // search_path schema instead.
  void written_relation(PgQuery__ObjectType type, const PgQuery__RangeVar* rv) {
    if (type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX || type == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE ||
        type == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE || type == PG_QUERY__OBJECT_TYPE__OBJECT_ATTRIBUTE) {
      relation_object(type, rv);
    }
  }

  void alter_table(const PgQuery__AlterTableStmt* a) {
    written_relation(a->objtype, a->relation);
    for (size_t i = 0; i < a->n_cmds; ++i) {
      if (!IS(a->cmds[i], ALTER_TABLE_CMD)) continue;
      const PgQuery__AlterTableCmd* c = a->cmds[i]->alter_table_cmd;
      if (c->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) cascade();
      if ((c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddInherit ||
           c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropInherit) &&
          IS(c->def, RANGE_VAR)) {
        table(c->def->range_var);  // the parent's rows change
      }
      if ((c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition ||
           c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition) &&
          IS(c->def, PARTITION_CMD) && c->def->partition_cmd->name != nullptr) {
        table(c->def->partition_cmd->name);
      }
    }
  }

  void rename(const PgQuery__RenameStmt* r) {
    switch (r->rename_type) {
      case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
        // ALTER SCHEMA a RENAME TO b: a's objects are now b's.
        if (has(r->subname)) add("schema", fold(sv(r->subname)), "");
        if (has(r->newname)) add("schema", fold(sv(r->newname)), "");
        return;
      default:
        break;
    }
    if (r->relation != nullptr) return written_relation(r->rename_type, r->relation);
    object(r->rename_type, r->object, nullptr);
  }

  void grant(const PgQuery__GrantStmt* g) {
    if (g->targtype == PG_QUERY__GRANT_TARGET_TYPE__ACL_TARGET_ALL_IN_SCHEMA) {
      for (size_t i = 0; i < g->n_objects; ++i) {
        auto parts = name_parts(g->objects[i]);
        if (parts.size() == 1) {
          add("schema", parts[0], "");
        } else {
          unknown();
        }
      }
      return;
    }
    for (size_t i = 0; i < g->n_objects; ++i) {
      const Node* o = g->objects[i];
      object(g->objtype, o, IS(o, RANGE_VAR) ? o->range_var : nullptr);
    }
  }

  void default_privileges(const PgQuery__AlterDefaultPrivilegesStmt* a) {
    bool schemas = false;
    for (size_t i = 0; i < a->n_options; ++i) {
      const Node* o = a->options[i];
      if (!IS(o, DEF_ELEM) || sv(o->def_elem->defname) != "schemas" || !IS(o->def_elem->arg, LIST)) continue;
      for (const auto& s : strings(o->def_elem->arg->list->items, o->def_elem->arg->list->n_items)) {
        add("schema", s, "");
        schemas = true;
      }
    }
    if (!schemas) any_schema("ALTER DEFAULT PRIVILEGES without IN SCHEMA applies to objects created in any schema");
  }

  void create_extension(const PgQuery__CreateExtensionStmt* c) {
    for (size_t i = 0; i < c->n_options; ++i) {
      const Node* o = c->options[i];
      if (IS(o, DEF_ELEM) && sv(o->def_elem->defname) == "schema" && IS(o->def_elem->arg, STRING)) {
        return add("schema", fold(sv(o->def_elem->arg->string->sval)), "");
      }
    }
    any_schema("CREATE EXTENSION without SCHEMA installs objects in a schema the statement does not name");
  }

  // Option `name` (a DefElem) of a DO or CREATE FUNCTION: its String value, or its List of
  // Strings (a function's AS 'body' or AS 'file', 'symbol').
  static std::vector<std::string> option(Node* const* options, size_t n, std::string_view name) {
    for (size_t i = 0; i < n; ++i) {
      const Node* o = options[i];
      if (!IS(o, DEF_ELEM) || sv(o->def_elem->defname) != name) continue;
      const Node* a = o->def_elem->arg;
      if (IS(a, STRING)) return {std::string(sv(a->string->sval))};
      std::vector<std::string> out;
      if (IS(a, LIST)) {
        for (size_t k = 0; k < a->list->n_items; ++k) {
          if (IS(a->list->items[k], STRING)) out.emplace_back(sv(a->list->items[k]->string->sval));
        }
      }
      return out;
    }
    return {};
  }

  void body(const std::string& what, const std::string& text, const std::string& language) {
    RoutineBody b = read_routine_body(text, language, in_.context->case_sensitive_identifiers);
    if (!b.read) return;
    out_->opaque = what;
    out_->opaque_dynamic = b.dynamic;
    out_->names.insert(out_->names.end(), b.names.begin(), b.names.end());
  }

  void do_block(const PgQuery__DoStmt* d) {
    const auto text = option(d->args, d->n_args, "as");
    const auto language = option(d->args, d->n_args, "language");
    body("the body of a DO block", text.empty() ? "" : text.front(), language.empty() ? "plpgsql" : language.front());
  }

  void create_function(const PgQuery__CreateFunctionStmt* c) {
    const char* what = c->is_procedure ? "procedure" : "function";
    named(what, strings(c->funcname, c->n_funcname));
    // A SQL-standard body (BEGIN ATOMIC ... END, RETURN ...) is parsed: the walker read it.
    if (c->sql_body != nullptr) return;
    const auto text = option(c->options, c->n_options, "as");
    const auto language = option(c->options, c->n_options, "language");
    std::string joined;
    for (const auto& t : text) joined += (joined.empty() ? "" : "\n") + t;
    std::string name;
    for (size_t i = 0; i < c->n_funcname; ++i) {
      if (IS(c->funcname[i], STRING)) name += (name.empty() ? "" : ".") + fold(sv(c->funcname[i]->string->sval));
    }
    body(std::string("the body of ") + what + " " + name, joined, language.empty() ? "sql" : language.front());
  }

  const WalkInput& in_;
  const NameResolver& names_;
  StatementFacts* out_;
};

}  // namespace

void add_utility_facts(const PgQuery__Node* stmt, const WalkInput& input, const NameResolver& names,
                       StatementFacts* out) {
  UtilityFacts(input, names, out).statement(stmt);
}

}  // namespace blueshift::rewrite
