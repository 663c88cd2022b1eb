// count_matching_partitions over what the real analyzer finds: SQL in, the number of the
// demo catalog's sales partitions (2022-2024 x months 01-12) out. Table rows for the
// shapes BI tools write, then a seeded random check against a brute-force count: never
// fewer than the partitions a satisfying row can live in, and exactly that many when the
// predicate is AND/OR of comparisons on the partition columns alone.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>

#include "fixtures.h"
#include "policies/evaluate.h"
#include "rewrite/analyzer.h"
#include "rewrite/bounds.h"
#include "rewrite/facts_text.h"

namespace blueshift::policies {
namespace {

using namespace testing;

const ExternalTable& sales() {
  static const Catalog c = demo_catalog();
  return *c.find_external("spectrum_schema.sales");
}

rewrite::Scan sales_scan(const std::string& where, const std::vector<rewrite::ParamValue>& params = {}) {
  rewrite::QueryFacts f =
      rewrite::analyze("SELECT amount FROM spectrum_schema.sales WHERE " + where, rewrite::AnalysisContext{});
  if (!params.empty()) f = rewrite::substitute_params(f, params);
  return f.statements.at(0).scans.at(0);
}

struct CountRow {
  const char* where;
  int64_t partitions;
};

TEST(PartitionCount, FromSql) {
  const CountRow rows[] = {
      {"year = 2024 AND month = 1", 1},
      {"year = 2024", 12},
      {"year IN (2023, 2024) AND month IN (1, 12)", 4},
      {"(year = 2024 AND month = 1) OR (year = 2023 AND month = 12)", 2},
      {"(year, month) = (2024, 1) OR (year, month) = (2023, 12) OR (year, month) = (2022, 6)", 3},
      {"year = 2024 AND month = 1 OR year = 2023", 13},
      {"(year = 2024 AND month <= 3) OR (year = 2023 AND month >= 10)", 6},
      {"(year = 2024 AND month = 1) OR month = 2", 4},
      {"(year = 2024 AND month = 1) OR (year = 2024 AND month = 2) OR (year = 2023 AND month = 1)", 3},
      {"(year = 2024 OR month = 1) AND (year = 2023 OR month = 2)", 2},  // 2024-02 and 2023-01
      {"((year = 2024 AND month = 1) OR (year = 2023 AND month = 12)) AND month = 1", 1},
      {"((year = 2024 AND month = 1) OR (year = 2023 AND month = 12)) AND amount > 5", 2},
      {"(year = 2024 AND month = 1 AND amount > 5) OR (year = 2023 AND month = 12 AND amount < 0)", 2},
      {"(year = 2024 AND month = 1) OR amount > 5", 36},  // a branch without partition columns
      {"(year = 2024 AND month = 1) OR (year = 2023 AND month = 12) OR year = 1999", 2},
      {"year = ANY('{2023,2024}'::int[]) AND month = ANY(ARRAY[1, 2, 3])", 6},
      {"(year = 2024 AND month = ANY('{1,2}')) OR (year = 2023 AND month = ANY(ARRAY[12]))", 3},
      {"year = ANY('{}'::int[])", 0},
      {"year <> ALL(ARRAY[2022, 2023])", 36},
      {"(year, month) IN ((2024, 1), (2023, 12), (2022, 6))", 3},
  };
  for (const auto& row : rows) {
    const rewrite::Scan scan = sales_scan(row.where);
    EXPECT_EQ(count_matching_partitions(sales(), scan), row.partitions) << row.where << "\nfacts: " << describe(scan);
  }
}

// The same count once $n values arrive at Bind (text and binary format).
TEST(PartitionCount, FromSqlAtBind) {
  auto text = [](const char* v) { return rewrite::ParamValue{std::string(v), false, 0}; };
  auto int4_array = [](std::vector<int32_t> values) {
    auto be = [](uint32_t v) {
      std::string s(4, '\0');
      for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
      return s;
    };
    std::string out = be(1) + be(0) + be(23) + be(static_cast<uint32_t>(values.size())) + be(1);
    for (int32_t v : values) out += be(4) + be(static_cast<uint32_t>(v));
    return rewrite::ParamValue{out, true, 1007};
  };
  struct BindRow {
    const char* where;
    std::vector<rewrite::ParamValue> params;
    int64_t partitions;
  };
  const BindRow rows[] = {
      {"year = ANY($1) AND month = ANY($2)", {text("{2023,2024}"), text("{1,2}")}, 4},
      {"year = ANY($1) AND month = ANY($2)", {int4_array({2024}), int4_array({1, 2, 3})}, 3},
      {"year = ANY($1) AND month = ANY($2)", {text("{2024}"), rewrite::ParamValue{std::nullopt, false, 0}}, 0},
      {"year = ANY($1) AND month = ANY($2)", {text("{2024"), text("{1}")}, 3},  // unreadable: every year
      {"(year = $1 AND month = $2) OR (year = $3 AND month = $4)", {text("2024"), text("1"), text("2023"), text("12")}, 2},
      {"(year = ANY($1) AND month = 1) OR (year = 2022 AND month = ANY($2))", {text("{2023,2024}"), text("{5,6}")}, 4},
  };
  for (const auto& row : rows) {
    const rewrite::Scan scan = sales_scan(row.where, row.params);
    EXPECT_EQ(count_matching_partitions(sales(), scan), row.partitions) << row.where << "\nfacts: " << describe(scan);
  }
}

// An OR of more branches than kept: the per-column bounds alone, so more partitions, never
// fewer.
TEST(PartitionCount, LongOrFallsBackToPerColumnBounds) {
  // n - 1 branches on 2024's months (sale_id keeps them apart), then 2023-01: 13 pairs
  // once n > 12, out of the 24 that year IN (2023, 2024) x month 1..12 allows.
  auto pairs = [](size_t n) {
    std::string where;
    for (size_t i = 0; i + 1 < n; ++i) {
      where += "(year = 2024 AND month = " + std::to_string(i % 12 + 1) + " AND sale_id = " + std::to_string(i) + ") OR ";
    }
    return where + "(year = 2023 AND month = 1)";
  };
  const rewrite::Scan at_cap = sales_scan(pairs(rewrite::kMaxBranches));
  ASSERT_EQ(at_cap.disjunctions.size(), 1u);
  EXPECT_EQ(at_cap.disjunctions[0].size(), rewrite::kMaxBranches);
  EXPECT_EQ(count_matching_partitions(sales(), at_cap), 13);
  const rewrite::Scan over = sales_scan(pairs(rewrite::kMaxBranches + 1));
  EXPECT_TRUE(over.disjunctions.empty());
  EXPECT_EQ(count_matching_partitions(sales(), over), 24);
  // Past the cap inside an AND: that conjunct is left to the per-column bounds, the
  // other still pairs up. 2024-01 and 2023-02 (which only the long OR's pairs would
  // exclude): 2, where per-column bounds alone give 2 years x months {1, 2} = 4.
  const rewrite::Scan and_over = sales_scan("(" + pairs(rewrite::kMaxBranches + 1) +
                                            ") AND ((year = 2024 AND month = 1) OR (year = 2023 AND month = 2))");
  ASSERT_EQ(and_over.disjunctions.size(), 1u);
  EXPECT_EQ(and_over.disjunctions[0].size(), 2u);
  EXPECT_EQ(count_matching_partitions(sales(), and_over), 2);
}

// ---- random predicates against a brute-force count -----------------------------------

struct Pred {
  std::string sql;
  std::function<bool(int year, int month, int amount)> eval;
};

class Generator {
 public:
  Generator(uint64_t seed, bool exact, int depth) : rng_(seed), exact_(exact), top_(depth) {}

