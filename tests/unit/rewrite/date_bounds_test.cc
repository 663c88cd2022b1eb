// Date filters as BI tools write them -> the days they let through -> the partition
// predicates that hold those days. Each row reads as SQL: "WHERE <filter>" on
// spectrum_schema.sales, analysed by the analyzer itself, at a fixed clock.
#include "rewrite/date_bounds.h"

#include <gtest/gtest.h>

#include <string>

#include "rewrite/analyzer.h"
#include "rewrite/bounds.h"

namespace blueshift::rewrite {
namespace {

// 2024-05-15 10:30:00 UTC, a Wednesday.
DateClock clock_at_noonish() {
  DateClock c;
  c.now = absl::FromCivil(absl::CivilSecond(2024, 5, 15, 10, 30, 0), absl::UTCTimeZone());
  return c;
}

Bound sale_date_bound(const std::string& where) {
  const QueryFacts f = analyze("SELECT * FROM spectrum_schema.sales WHERE " + where, AnalysisContext{});
  const auto& bounds = f.statements.at(0).scans.at(0).bounds;
  auto it = bounds.find("sale_date");
  return it == bounds.end() ? Bound{} : it->second;
}

std::string text(const DateInterval& i) {
  if (i.empty) return "empty";
  auto day = [](const std::optional<absl::CivilDay>& d) {
    if (!d) return std::string("-");
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d->year()), d->month(), d->day());
    return std::string(buf);
  };
  return day(i.first) + ".." + day(i.last);
}

struct IntervalRow {
  const char* where;
  const char* days;  // first..last, "-" for an open end
};

const IntervalRow kIntervalRows[] = {
    // Literal forms.
    {"sale_date = DATE '2024-01-01'", "2024-01-01..2024-01-01"},
    {"sale_date >= DATE '2024-01-01' AND sale_date < DATE '2024-03-01'", "2024-01-01..2024-02-29"},
    {"sale_date >= '2024-01-01'::date AND sale_date <= '2024-03-01'::date", "2024-01-01..2024-03-01"},
    {"sale_date >= CAST('2024-01-01' AS DATE) AND sale_date < CAST('2024-02-01' AS DATE)", "2024-01-01..2024-01-31"},
    {"sale_date >= TIMESTAMP '2024-01-01 00:00:00.000' AND sale_date < TIMESTAMP '2024-03-01 00:00:00.000'",
     "2024-01-01..2024-02-29"},
    {"sale_date < TIMESTAMP '2024-03-01 12:00:00'", "-..2024-03-01"},  // the 1st is before noon
    {"sale_date BETWEEN '2023-12-30' AND '2024-01-02'", "2023-12-30..2024-01-02"},
    {"sale_date IN ('2024-02-01', '2023-07-04')", "2023-07-04..2024-02-01"},
    {"sale_date > '2024-01-01'", "2024-01-01..-"},  // a timestamp column holds later that day
    {"'2024-06-30' >= sale_date", "-..2024-06-30"},
    {"sale_date = NULL", "empty"},
    {"sale_date >= '2024-05-01' AND sale_date < '2024-04-01'", "empty"},
    {"(sale_date = '2024-01-05' OR sale_date = '2024-03-05')", "2024-01-05..2024-03-05"},
    {"EXTRACT(YEAR FROM sale_date) = 2023", "2023-01-01..2023-12-31"},
    {"date_part('year', sale_date) >= 2023 AND 2024 >= extract(year from sale_date)", "2023-01-01..2024-12-31"},
    {"TO_DATE('2024-03-05', 'YYYY-MM-DD') <= sale_date", "2024-03-05..-"},
    {"sale_date < TO_TIMESTAMP('20240305', 'YYYYMMDD')", "-..2024-03-04"},
    {"sale_date >= DATE '2024-01-31' + INTERVAL '1 month'", "2024-02-29..-"},
    {"sale_date >= DATE_TRUNC('month', DATE '2024-03-17')", "2024-03-01..-"},
    // A zone after a date (PostgreSQL JDBC's setDate) is approximate: widened by a day.
    {"sale_date >= '2024-01-01 +02' AND sale_date < '2024-02-01 -05:30'", "2023-12-31..2024-02-02"},
    // From the clock (2024-05-15 10:30 UTC), widened by a day each way.
    {"sale_date >= current_date", "2024-05-14..-"},
    {"sale_date >= now() - INTERVAL '7 days'", "2024-05-07..-"},
    {"sale_date > getdate() - 30", "2024-04-14..-"},
    {"sale_date >= DATEADD(month, -1, current_date)", "2024-04-14..-"},
    {"sale_date >= DATE_TRUNC('month', current_date) AND sale_date < current_date", "2024-04-30..2024-05-16"},
    {"sale_date >= DATE_TRUNC('year', now()) - INTERVAL '1 year 2 months'", "2022-10-31..-"},
    {"sale_date >= dateadd(day, -7, trunc(getdate()))", "2024-05-07..-"},
    {"sale_date BETWEEN current_date - 1 AND current_date", "2024-05-13..2024-05-16"},
    {"sale_date >= DATE_TRUNC('week', current_date)", "2024-05-12..-"},
    // Nothing readable: unbounded.
    {"sale_date >= $1", "-..-"},
    {"sale_date >= '05/01/2024'", "-..-"},
    {"sale_date >= '2024-01-01 BC'", "-..-"},
    {"sale_date >= '2024-01-01 +02x'", "-..-"},
    {"sale_date >= some_function()", "-..-"},
    {"sale_date >= now() - INTERVAL '1' DAY", "-..-"},
    {"sale_date > 20240101", "-..-"},
    {"sale_date >= '2024-01-01' OR amount > 5", "-..-"},
    {"year = 2024", "-..-"},
};

