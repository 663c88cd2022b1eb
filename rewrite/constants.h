// Constants as analysis reads them off a parse tree: literals, casts of literals,
// negated numbers, $n placeholders and arrays of those, in the form partition values
// compare with. Internal to rewrite/: the predicate builder and the statement walker use it.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <optional>
#include <string>
#include <vector>

#include "rewrite/facts.h"

namespace blueshift::rewrite {

// The constant a node denotes (literal, cast of a literal, negated number, $n), nullopt
// when it is not one.
[[nodiscard]] std::optional<Value> const_value(const PgQuery__Node* n);

// The values of the array `col = ANY(...)` compares with: ARRAY[...] of constants, an
// array literal ('{2023,2024}'), either optionally cast to an array type, or a $n that
// will hold the array at Bind (one Value with `array` set). NULL elements are dropped,
// as they equal nothing (so `= ANY(NULL)` gives none); *had_null says there was one (or
// the array was NULL), which makes an ALL never true. nullopt when not known: a column,
// a function, an element that is not a constant, an unreadable literal.
[[nodiscard]] std::optional<std::vector<Value>> array_values(const PgQuery__Node* n, bool* had_null);

// Values of an IN list; nullopt if any element is not a constant. NULLs are dropped:
// x IN (1, NULL) matches 1 only.
[[nodiscard]] std::optional<std::vector<Value>> const_list(PgQuery__Node* const* items, size_t n);

// Redshift's CONVERT(type, expr): the type (lower case) when fc is one, else "". The
// type arrives as a one-word column reference (the dialect pass reduces longer types to
// their first word); PostgreSQL's own convert() takes three arguments.
[[nodiscard]] std::string convert_type(const PgQuery__FuncCall* fc);

}  // namespace blueshift::rewrite
