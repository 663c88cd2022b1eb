// Date expressions as BI tools write them in date filters, read off the parse tree into a
// recipe the proxy evaluates when it decides (rewrite/date_bounds.h), never at analysis:
// facts are cached by text, and `current_date - 7` means another day tomorrow.
//
// Read: now(), getdate(), current_date, current_timestamp, localtimestamp, ... with
// `+/- INTERVAL '...'` or `+/- n` (days), DATEADD(unit, n, x), DATE_TRUNC('unit', x), casts
// of those to date or timestamp, and TO_DATE / TO_TIMESTAMP of constants. Anything else is
// not a date expression (the comparison then bounds nothing).
//
// Recipe (Value::text of a Value::Kind::DateExpr): a base, then operations, space
// separated: base `now` (a timestamp), `today` (a date), or `YYYY-MM-DD[THH:MM:SS]`;
// operations `+N:unit` / `-N:unit` (add) and `trunc:unit`; units year, quarter, month,
// week, day, hour, minute, second. E.g. "today -1:month trunc:month".
// Internal to rewrite/: the predicate builder uses it.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <optional>

#include "rewrite/facts.h"

namespace blueshift::rewrite {

// The date expression n is, as a Value of kind DateExpr (prunes false: the warehouse
// computes it, so policies count it as no bound); nullopt when n is not one.
[[nodiscard]] std::optional<Value> date_expression(const PgQuery__Node* n);

// x when n is EXTRACT(YEAR FROM x) or DATE_PART('year', x) (also DATE_PART(year, x)),
// else nullptr.
[[nodiscard]] const PgQuery__Node* extracted_year_of(const PgQuery__Node* n);

// `EXTRACT(YEAR FROM col) <op> year` as a bound on col itself: a range of ISO dates
// (col >= 'Y-01-01' AND col < 'Y+1-01-01' for =), values marked as not pruning.
// nullopt when year is not a plain integer or op not a comparison.
[[nodiscard]] std::optional<Bound> year_bound(Bound::Op op, const Value& year);

}  // namespace blueshift::rewrite
