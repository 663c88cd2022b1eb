// Facts of DDL and utility statements beyond the tables they read and write: which
// objects they act on, by schema (StatementFacts::objects, any_schema, targets_unknown),
// for deny_statements rules limited to schemas; and code inside them that analysis does
// not read (DO blocks, function and procedure bodies: StatementFacts::opaque).
//
// Every statement type is either modelled here (its objects, or "acts on no schema
// object" for roles, databases, settings, transactions...) or reported with
// targets_unknown, so a statement form nobody thought about fails closed rather than
// passing a rule limited to schemas.
// Internal to rewrite/; walk_statement calls it after the walker.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <functional>

#include "rewrite/facts.h"
#include "rewrite/query_walker.h"

namespace blueshift::rewrite {

// How the walker resolves a relation name (search_path, temp tables, long names).
using RelationResolver = std::function<TableRef(const PgQuery__RangeVar*)>;

void add_utility_facts(const PgQuery__Node* stmt, const WalkInput& input, const RelationResolver& relation,
                       StatementFacts* out);

}  // namespace blueshift::rewrite
