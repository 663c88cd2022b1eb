// Reading a Bound the way a policy needs it: put Bind values in place of $n, decide
// whether the column is held to finitely many values, test a partition's value against
// it, and say it in words.
//
// A Bound only speaks about its own column (see facts.h): atoms on other columns are
// already gone, so an Or restricts the column only if every branch does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rewrite/facts.h"

namespace blueshift::rewrite {

// One Bind parameter as it arrived: bytes (nullopt = SQL NULL), format, and the type
// the Parse message declared (0 = unspecified).
struct ParamValue {
  std::optional<std::string> value;
  bool binary = false;
  uint32_t type_oid = 0;
};

// A Bind's parameters (nullopt = NULL) as ParamValues: each with its format (none given:
// text; one: every parameter's) and the type the Parse declared (0 beyond them).
[[nodiscard]] std::vector<ParamValue> bind_values(const std::vector<std::optional<std::string>>& params,
                                                  const std::vector<int16_t>& param_formats,
                                                  const std::vector<uint32_t>& param_types);

// The constant a parameter denotes, or nullopt when its bytes cannot be read (binary
// data of a type not understood here: it then stays a $n and matches conservatively).
// Text format: the text itself, numeric when the type is numeric or the text reads as
// a number, except that type unknown (705, a quoted literal's: rewrite/literal_template)
// keeps it a string. Binary: int2/int4/int8, float4/float8, bool, date, and text-like
// types.
[[nodiscard]] std::optional<Value> decode_param(const ParamValue& param);

// The elements an array parameter holds (`col = ANY($1)`), NULL elements dropped as they
// can equal nothing; a NULL array holds none either. Text format: an array literal
// ('{2023,2024}'), elements typed by the declared array type when known (strings when
// it is unknown, as for a lifted '{01,02}'). Binary: array_send's layout, elements
// decoded as decode_param does by the element type the header names. nullopt when the
// bytes cannot be read (or the array is too long).
[[nodiscard]] std::optional<std::vector<Value>> decode_array_param(const ParamValue& param);

// `column op ANY(elements)`, or with `all` `column op ALL(elements)`, as a bound on the
// column; op is Eq, Lt, Le, Gt or Ge. `elements` are the array's non-NULL elements and
// `had_null` says whether it held a NULL (or was NULL). SQL's own rules: ANY of no
// element is false and a NULL element can satisfy nothing; ALL of no element is true (the
// bound is True: nothing is bounded), and with a NULL never true (False). Otherwise
// `< ANY` is `< ` the greatest element, `> ANY` `> ` the least, `< ALL` `< ` the least,
// `> ALL` `> ` the greatest (so for <=, >=), `= ANY` an IN list and `= ALL` the one value
// every element equals (False when they differ). "Greatest" is in compare_values' order,
// which reads numbers as numbers and anything else as bytes; where that order and plain
// byte order pick different elements, both are kept (an Or for ANY, an And for ALL), and
// where elements are mixed or $n, every element is, so that matches() says exactly what
// the element-by-element comparison says.
[[nodiscard]] Bound quantified(Bound::Op op, bool all, std::vector<Value> elements, bool had_null);

// Every $n replaced by params[n-1]. A NULL makes a comparison false (and drops out of
// an IN list); an array $n becomes its elements (none: false), or in `col < ALL($1)` and
// the like quantified()'s bound over them. Placeholders beyond params, or undecodable,
// stay.
[[nodiscard]] Bound substitute_params(const Bound& bound, const std::vector<ParamValue>& params);
// Text-format convenience: nullopt = NULL.
[[nodiscard]] Bound substitute_params(const Bound& bound, const std::vector<std::optional<std::string>>& params);
// The same over a scan's bounds and disjunctions.
[[nodiscard]] Scan substitute_params(const Scan& scan, const std::vector<ParamValue>& params);
// The same over every scan of every statement.
[[nodiscard]] QueryFacts substitute_params(const QueryFacts& facts, const std::vector<ParamValue>& params);

// What the warehouse prunes partitions on: each comparison with a value it does not prune
// on (Value::prunes false: year = 2024.0, year IS NOT DISTINCT FROM 2024, a numeric $n)
// becomes True, as if it were not there. has_unpruned() says whether a scan has any, so
// that the common scan is not copied.
[[nodiscard]] Bound pruning_bound(const Bound& bound);
[[nodiscard]] bool has_unpruned(const Bound& bound);
[[nodiscard]] bool has_unpruned(const Scan& scan);
[[nodiscard]] Scan pruning_scan(const Scan& scan);

[[nodiscard]] bool has_params(const Bound& bound);
[[nodiscard]] bool has_params(const Disjunction& disjunction);

// True when the column is held to a bounded set: every Or branch is bounded by an
// equality, IN list, BETWEEN, or both a lower and an upper limit (And combines limits
// of its parts). A $n counts as a value: `year = $1` is finite whatever $1 is, and so is
// `year = ANY($1)` (an array has finitely many elements) and `year < ANY($1)` has an
// upper limit. Not so `year < ALL($1)` or `year = ALL($1)`: an empty array makes them
// true, so before Bind they limit nothing.
[[nodiscard]] bool is_finite(const Bound& bound);

// Whether a partition whose column holds `partition_value` may satisfy the bound. Both
// values numeric ("01", "1", "-2.50") compare as numbers, else as bytes. True matches
// everything; an unresolved $n matches (conservatively). IS NULL matches Hive's
// "__HIVE_DEFAULT_PARTITION__" and the empty string.
[[nodiscard]] bool matches(const Bound& bound, std::string_view partition_value);

// -1/0/1; numeric when both read as decimal numbers.
[[nodiscard]] int compare_values(std::string_view a, std::string_view b);

// "year = 2024", "month IN (1, 2)", "(year = 2023 OR year = 2024)", "day BETWEEN
// '2024-01-01' AND '2024-01-31'", "year = $1", "year = ANY($1)", "year < ALL($1)",
// "year IS NULL".
[[nodiscard]] std::string describe(const Bound& bound, std::string_view column = "column");
[[nodiscard]] std::string describe(const Value& value);
// "(year = 2024 AND month = 1) OR (year = 2023 AND month = 12)": the given columns in that
// order (a branch without any of them reads TRUE), or with none given every column in
// name order.
[[nodiscard]] std::string describe(const Disjunction& disjunction, const std::vector<std::string>& columns = {});

}  // namespace blueshift::rewrite