  // A new random predicate.
  Pred next() {
    row_ins_ = 0;
    return predicate(top_);
  }

 private:
  Pred predicate(int depth) {
    const int pick = static_cast<int>(rng_() % 10);
    if (depth > 0 && pick < 5) {
      Pred a = predicate(depth - 1), b = predicate(depth - 1);
      auto fa = a.eval, fb = b.eval;
      if (rng_() % 2 == 0) {
        return {"(" + a.sql + " AND " + b.sql + ")", [fa, fb](int y, int m, int x) { return fa(y, m, x) && fb(y, m, x); }};
      }
      return {"(" + a.sql + " OR " + b.sql + ")", [fa, fb](int y, int m, int x) { return fa(y, m, x) || fb(y, m, x); }};
    }
    if (!exact_ && depth > 0 && pick == 5) {
      Pred a = predicate(depth - 1);
      auto fa = a.eval;
      return {"NOT " + a.sql, [fa](int y, int m, int x) { return !fa(y, m, x); }};
    }
    return atom();
  }

  Pred atom() {
    const int column = static_cast<int>(rng_() % (exact_ ? 2 : 3));
    const char* names[] = {"year", "month", "amount"};
    const std::string col = names[column];
    auto get = [column](int y, int m, int x) { return column == 0 ? y : column == 1 ? m : x; };
    auto value = [&] { return column == 0 ? 2021 + static_cast<int>(rng_() % 5) : static_cast<int>(rng_() % 14); };
    const int a = value(), b = value();
    const std::string sa = std::to_string(a), sb = std::to_string(b);
    switch (rng_() % (exact_ ? 9 : 11)) {
      case 0: return {col + " = " + sa, [=](int y, int m, int x) { return get(y, m, x) == a; }};
      case 1: return {col + " < " + sa, [=](int y, int m, int x) { return get(y, m, x) < a; }};
      case 2: return {col + " >= " + sa, [=](int y, int m, int x) { return get(y, m, x) >= a; }};
      case 3:
        return {col + " BETWEEN " + sa + " AND " + sb, [=](int y, int m, int x) { return a <= get(y, m, x) && get(y, m, x) <= b; }};
      case 4: return {col + " IN (" + sa + ", " + sb + ")", [=](int y, int m, int x) { return get(y, m, x) == a || get(y, m, x) == b; }};
      case 5:
        return {col + " = ANY('{" + sa + "," + sb + "}'::int[])",
                [=](int y, int m, int x) { return get(y, m, x) == a || get(y, m, x) == b; }};
      case 6:
        return {"(" + col + ", 1) = (" + sa + ", 1)", [=](int y, int m, int x) { return get(y, m, x) == a; }};
      case 7: return {col + " <= " + sa, [=](int y, int m, int x) { return get(y, m, x) <= a; }};
      case 8: {  // a row IN list pairs year and month (two per predicate: see the exact test)
        if (row_ins_ == 2) return {col + " = " + sa, [=](int y, int m, int x) { return get(y, m, x) == a; }};
        ++row_ins_;
        const int y1 = 2021 + static_cast<int>(rng_() % 5), y2 = 2021 + static_cast<int>(rng_() % 5);
        const int m1 = static_cast<int>(rng_() % 14), m2 = static_cast<int>(rng_() % 14);
        return {"(year, month) IN ((" + std::to_string(y1) + ", " + std::to_string(m1) + "), (" + std::to_string(y2) +
                    ", " + std::to_string(m2) + "))",
                [=](int y, int m, int) { return (y == y1 && m == m1) || (y == y2 && m == m2); }};
      }
      case 9: return {col + " <> " + sa, [=](int y, int m, int x) { return get(y, m, x) != a; }};
      default: return {"1 = 1", [](int, int, int) { return true; }};
    }
  }

