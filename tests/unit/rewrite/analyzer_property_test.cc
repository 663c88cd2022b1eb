// Random predicates, checked for soundness: a row that satisfies the WHERE clause must
// never be excluded by the bounds analysis derived for its partition columns. The
// predicate is evaluated here directly over a grid of rows, for several placements of
// the predicate (WHERE, subquery, CTE, LEFT JOIN ON, join, UNION); likewise, such a row
// must satisfy some branch of every disjunction kept for the scan. Seeded; the seed is
// printed (set BLUESHIFT_TEST_SEED to replay).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>

#include "rewrite/analyzer.h"
#include "rewrite/bounds.h"
#include "rewrite/facts_text.h"
#include "test_catalog.h"

namespace blueshift::rewrite {
namespace {

struct RowValues {
  int year;
  int month;
  int amount;
};

struct Expr {
  std::string sql;
  std::function<bool(const RowValues&)> eval;
};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Expr predicate(int depth) {
    const int pick = static_cast<int>(rng_() % 10);
    if (depth > 0 && pick < 3) {
      Expr a = predicate(depth - 1), b = predicate(depth - 1);
      const bool is_and = rng_() % 2 == 0;
      auto fa = a.eval, fb = b.eval;
      if (is_and) return {"(" + a.sql + " AND " + b.sql + ")", [fa, fb](const RowValues& r) { return fa(r) && fb(r); }};
      return {"(" + a.sql + " OR " + b.sql + ")", [fa, fb](const RowValues& r) { return fa(r) || fb(r); }};
    }
    if (depth > 0 && pick == 3) {
      Expr a = predicate(depth - 1);
      auto fa = a.eval;
      return {"NOT " + a.sql, [fa](const RowValues& r) { return !fa(r); }};
    }
    return atom();
  }

 private:
  int value_for(int column) {
    if (column == 0) return 2019 + static_cast<int>(rng_() % 7);
    if (column == 1) return static_cast<int>(rng_() % 14);
    return static_cast<int>(rng_() % 200);
  }

  std::string literal(int v, int column) {
    switch (rng_() % 4) {
      case 0: return std::to_string(v);
      case 1: return "'" + std::to_string(v) + "'::int";
      case 2: return column == 1 && v < 10 ? "'0" + std::to_string(v) + "'" : "'" + std::to_string(v) + "'";
      default: return "CAST(" + std::to_string(v) + " AS bigint)";
    }
  }

  Expr atom() {
    const int column = static_cast<int>(rng_() % 3);
    const char* names[] = {"year", "month", "amount"};
    const std::string col = std::string(rng_() % 4 == 0 ? "s." : "") + names[column];
    auto get = [column](const RowValues& r) { return column == 0 ? r.year : column == 1 ? r.month : r.amount; };
    const int a = value_for(column), b = value_for(column), c = value_for(column);
    switch (rng_() % 15) {
      case 0: return {col + " = " + literal(a, column), [=](const RowValues& r) { return get(r) == a; }};
      case 1: return {literal(a, column) + " = " + col, [=](const RowValues& r) { return get(r) == a; }};
      case 2: return {col + " < " + literal(a, column), [=](const RowValues& r) { return get(r) < a; }};
      case 3: return {literal(a, column) + " <= " + col, [=](const RowValues& r) { return a <= get(r); }};
      case 4: return {col + " > " + literal(a, column), [=](const RowValues& r) { return get(r) > a; }};
      case 5: return {col + " >= " + literal(a, column), [=](const RowValues& r) { return get(r) >= a; }};
      case 6:
        return {col + " BETWEEN " + literal(a, column) + " AND " + literal(b, column),
                [=](const RowValues& r) { return a <= get(r) && get(r) <= b; }};
      case 7:
        return {col + " IN (" + literal(a, column) + ", " + literal(b, column) + ", " + literal(c, column) + ")",
                [=](const RowValues& r) { return get(r) == a || get(r) == b || get(r) == c; }};
      case 8: return {col + " <> " + literal(a, column), [=](const RowValues& r) { return get(r) != a; }};
      case 9: return {col + " + 0 = " + std::to_string(a), [=](const RowValues& r) { return get(r) == a; }};
      case 10: return {"1 = 1", [](const RowValues&) { return true; }};
      case 11:
        return {col + " = ANY(ARRAY[" + literal(a, column) + ", " + literal(b, column) + "])",
                [=](const RowValues& r) { return get(r) == a || get(r) == b; }};
      case 12: {
        const std::string cast = rng_() % 2 == 0 ? "::int[]" : "";
        return {col + " = ANY('{" + std::to_string(a) + ", " + std::to_string(b) + "}'" + cast + ")",
                [=](const RowValues& r) { return get(r) == a || get(r) == b; }};
      }
      case 13:
        return {col + " <> ALL(ARRAY[" + literal(a, column) + ", " + literal(b, column) + "])",
                [=](const RowValues& r) { return get(r) != a && get(r) != b; }};
      default:
        return {col + " NOT IN (" + literal(a, column) + ", " + literal(b, column) + ")",
                [=](const RowValues& r) { return get(r) != a && get(r) != b; }};
    }
  }

