// Facts of DDL and utility statements beyond the tables they read and write: which
// objects they act on, by schema (StatementFacts::objects, any_schema, targets_unknown),
// for deny_statements rules limited to schemas; and code inside them that analysis does
// not read (DO blocks, function and procedure bodies: StatementFacts::opaque).
//
// Every statement type is either modelled here (its objects, or "acts on no schema
// object" for roles, databases, settings, transactions...) or reported with
// targets_unknown, so a statement form nobody thought about fails closed rather than
// passing a rule limited to schemas. Which is which, per node type, is in the table of
// statement kinds (statement_kinds.h).
// Internal to rewrite/; walk_statement calls it after the walker.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include "rewrite/facts.h"
#include "rewrite/name_resolution.h"

namespace blueshift::rewrite {

// `names` resolves relation names as the walker did (search_path, temp tables, long names).
void add_utility_facts(const PgQuery__Node* stmt, const WalkInput& input, const NameResolver& names,
                       StatementFacts* out);

}  // namespace blueshift::rewrite