  std::mt19937_64 rng_;
  bool exact_;
  int top_ = 3;      // depth of the tree
  int row_ins_ = 0;  // row IN atoms in the predicate being built
};

uint64_t test_seed() {
  if (const char* s = std::getenv("BLUESHIFT_TEST_SEED")) return std::strtoull(s, nullptr, 10);
  return 20240601;
}

// Partitions some row satisfying the predicate can live in (amount ranges over a few values).
int64_t brute_force(const Pred& p) {
  int64_t n = 0;
  for (int year = 2022; year <= 2024; ++year) {
    for (int month = 1; month <= 12; ++month) {
      for (int amount : {0, 5, 13}) {
        if (p.eval(year, month, amount)) {
          ++n;
          break;
        }
      }
    }
  }
  return n;
}

TEST(PartitionCount, RandomPredicatesCountExactlyWithinTheCap) {
  const uint64_t seed = test_seed();
  std::printf("[ seed ] BLUESHIFT_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));
  Generator gen(seed, /*exact=*/true, /*depth=*/3);
  int narrowed = 0;  // cases where the disjunctions made the count smaller than per-column bounds give
  for (int i = 0; i < 400; ++i) {
    // At most 8 atoms, at most 2 of them a two-row IN: at most 36 branches, under the cap.
    const Pred p = gen.next();
    rewrite::Scan scan = sales_scan(p.sql);
    const int64_t expected = brute_force(p);
    const int64_t counted = count_matching_partitions(sales(), scan);
    ASSERT_EQ(counted, expected) << "seed " << seed << " case " << i << "\nWHERE " << p.sql << "\nfacts: " << describe(scan);
    scan.disjunctions.clear();
    if (count_matching_partitions(sales(), scan) > counted) ++narrowed;
  }
  EXPECT_GT(narrowed, 20) << "the generator should produce ORs that pair up year and month";
}

TEST(PartitionCount, RandomPredicatesNeverUndercount) {
  const uint64_t seed = test_seed();
  std::printf("[ seed ] BLUESHIFT_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));
  Generator gen(seed, /*exact=*/false, /*depth=*/4);
  for (int i = 0; i < 400; ++i) {
    const Pred p = gen.next();
    const rewrite::Scan scan = sales_scan(p.sql);
    ASSERT_GE(count_matching_partitions(sales(), scan), brute_force(p))
        << "seed " << seed << " case " << i << "\nWHERE " << p.sql << "\nfacts: " << describe(scan);
  }
}

}  // namespace
}  // namespace blueshift::policies
