// The functions a parsed statement calls, anywhere in its tree (queries, defaults, index
// expressions, ...): policies refuse calls of functions that run SQL text they cannot see
// (query_to_xml, dblink, ...), so a call must not hide in a corner the walker skips.
#pragma once

#include <string>
#include <vector>

#include "rewrite/pg_parser.h"

namespace blueshift::rewrite {

// The last names of the functions called under `stmt`, in lower case whatever the quoting
// (a near miss errs towards a refusal; the schema does not matter: dblink lives wherever
// its extension was installed), sorted, without duplicates.
[[nodiscard]] std::vector<std::string> called_functions(const PgQuery__Node* stmt);

}  // namespace blueshift::rewrite
