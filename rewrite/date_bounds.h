// Dates a filter lets through, and the partitions that can hold them.
//
// From the analysis of a date column's predicates (a Bound, facts.h) to a conservative
// interval of days: every row the filter keeps has its date inside, so choosing tiers or
// partitions from it never drops a row. What cannot be read (a $n not yet bound, a string
// that is not an ISO date, a function not understood) bounds nothing. Dates the warehouse
// computes from its clock (now(), current_date, ...) are evaluated with the given clock and
// widened by a day each way, so that clock skew between proxy and warehouse and the
// session's TimeZone (at most 14 hours off UTC) can never cut a row off.
//
// Then: the literal predicates on partition columns (year/month, a Hive `dt`) that hold
// every row of an interval, for Spectrum to prune on, and the partitions an interval
// touches (cost estimation). One API for routing and cost: keep it free of proxy concerns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "rewrite/facts.h"

namespace blueshift::rewrite {

// Days first..last inclusive; an absent end is unbounded. `empty`: no date at all (a
// contradiction such as sale_date = NULL).
struct DateInterval {
  std::optional<absl::CivilDay> first;
  std::optional<absl::CivilDay> last;
  bool empty = false;
  [[nodiscard]] bool unbounded() const { return !empty && !first && !last; }
  friend bool operator==(const DateInterval&, const DateInterval&) = default;
};

// When the proxy decides: the instant now() means, and how many days to widen dates
// computed from it.
struct DateClock {
  absl::Time now = absl::Now();
  int skew_days = 1;
};

// The days a date (or timestamp) column's bound lets through. And intersects, Or takes
// the hull of its branches; `<` a midnight is the day before, other comparisons keep the
// day (a timestamp column's `> '2024-01-01'` holds later that day).
[[nodiscard]] DateInterval date_interval(const Bound& bound, const DateClock& clock);

// A Value as the instant it denotes, nullopt when not readable: an ISO date or timestamp
// constant, or a DateExpr recipe (rewrite/date_expr.h) evaluated at clock.now in UTC.
// `computed` says it came from the clock (then date_interval widens it).
struct DateValue {
  absl::CivilSecond at;
  bool computed = false;
};
[[nodiscard]] std::optional<DateValue> date_value(const Value& value, const DateClock& clock);

// How a partition column derives from the date column.
enum class PartitionField : uint8_t {
  Year,   // integer year:            year = 2024
  Month,  // integer month, 1..12:    month = 3 (with Year)
  Date,   // ISO date string, Hive's: dt = '2024-03-01'
};
// "year", "month", "date"; nullopt for anything else.
[[nodiscard]] std::optional<PartitionField> parse_partition_field(std::string_view word);
[[nodiscard]] const char* to_string(PartitionField field);

struct PartitionColumn {
  std::string name;  // as stored (folded)
  PartitionField field = PartitionField::Year;
};
// A table's partition columns, in any order. Month needs Year.
using PartitionScheme = std::vector<PartitionColumn>;

// A predicate on the partition columns (identifiers quoted) holding every row of the
// interval, e.g. `("year" = 2024 AND "month" BETWEEN 3 AND 5)`, or for ranges across
// years an OR of a partial first year, whole years and a partial last year. "" when the
// interval is unbounded or empty, or the scheme has no Year or Date column.
[[nodiscard]] std::string partition_predicate(const DateInterval& interval, const PartitionScheme& scheme);

// The months an interval touches, first to last, at most `limit` (then nullopt: too many
// or unbounded). For counting year/month partitions a scan may read.
[[nodiscard]] std::optional<std::vector<absl::CivilMonth>> months_of(const DateInterval& interval, size_t limit);

}  // namespace blueshift::rewrite