TEST(DateBounds, IntervalOfEachForm) {
  const DateClock clock = clock_at_noonish();
  for (const auto& row : kIntervalRows) {
    const Bound b = sale_date_bound(row.where);
    EXPECT_EQ(text(date_interval(b, clock)), row.days) << row.where << "  (bound: " << describe(b, "sale_date") << ")";
  }
}

// A date computed from the clock never bounds policies' view of a scan: the warehouse
// does not prune on it (prunes false), whatever the routing reads from it.
TEST(DateBounds, ComputedDatesAreNotPrunedOn) {
  const Scan scan = analyze("SELECT * FROM spectrum_schema.sales WHERE sale_date >= now() - interval '1 day' "
                            "AND sale_date <= current_date",
                            AnalysisContext{})
                        .statements.at(0)
                        .scans.at(0);
  EXPECT_TRUE(is_finite(scan.bounds.at("sale_date")));
  EXPECT_TRUE(has_unpruned(scan));
  EXPECT_EQ(pruning_scan(scan).bounds.count("sale_date") ? pruning_scan(scan).bounds.at("sale_date").op : Bound::Op::True,
            Bound::Op::True);
}

PartitionScheme year_month() { return {{"year", PartitionField::Year}, {"month", PartitionField::Month}}; }

DateInterval days(std::optional<absl::CivilDay> first, std::optional<absl::CivilDay> last) {
  return DateInterval{first, last, false};
}

struct PredicateRow {
  DateInterval interval;
  PartitionScheme scheme;
  const char* predicate;
};

TEST(DateBounds, PartitionPredicates) {
  using D = absl::CivilDay;
  const PredicateRow rows[] = {
      {days(D(2024, 1, 1), D(2024, 2, 29)), year_month(), R"(("year" = 2024 AND "month" BETWEEN 1 AND 2))"},
      {days(D(2024, 3, 5), D(2024, 3, 9)), year_month(), R"(("year" = 2024 AND "month" = 3))"},
      {days(D(2024, 1, 1), D(2024, 12, 31)), year_month(), R"(("year" = 2024 AND "month" BETWEEN 1 AND 12))"},
      {days(D(2022, 3, 1), D(2024, 5, 2)), year_month(),
       R"((("year" = 2022 AND "month" BETWEEN 3 AND 12) OR ("year" = 2023 AND "month" BETWEEN 1 AND 12) OR )"
       R"(("year" = 2024 AND "month" BETWEEN 1 AND 5)))"},
      {days(D(2022, 11, 1), D(2023, 2, 1)), year_month(),
       R"((("year" = 2022 AND "month" BETWEEN 11 AND 12) OR ("year" = 2023 AND "month" BETWEEN 1 AND 2)))"},
      {days(D(2021, 1, 1), D(2023, 6, 1)), year_month(), R"((("year" BETWEEN 2021 AND 2022 AND "month" BETWEEN 1 AND 12) OR ("year" = 2023 AND "month" BETWEEN 1 AND 6)))"},
      {days(D(2024, 10, 1), std::nullopt), year_month(), R"((("year" = 2024 AND "month" BETWEEN 10 AND 12) OR ("year" >= 2025 AND "month" BETWEEN 1 AND 12)))"},
      {days(std::nullopt, D(2022, 12, 31)), year_month(), R"(("year" <= 2022 AND "month" BETWEEN 1 AND 12))"},
      {days(D(2023, 6, 1), D(2024, 1, 1)), {{"year", PartitionField::Year}}, R"("year" BETWEEN 2023 AND 2024)"},
      {days(D(2024, 2, 27), D(2024, 3, 2)), {{"dt", PartitionField::Date}}, R"("dt" BETWEEN '2024-02-27' AND '2024-03-02')"},
      {days(D(2024, 2, 27), std::nullopt), {{"Dt", PartitionField::Date}}, R"("Dt" >= '2024-02-27')"},
      {days(std::nullopt, std::nullopt), year_month(), ""},
      {DateInterval{std::nullopt, std::nullopt, true}, year_month(), ""},
      {days(D(2024, 1, 1), D(2024, 1, 2)), {{"month", PartitionField::Month}}, ""},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(partition_predicate(row.interval, row.scheme), row.predicate) << text(row.interval);
  }
}

TEST(DateBounds, MonthsOfAnInterval) {
  using D = absl::CivilDay;
  auto months = months_of(days(D(2023, 11, 30), D(2024, 2, 1)), 36);
  ASSERT_TRUE(months);
  ASSERT_EQ(months->size(), 4u);
  EXPECT_EQ(months->front(), absl::CivilMonth(2023, 11));
  EXPECT_EQ(months->back(), absl::CivilMonth(2024, 2));
  EXPECT_FALSE(months_of(days(D(2020, 1, 1), D(2024, 2, 1)), 36));
  EXPECT_FALSE(months_of(days(D(2020, 1, 1), std::nullopt), 36));
  EXPECT_TRUE(months_of(DateInterval{std::nullopt, std::nullopt, true}, 36)->empty());
}

}  // namespace
}  // namespace blueshift::rewrite
