// Bound helpers, exercised on bounds produced by the analyzer itself so each row reads
// as SQL: "WHERE <predicate>" -> is it finite, which partition values match.
#include "rewrite/bounds.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rewrite/analyzer.h"
#include "rewrite/array_value.h"

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
    {"year < ANY(ARRAY[2024]) AND year > ALL(ARRAY[2020, 2021])", true},
    {"year <= ANY(ARRAY[2024])", false},
    {"year >= ALL(ARRAY[2024]) AND year < 2030", true},
    {"year = ALL(ARRAY[2024, 2024])", true},
    {"year = ALL(ARRAY[2023, 2024])", true},   // a contradiction
    {"year < ALL('{}'::int[]) AND year > 2000", false},  // ALL of nothing bounds nothing
    {"year < ANY($1) AND year >= ANY($2)", true},
    {"year < ALL($1) AND year >= ANY($2)", false},  // $1 may be empty
    {"year = ALL($1)", false},
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
  // Plain integers take a short path; it must agree with the general one.
  struct Row {
    const char* a;
    const char* b;
    int expected;
  };
  const Row rows[] = {
      {"+5", "5", 0},   {"-0", "+0", 0},  {"007", "7", 0},     {"-3", "-12", 1},    {"2024", "2024.0", 0},
      {"1", " 1", 0},   {"-", "-", 0},    {"+", "1", -1},      {"", "0", -1},       {"12", "1e1", 1},
      {"123456789012345678", "123456789012345679", -1},     // 18 digits: short path
      {"1234567890123456789", "1234567890123456788", 1},    // 19 digits: the general path
      {"-999999999999999999", "-1000000000000000000", 1},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(compare_values(r.a, r.b), r.expected) << r.a << " vs " << r.b;
    EXPECT_EQ(compare_values(r.b, r.a), -r.expected) << r.b << " vs " << r.a;
  }
}

