// Whether a WHERE, ON or LIMIT provably lets no row through, from constants alone: the
// probes BI tools send to learn a result's columns (Metabase's `WHERE 1 <> 1 LIMIT 0`,
// dbt's `where 1 = 0`). The warehouse folds such a filter before planning and reads
// nothing, so policies must not count the scans it guards as reads. Internal to rewrite/:
// the statement walker uses it.
#pragma once

#include <pg_query/pg_query.pb-c.h>

namespace blueshift::rewrite {

// True when the predicate is never TRUE whatever the rows hold: it folds to FALSE or NULL
// by SQL's three-valued logic over boolean literals, NULL, and comparisons of two numeric
// (or, for = and <>, two string) literals. Anything else (a column, a $n, a function)
// may be anything, so `1 <> 1 OR x` is not never true, and `1 <> 1 OR true` is true.
[[nodiscard]] bool never_true(const PgQuery__Node* predicate);

// True for `LIMIT 0` (and `FETCH FIRST 0 ROWS ONLY`): the integer constant 0.
[[nodiscard]] bool is_zero_limit(const PgQuery__Node* limit_count);

}  // namespace blueshift::rewrite
