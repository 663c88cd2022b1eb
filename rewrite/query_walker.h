// Turns one parsed statement (a libpg_query protobuf node) into StatementFacts: kind,
// tables read and written (resolved through aliases, CTEs, subqueries and search_path),
// and per-scan column bounds from the predicates that really restrict each scan.
// Internal to rewrite/; analyzer.cc drives it. Its parts: constants.h (literals),
// predicates.h (bounds), name_resolution.h (names), statement_kinds.h (kinds),
// utility_facts.h (objects of DDL).
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include "rewrite/facts.h"
#include "rewrite/name_resolution.h"

namespace blueshift::rewrite {

// Fills kind, scans, writes, objects, sets_search_path. Location/length are the caller's.
void walk_statement(const PgQuery__Node* stmt, const WalkInput& input, StatementFacts* out);

// Highest $n anywhere under msg (0 if none).
[[nodiscard]] int max_param_number(const ProtobufCMessage* msg);

}  // namespace blueshift::rewrite