TEST(Bounds, Describe) {
  EXPECT_EQ(describe(bound_of("year = 2024"), "year"), "year = 2024");
  EXPECT_EQ(describe(bound_of("year < ALL($1)"), "year"), "year < ALL($1)");
  EXPECT_EQ(describe(bound_of("year >= ANY($1)"), "year"), "year >= ANY($1)");
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

// ---- arrays: `col = ANY(...)` ------------------------------------------------------

// Elements as one line: "a|b|NULL"; "unreadable" for nullopt.
std::string joined(const std::optional<ArrayElements>& elements) {
  if (!elements) return "unreadable";
  std::string out;
  for (size_t i = 0; i < elements->size(); ++i) out += (i ? "|" : "") + ((*elements)[i] ? *(*elements)[i] : "NULL");
  return out;
}

struct ArrayTextRow {
  const char* text;
  const char* elements;
};

TEST(Bounds, ParseArrayText) {
  const ArrayTextRow rows[] = {
      {"{2023,2024}", "2023|2024"},
      {"  { 2023 , 2024 }  ", "2023|2024"},
      {"{}", ""},
      {"{ }", ""},
      {"{2024}", "2024"},
      {"{NULL,null,Null}", "NULL|NULL|NULL"},
      {"{\"NULL\"}", "NULL"},          // quoted: the string NULL... shown as text below
      {"{\"a b\", c d }", "a b|c d"},  // inner blanks stay, outer ones go
      {"{\"a\\\"b\",c\\,d}", "a\"b|c,d"},
      {"{a\\ }", "a "},                 // an escaped blank is kept
      {"{\"\"}", ""},                   // one empty string
      {"{{1,2},{3,4}}", "1|2|3|4"},
      {"[1:2]={1,2}", "1|2"},
      {"[0:1][1:1]={{1},{2}}", "1|2"},
      {"{1,,2}", "unreadable"},
      {"{1,2", "unreadable"},
      {"{1,2}x", "unreadable"},
      {"1,2", "unreadable"},
      {"", "unreadable"},
      {"{1,{2}}", "unreadable"},        // mixed depths
      {"{{1},2}", "unreadable"},
      {"{\"a\"b}", "unreadable"},
      {"{a\"b}", "unreadable"},
      {"{1,2}}", "unreadable"},
      {"[1:2]{1,2}", "unreadable"},
      {"{{{{{{{1}}}}}}}", "unreadable"},  // more than 6 dimensions
  };
  for (const auto& row : rows) EXPECT_EQ(joined(parse_array_text(row.text)), row.elements) << row.text;
  // A quoted NULL is a string, not a NULL element.
  const auto quoted = parse_array_text("{\"NULL\"}");
  ASSERT_TRUE(quoted && quoted->size() == 1 && (*quoted)[0].has_value());
  EXPECT_EQ(*(*quoted)[0], "NULL");
  // Too many elements to be worth keeping.
  std::string big = "{";
  for (size_t i = 0; i <= kMaxArrayElements; ++i) big += (i ? ",1" : "1");
  EXPECT_FALSE(parse_array_text(big + "}").has_value());
}

// array_send's layout for a one-dimensional array.
std::string binary_array(uint32_t element_type, const std::vector<std::optional<std::string>>& elements) {
  bool nulls = false;
  for (const auto& e : elements) nulls = nulls || !e;
  std::string out = be(elements.empty() ? 0 : 1, 4) + be(nulls ? 1 : 0, 4) + be(element_type, 4);
  if (!elements.empty()) out += be(elements.size(), 4) + be(1, 4);
  for (const auto& e : elements) out += e ? be(e->size(), 4) + *e : be(0xffffffffu, 4);
  return out;
}

struct ArrayBinaryRow {
  const char* name;
  std::string bytes;
  const char* elements;
};

TEST(Bounds, ParseArrayBinary) {
  const ArrayBinaryRow rows[] = {
      {"int4", binary_array(23, {be(2023, 4), be(2024, 4)}), nullptr},
      {"empty", binary_array(23, {}), ""},
      {"text_with_null", binary_array(25, {std::string("01"), std::nullopt}), "01|NULL"},
      {"two_dimensions", be(2, 4) + be(0, 4) + be(25, 4) + be(2, 4) + be(1, 4) + be(1, 4) + be(1, 4) + be(1, 4) + "a" +
                             be(1, 4) + "b",
       "a|b"},
      {"truncated_header", be(1, 4) + be(0, 4), "unreadable"},
      {"truncated_element", binary_array(25, {std::string("abc")}).substr(0, 24), "unreadable"},
      {"trailing_bytes", binary_array(25, {std::string("a")}) + "x", "unreadable"},
      {"negative_dimension", be(1, 4) + be(0, 4) + be(23, 4) + be(0xffffffffu, 4) + be(1, 4), "unreadable"},
      {"bad_flags", be(1, 4) + be(7, 4) + be(23, 4) + be(1, 4) + be(1, 4) + be(1, 4) + "a", "unreadable"},
      {"too_many_dimensions", be(7, 4) + be(0, 4) + be(23, 4), "unreadable"},
      {"too_many_elements", be(1, 4) + be(0, 4) + be(23, 4) + be(kMaxArrayElements + 1, 4) + be(1, 4), "unreadable"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto parsed = parse_array_binary(row.bytes);
    if (row.elements == nullptr) {
      ASSERT_TRUE(parsed.has_value());
      EXPECT_EQ(parsed->element_type, 23u);
      ASSERT_EQ(parsed->elements.size(), 2u);
      EXPECT_EQ(parsed->elements[0], be(2023, 4));
      EXPECT_EQ(parsed->elements[1], be(2024, 4));
      continue;
    }
    EXPECT_EQ(joined(parsed ? std::optional<ArrayElements>(parsed->elements) : std::nullopt), row.elements);
  }
}

struct ArrayParamRow {
  const char* name;
  ParamValue param;
  const char* values;  // describe() of each value, "|"-joined; nullptr: unreadable
};

TEST(Bounds, DecodeArrayParams) {
  const ArrayParamRow rows[] = {
      {"text_untyped", {std::string("{2023,2024}"), false, 0}, "2023|2024"},
      {"text_untyped_strings", {std::string("{EU,\"U S\"}"), false, 0}, "'EU'|'U S'"},
      {"text_int4_array", {std::string("{01, 2}"), false, 1007}, "01|2"},
      {"text_text_array", {std::string("{2023}"), false, 1009}, "2023"},  // numeric text reads as a number anyway
      {"text_unknown_is_strings", {std::string("{01,2}"), false, 705}, "'01'|'2'"},  // a lifted '{01,2}'
      {"text_with_null_elements", {std::string("{NULL,2024,NULL}"), false, 0}, "2024"},
      {"text_empty", {std::string("{}"), false, 1007}, ""},
      {"null_array", {std::nullopt, false, 1007}, ""},
      {"text_malformed", {std::string("{2023,"), false, 1007}, nullptr},
      {"text_scalar", {std::string("2023"), false, 23}, nullptr},
      {"binary_int4", {binary_array(23, {be(2023, 4), be(2024, 4)}), true, 1007}, "2023|2024"},
      {"binary_int8_undeclared", {binary_array(20, {be(2024, 8)}), true, 0}, "2024"},
      {"binary_int2_with_null", {binary_array(21, {be(7, 2), std::nullopt}), true, 1005}, "7"},
      {"binary_text", {binary_array(25, {std::string("01"), std::string("02")}), true, 1009}, "'01'|'02'"},
      {"binary_date", {binary_array(1082, {be(8766, 4)}), true, 1182}, "'2024-01-01'"},
      {"binary_empty", {binary_array(23, {}), true, 1007}, ""},
      {"binary_element_wrong_size", {binary_array(23, {be(2024, 2)}), true, 1007}, nullptr},
      {"binary_unknown_element_type", {binary_array(600, {std::string(16, '\0')}), true, 0}, nullptr},
      {"binary_garbage", {std::string("\x01\x02\x03", 3), true, 1007}, nullptr},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto values = decode_array_param(row.param);
    if (row.values == nullptr) {
      EXPECT_FALSE(values.has_value());
      continue;
    }
    ASSERT_TRUE(values.has_value());
    std::string text;
    for (size_t i = 0; i < values->size(); ++i) text += (i ? "|" : "") + describe((*values)[i]);
    EXPECT_EQ(text, row.values);
  }
}

// quantified() must say what comparing with each element says: whichever element it
// keeps, a partition value matches exactly when some (ANY) or every (ALL) element
// compares as the operator asks, in compare_values' order. Partition values include
// text that is not a number ("5x"), which compares with numbers as bytes.
TEST(Bounds, QuantifiedMatchesElementByElement) {
  const std::vector<std::vector<std::string>> arrays = {
      {}, {"3"}, {"3", "5"}, {"5", "3", "4"}, {"9", "10"}, {"10", "9", "100"}, {"01", "1"}, {"-1", "-10"},
      {"2.5", "02"}, {"b", "ab"}, {"10", "b"}, {"2024-01-05", "2024-01-03"}, {"1e1", "9"},
  };
  const char* const partitions[] = {"", "__HIVE_DEFAULT_PARTITION__", "0", "1", "01", "2", "3", "4", "5", "6", "9",
                                    "10", "11", "100", "-5", "2.5", "5x", "1a", "a", "ab", "b", "c", "2024-01-04"};
  const Bound::Op ops[] = {Bound::Op::Eq, Bound::Op::Lt, Bound::Op::Le, Bound::Op::Gt, Bound::Op::Ge};
  auto holds = [](Bound::Op op, int c) {
    switch (op) {
      case Bound::Op::Eq: return c == 0;
      case Bound::Op::Lt: return c < 0;
      case Bound::Op::Le: return c <= 0;
      case Bound::Op::Gt: return c > 0;
      default: return c >= 0;
    }
  };
  for (const auto& array : arrays) {
    for (const bool numeric : {false, true}) {
      std::vector<Value> elements;
      for (const auto& e : array) elements.push_back(Value{Value::Kind::Constant, e, 0, numeric});
      for (const Bound::Op op : ops) {
        for (const bool all : {false, true}) {
          for (const bool had_null : {false, true}) {
            const Bound b = quantified(op, all, elements, had_null);
            for (const char* p : partitions) {
              bool any_holds = false;
              bool all_hold = !had_null;
              for (const auto& e : array) {
                const bool h = holds(op, compare_values(p, e));
                any_holds = any_holds || h;
                all_hold = all_hold && h;
              }
              EXPECT_EQ(matches(b, p), all ? all_hold : any_holds)
                  << describe(b, "c") << " from " << (all ? "ALL" : "ANY") << " of " << array.size()
                  << " elements" << (had_null ? " and a NULL" : "") << ", partition '" << p << "'";
            }
          }
        }
      }
    }
  }
}

struct AnyBindRow {
  const char* name;
  ParamValue param;
  const char* bound;        // describe() after substitution
  bool finite;
  const char* matching;     // of the years 2022, 2023, 2024, those that match, "|"-joined
};

// The row's value put in for $1 of `parsed`: what the bound then says, whether it is
// finite, and which years match.
void check_bind_row(const Bound& parsed, const AnyBindRow& row) {
  SCOPED_TRACE(row.name);
  const Bound b = substitute_params(parsed, std::vector<ParamValue>{row.param});
  EXPECT_EQ(describe(b, "year"), row.bound);
  EXPECT_EQ(is_finite(b), row.finite);
  std::string matching;
  for (const char* year : {"2022", "2023", "2024"}) {
    if (matches(b, year)) matching += (matching.empty() ? "" : "|") + std::string(year);
  }
  EXPECT_EQ(matching, row.matching);
}

// year < ANY($1), year >= ALL($1), year = ALL($1): before Bind an unknown limit (ANY) or
// none (ALL: the array may be empty); at Bind quantified()'s bound over the elements.
TEST(Bounds, SubstituteQuantifiedArrayParam) {
  struct Case {
    const char* where;
    const char* parsed;     // describe() before Bind
    bool finite_parsed;
    std::vector<AnyBindRow> rows;
  };
  auto text = [](const char* v) { return ParamValue{std::string(v), false, 0}; };
  const Case cases[] = {
      {"year < ANY($1) AND year >= 2022",
       "year < ANY($1) AND year >= 2022",
       true,
       {{"greatest", text("{2023,2024}"), "year < 2024 AND year >= 2022", true, "2022|2023"},
        {"binary", {binary_array(23, {be(2024, 4), be(2023, 4)}), true, 1007}, "year < 2024 AND year >= 2022", true,
         "2022|2023"},
        {"null_element_drops_out", text("{NULL,2023}"), "year < 2023 AND year >= 2022", true, "2022"},
        {"empty_is_false", text("{}"), "FALSE", true, ""},
        {"null_array_is_false", {std::nullopt, false, 1007}, "FALSE", true, ""},
        {"unreadable_stays", text("{2023"), "year < ANY($1) AND year >= 2022", true, "2022|2023|2024"}}},
      {"year >= ALL($1) AND year <= 2024",
       "year >= ALL($1) AND year <= 2024",
       false,
       {{"greatest", text("{2022,2023}"), "year >= 2023 AND year <= 2024", true, "2023|2024"},
        {"binary", {binary_array(23, {be(2023, 4), be(2022, 4)}), true, 1007}, "year >= 2023 AND year <= 2024", true,
         "2023|2024"},
        {"null_element_is_never_true", text("{2022,NULL}"), "FALSE", true, ""},
        {"null_array_is_never_true", {std::nullopt, false, 1007}, "FALSE", true, ""},
        {"empty_bounds_nothing", text("{}"), "year <= 2024", false, "2022|2023|2024"},
        {"unreadable_stays", text("{2023"), "year >= ALL($1) AND year <= 2024", false, "2022|2023|2024"}}},
      {"year = ALL($1)",
       "year = ALL($1)",
       false,
       {{"one_value", text("{2023,2023}"), "year = 2023", true, "2023"},
        {"two_values_contradict", text("{2023,2024}"), "FALSE", true, ""},
        {"empty_bounds_nothing", text("{}"), "TRUE", false, "2022|2023|2024"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.where);
    const Bound parsed = bound_of(c.where);
    EXPECT_EQ(describe(parsed, "year"), c.parsed);
    EXPECT_TRUE(has_params(parsed));
    EXPECT_EQ(is_finite(parsed), c.finite_parsed);
    for (const auto& row : c.rows) check_bind_row(parsed, row);
  }
}

// year = ANY($1): before Bind a finite set of unknown values (matching every year); at
// Bind the array's elements, exactly as year IN (...).
TEST(Bounds, SubstituteArrayParam) {
  const Bound parsed = bound_of("year = ANY($1)");
  EXPECT_EQ(describe(parsed, "year"), "year = ANY($1)");
  EXPECT_TRUE(has_params(parsed));
  EXPECT_TRUE(is_finite(parsed));
  EXPECT_TRUE(matches(parsed, "1999"));
  const AnyBindRow rows[] = {
      {"two_years", {std::string("{2023,2024}"), false, 0}, "year IN (2023, 2024)", true, "2023|2024"},
      {"one_year_is_an_equality", {std::string("{2024}"), false, 1007}, "year = 2024", true, "2024"},
      {"binary", {binary_array(23, {be(2022, 4), be(2024, 4)}), true, 1007}, "year IN (2022, 2024)", true, "2022|2024"},
      {"null_elements_drop_out", {std::string("{NULL,2023}"), false, 0}, "year = 2023", true, "2023"},
      {"empty_matches_nothing", {std::string("{}"), false, 0}, "FALSE", true, ""},
      {"null_array_matches_nothing", {std::nullopt, false, 1007}, "FALSE", true, ""},
      {"unreadable_stays_and_matches_everything", {std::string("{2023"), false, 0}, "year = ANY($1)", true,
       "2022|2023|2024"},
      {"unreadable_binary_stays", {std::string("\x01", 1), true, 1007}, "year = ANY($1)", true, "2022|2023|2024"},
  };
  for (const auto& row : rows) check_bind_row(parsed, row);
  // Without a value for $1 nothing changes.
  EXPECT_EQ(substitute_params(parsed, std::vector<ParamValue>{}), parsed);
}

TEST(Bounds, SubstituteReachesDisjunctions) {
  const QueryFacts f = analyze(
      "SELECT * FROM spectrum_schema.sales WHERE (year = $1 AND month = ANY($2)) OR (year = 2023 AND month = $3)",
      AnalysisContext{});
  const auto& scan = f.statements.at(0).scans.at(0);
  ASSERT_EQ(scan.disjunctions.size(), 1u);
  EXPECT_TRUE(has_params(scan.disjunctions[0]));
  const QueryFacts bound = substitute_params(
      f, {ParamValue{std::string("2024"), false, 0}, ParamValue{std::string("{1,2}"), false, 0}, ParamValue{std::nullopt, false, 0}});
  const auto& d = bound.statements.at(0).scans.at(0).disjunctions.at(0);
  EXPECT_FALSE(has_params(d));
  EXPECT_EQ(describe(d, {"year", "month"}), "(year = 2024 AND month IN (1, 2)) OR (year = 2023 AND FALSE)");
}

TEST(Bounds, DescribeDisjunction) {
  const QueryFacts f = analyze(
      "SELECT * FROM spectrum_schema.sales WHERE (year = 2024 AND month BETWEEN 1 AND 3 AND amount > 5) OR (year = "
      "2023 AND (month = 1 OR month = 12)) OR (year >= 2020 AND year <= 2021 AND amount < 0)",
      AnalysisContext{});
  const auto& scan = f.statements.at(0).scans.at(0);
  ASSERT_EQ(scan.disjunctions.size(), 1u);
  const Disjunction& d = scan.disjunctions[0];
  // Every column, in name order; the inner OR is distributed into two branches.
  EXPECT_EQ(describe(d),
            "(amount > 5 AND month BETWEEN 1 AND 3 AND year = 2024) OR (month = 1 AND year = 2023) OR (month = 12 AND "
            "year = 2023) OR (amount < 0 AND year >= 2020 AND year <= 2021)");
  // The partition columns, in their order; a branch without them is TRUE.
  EXPECT_EQ(describe(d, {"year", "month"}),
            "(year = 2024 AND month BETWEEN 1 AND 3) OR (year = 2023 AND month = 1) OR (year = 2023 AND month = 12) OR "
            "(year >= 2020 AND year <= 2021)");
  EXPECT_EQ(describe(d, {"month"}), "month BETWEEN 1 AND 3 OR month = 1 OR month = 12 OR TRUE");
  // An OR inside a branch (as substitution can leave) keeps its parentheses.
  Disjunction nested = d;
  nested[0]["month"] = bound_of("month = 1 OR month = 2", "month");
  EXPECT_EQ(describe(Disjunction(nested.begin(), nested.begin() + 2), {"year", "month"}),
            "(year = 2024 AND (month = 1 OR month = 2)) OR (year = 2023 AND month = 1)");
}

}  // namespace
}  // namespace blueshift::rewrite
