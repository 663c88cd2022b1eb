// The one table of statement types: for each libpg_query node type a statement can be,
// its StatementKind, how the walker reads it and what utility_facts makes of the objects
// it acts on. A new statement type is one row here (plus its own case in the walker or
// in utility_facts when the row says Own). Internal to rewrite/.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <span>

#include "rewrite/facts.h"

namespace blueshift::rewrite {

// How the walker reads a statement beyond its kind.
enum class Walk {
  Query,   // a data statement (SELECT, INSERT, UPDATE, DELETE, MERGE): its reads and writes
  Own,     // its own case in the walker (COPY, CREATE TABLE AS, DROP, SET, EXPLAIN, ...)
  Nested,  // statements nested anywhere inside (CREATE RULE actions, SQL function bodies)
  None,    // nothing beyond its kind
};

// What utility_facts makes of the schema objects a statement acts on.
enum class Objects {
  None,     // none beyond the tables the walker reports (data statements, roles, settings, ...)
  Own,      // its own case in utility_facts
  Unknown,  // not modelled: targets_unknown, so that rules limited to schemas fail closed
};

struct StatementType {
  PgQuery__Node__NodeCase tag;
  StatementKind kind;
  Walk walk;
  Objects objects;
};

// Every row of the table.
[[nodiscard]] std::span<const StatementType> statement_types();

// The row of a node type; nullptr for one the table does not list, which is read as
// kind Other, Walk::Nested and Objects::Unknown (a form nobody thought about fails closed).
[[nodiscard]] const StatementType* statement_type(PgQuery__Node__NodeCase tag);

}  // namespace blueshift::rewrite
