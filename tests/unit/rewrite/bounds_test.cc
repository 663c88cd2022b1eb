// Bound helpers, exercised on bounds produced by the analyzer itself so each row reads
// as SQL: "WHERE <predicate>" -> is it finite, which partition values match.
#include "rewrite/bounds.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rewrite/analyzer.h"

namespace blueshift::rewrite {
namespace {

// The bound the analyzer derives for `column` from `where` (True when none).
Bound bound_of(const std::string& where, const std::string& column = "year") {
  const QueryFacts f = analyze("SELECT * FROM spectrum_schema.sales WHERE " + where, AnalysisContext{});
  const auto& bounds = f.statements.at(0).scans.at(0).bounds;
  auto it = bounds.find(column);
  return it == bounds.end() ? Bound{} : it->second;
}

struct FiniteRow {
  const char* where;
  bool finite;
};

const FiniteRow kFiniteRows[] = {
    {"year = 2024", true},
    {"year IN (2023, 2024)", true},
    {"year BETWEEN 2020 AND 2022", true},
    {"year >= 2020 AND year < 2023", true},
    {"year >= 2020", false},
    {"year < 2020", false},
    {"year = 2024 OR year = 2023", true},
    {"year = 2024 OR year > 2000", false},
    {"(year >= 2020 OR year = 1) AND (year <= 2022 OR year = 3000)", true},
    {"year >= 2020 OR year <= 2022", false},
    {"year = $1", true},
    {"year IS NULL", true},
    {"year = NULL", true},
    {"amount > 1", false},
    {"year > 2020 AND amount < 5", false},
    {"year = 2024 AND year > 1", true},
};

TEST(Bounds, IsFinite) {
  for (const auto& row : kFiniteRows) {
    EXPECT_EQ(is_finite(bound_of(row.where)), row.finite) << row.where << " -> " << describe(bound_of(row.where), "year");
  }
}

struct MatchRow {
  const char* where;
  const char* column;
  const char* value;
  bool matches;
};

const MatchRow kMatchRows[] = {
    {"month = 1", "month", "01", true},   // numeric compare: "01" = 1
    {"month = '1'", "month", "01", true},  // both read as numbers
    {"month = 1", "month", "02", false},
    {"month IN (1, 2)", "month", "2", true},
    {"month IN (1, 2)", "month", "3", false},
    {"year > 2020", "year", "2021", true},
    {"year > 2020", "year", "2020", false},
    {"year >= 2020", "year", "2020", true},
    {"year < 2020", "year", "2019", true},
    {"year <= 2020", "year", "2021", false},
    {"year BETWEEN 2020 AND 2022", "year", "2022", true},
    {"year BETWEEN 2020 AND 2022", "year", "2023", false},
    {"year = 2024 OR year = 2022", "year", "2022", true},
    {"year >= 2020 AND year < 2023", "year", "2023", false},
    {"year = $1", "year", "1999", true},  // unresolved: conservative
    {"sale_date >= '2024-01-01'", "sale_date", "2024-01-05", true},
    {"sale_date >= '2024-01-01'", "sale_date", "2023-12-31", false},
    {"sale_date = DATE '2024-01-05'", "sale_date", "2024-01-05", true},
    {"region = 'EU'", "region", "eu", false},  // strings compare as bytes
    {"year IS NULL", "year", "__HIVE_DEFAULT_PARTITION__", true},
    {"year IS NULL", "year", "2024", false},
    {"year = NULL", "year", "2024", false},
    {"amount > 1", "year", "1", true},  // no bound on year: matches all
    {"month = 10", "month", "10.0", true},
    {"amount < -1.5", "amount", "-2", true},
    {"amount < -1.5", "amount", "-1", false},
};

TEST(Bounds, Matches) {
  for (const auto& row : kMatchRows) {
    const Bound b = bound_of(row.where, row.column);
    EXPECT_EQ(matches(b, row.value), row.matches) << row.where << " vs " << row.value << " (" << describe(b, row.column) << ")";
  }
}

TEST(Bounds, CompareValues) {
  EXPECT_EQ(compare_values("01", "1"), 0);
  EXPECT_EQ(compare_values("1.50", "1.5"), 0);
  EXPECT_EQ(compare_values("-0", "0"), 0);
  EXPECT_EQ(compare_values("10", "9"), 1);          // numeric, not lexicographic
  EXPECT_EQ(compare_values("-10", "-9"), -1);
  EXPECT_EQ(compare_values("1e3", "1000"), 0);
  EXPECT_EQ(compare_values("99999999999999999999", "99999999999999999998"), 1);  // beyond double precision
  EXPECT_EQ(compare_values("abc", "abd"), -1);
  EXPECT_EQ(compare_values("10", "9a"), -1);        // not both numeric: bytes
}

TEST(Bounds, Describe) {
  EXPECT_EQ(describe(bound_of("year = 2024"), "year"), "year = 2024");
  EXPECT_EQ(describe(bound_of("month IN ('01', '02')", "month"), "month"), "month IN ('01', '02')");
  EXPECT_EQ(describe(bound_of("year = 2023 OR year = 2024"), "year"), "year = 2023 OR year = 2024");
  EXPECT_EQ(describe(bound_of("(year = 1 OR year = 2) AND year > 0"), "year"), "(year = 1 OR year = 2) AND year > 0");
  EXPECT_EQ(describe(bound_of("year BETWEEN $1 AND $2"), "year"), "year BETWEEN $1 AND $2");
  EXPECT_EQ(describe(bound_of("year IS NULL"), "year"), "year IS NULL");
  EXPECT_EQ(describe(bound_of("note = 'it''s'", "note"), "note"), "note = 'it''s'");
}

std::string be(uint64_t v, int bytes) {
  std::string s;
  for (int i = bytes - 1; i >= 0; --i) s += static_cast<char>((v >> (i * 8)) & 0xff);
  return s;
}

TEST(Bounds, SubstituteTextParams) {
  const Bound b = bound_of("year = $1 AND month IN ($2, $3)");
  ASSERT_TRUE(has_params(b));
  const Bound year = substitute_params(bound_of("year = $1"), std::vector<std::optional<std::string>>{"2024"});
  EXPECT_FALSE(has_params(year));
  EXPECT_EQ(describe(year, "year"), "year = 2024");
  EXPECT_TRUE(matches(year, "2024"));
  EXPECT_FALSE(matches(year, "2023"));
  // Not enough values: the placeholder stays and matches conservatively.
  const Bound partial = substitute_params(bound_of("month IN ($2, $3)", "month"),
                                          std::vector<std::optional<std::string>>{"x", "4"});
  EXPECT_EQ(describe(partial, "month"), "month IN (4, $3)");
  EXPECT_TRUE(matches(partial, "9"));
}

TEST(Bounds, SubstituteNull) {
  const Bound eq = substitute_params(bound_of("year = $1"), std::vector<std::optional<std::string>>{std::nullopt});
  EXPECT_EQ(eq.op, Bound::Op::False);
  EXPECT_FALSE(matches(eq, "2024"));
  const Bound in = substitute_params(bound_of("year IN ($1, 2020)"), std::vector<std::optional<std::string>>{std::nullopt});
  EXPECT_EQ(describe(in, "year"), "year IN (2020)");
  const Bound either = substitute_params(bound_of("year = $1 OR year = 2020"),
                                         std::vector<std::optional<std::string>>{std::nullopt});
  EXPECT_EQ(describe(either, "year"), "year = 2020");
}

struct BinaryRow {
  const char* name;
  ParamValue param;
  const char* text;  // nullptr: not decodable
  bool numeric;
};

TEST(Bounds, DecodeBinaryParams) {
  const BinaryRow rows[] = {
      {"int2", {be(2024, 2), true, 21}, "2024", true},
      {"int2_negative", {be(0xfffe, 2), true, 21}, "-2", true},
      {"int4", {be(2024, 4), true, 23}, "2024", true},
      {"int4_negative", {be(0xffffffffu, 4), true, 23}, "-1", true},
      {"int8", {be(20240101, 8), true, 20}, "20240101", true},
      {"int4_wrong_size", {be(1, 2), true, 23}, nullptr, false},
      {"float8", {be(0x4000000000000000ull, 8), true, 701}, "2", true},
      {"bool", {std::string(1, '\1'), true, 16}, "true", false},
      {"date", {be(8766, 4), true, 1082}, "2024-01-01", false},
      {"date_before_2000", {be(static_cast<uint32_t>(-1), 4), true, 1082}, "1999-12-31", false},
      {"numeric_12_5", {be(2, 2) + be(0, 2) + be(0, 2) + be(1, 2) + be(12, 2) + be(5000, 2), true, 1700}, "12.5", true},
      {"numeric_negative_small",
       {be(1, 2) + be(0xffff, 2) + be(0x4000, 2) + be(4, 2) + be(25, 2), true, 1700}, "-0.0025", true},
      {"text_binary", {std::string("2024"), true, 25}, "2024", false},
      {"unknown_binary", {be(1, 4), true, 0}, nullptr, false},
      {"text_format_numeric_type", {std::string("07"), false, 23}, "07", true},
      {"text_format_untyped", {std::string("2024-01-01"), false, 0}, "2024-01-01", false},
  };
  for (const auto& row : rows) {
    auto v = decode_param(row.param);
    if (row.text == nullptr) {
      EXPECT_FALSE(v.has_value()) << row.name;
      continue;
    }
    ASSERT_TRUE(v.has_value()) << row.name;
    EXPECT_EQ(v->text, row.text) << row.name;
    EXPECT_EQ(v->numeric, row.numeric) << row.name;
  }
}

TEST(Bounds, SubstituteBinaryIntoQueryFacts) {
  const QueryFacts f = analyze("SELECT * FROM spectrum_schema.sales WHERE year = $1 AND month = $2", AnalysisContext{});
  const QueryFacts bound = substitute_params(f, {ParamValue{be(2024, 4), true, 23}, ParamValue{std::string("3"), false, 0}});
  const auto& b = bound.statements.at(0).scans.at(0).bounds;
  EXPECT_EQ(describe(b.at("year"), "year"), "year = 2024");
  EXPECT_EQ(describe(b.at("month"), "month"), "month = 3");
  EXPECT_TRUE(matches(b.at("month"), "03"));
  // An undecodable binary value stays a placeholder.
  const QueryFacts opaque = substitute_params(f, {ParamValue{be(1, 4), true, 0}});
  EXPECT_TRUE(has_params(opaque.statements.at(0).scans.at(0).bounds.at("year")));
}

}  // namespace
}  // namespace blueshift::rewrite