  std::mt19937_64 rng_;
};

std::string sql_placement_note(const std::string& p) { return "placement: " + p; }

uint64_t test_seed() {
  if (const char* s = std::getenv("BLUESHIFT_TEST_SEED")) return std::strtoull(s, nullptr, 10);
  return 20240501;
}

// Where the random predicate goes; {P} is replaced by it. Each placement restricts the
// rows of spectrum_schema.sales that matter to exactly those satisfying the predicate.
const char* const kPlacements[] = {
    "SELECT * FROM spectrum_schema.sales s WHERE {P}",
    "SELECT * FROM (SELECT * FROM spectrum_schema.sales) s WHERE {P}",
    "WITH s AS (SELECT sale_id, year, month, amount FROM spectrum_schema.sales) SELECT count(*) FROM s WHERE {P}",
    "SELECT * FROM public.customers c LEFT JOIN spectrum_schema.sales s ON s.customer_id = c.id AND ({P})",
    "SELECT * FROM public.customers c JOIN spectrum_schema.sales s ON s.customer_id = c.id WHERE {P}",
    "SELECT * FROM (SELECT year, month, amount FROM spectrum_schema.sales UNION ALL SELECT 1, 2, 3) s WHERE {P}",
};

class AnalyzerProperty : public ::testing::TestWithParam<const char*> {};

TEST_P(AnalyzerProperty, BoundsNeverExcludeASatisfyingRow) {
  const uint64_t seed = test_seed();
  std::printf("[ seed ] BLUESHIFT_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));
  Generator gen(seed);
  const std::string placement = GetParam();
  int bounded = 0;
  int with_disjunctions = 0;
  for (int i = 0; i < 300; ++i) {
    const Expr p = gen.predicate(3);
    std::string sql = placement;
    sql.replace(sql.find("{P}"), 3, p.sql);
    // The catalog lets unqualified columns in the join placements find their table.
    const QueryFacts f = analyze(sql, testing::catalog_context());
    ASSERT_EQ(f.statements.size(), 1u) << sql;
    const Scan* scan = nullptr;
    for (const auto& sc : f.statements[0].scans) {
      if (sc.table.qualified() == "spectrum_schema.sales") scan = &sc;
    }
    ASSERT_NE(scan, nullptr) << sql;
    const auto& bounds = scan->bounds;
    if (!bounds.empty()) ++bounded;
    if (!scan->disjunctions.empty()) ++with_disjunctions;
    for (int year = 2018; year <= 2026; ++year) {
      for (int month = 0; month <= 14; ++month) {
        for (int amount : {0, 50, 199}) {
          const RowValues row{year, month, amount};
          if (!p.eval(row)) continue;
          // Partition values as a catalog lists them: month zero-padded.
          char mm[8];
          std::snprintf(mm, sizeof mm, "%02d", month);
          const std::pair<const char*, std::string> cols[] = {
              {"year", std::to_string(year)}, {"month", mm}, {"amount", std::to_string(amount)}};
          for (const auto& [col, value] : cols) {
            auto it = bounds.find(col);
            if (it == bounds.end()) continue;
            ASSERT_TRUE(matches(it->second, value))
                << "seed " << seed << " case " << i << "\nSQL: " << sql << "\nfacts: " << describe(f) << "\nrow year="
                << year << " month=" << month << " amount=" << amount << " excluded by " << col;
          }
          // And in every disjunction, some branch holds for the row.
          for (const auto& d : scan->disjunctions) {
            const bool some = std::any_of(d.begin(), d.end(), [&](const ColumnBounds& branch) {
              return std::all_of(std::begin(cols), std::end(cols), [&](const auto& cv) {
                auto it = branch.find(cv.first);
                return it == branch.end() || matches(it->second, cv.second);
              });
            });
            ASSERT_TRUE(some) << "seed " << seed << " case " << i << "\nSQL: " << sql << "\nfacts: " << describe(f)
                              << "\nrow year=" << year << " month=" << month << " amount=" << amount
                              << " excluded by the disjunction " << describe(d);
          }
        }
      }
    }
  }
  // The generator must actually produce bounded queries, or the test proves nothing.
  EXPECT_GT(bounded, 60) << sql_placement_note(placement);
  EXPECT_GT(with_disjunctions, 3) << sql_placement_note(placement);
}

INSTANTIATE_TEST_SUITE_P(Placements, AnalyzerProperty, ::testing::ValuesIn(kPlacements));

}  // namespace
}  // namespace blueshift::rewrite
