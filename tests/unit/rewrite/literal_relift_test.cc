// relift: lifting a text of the last template's shape without the scanner. It must give
// exactly what lift_literals (PostgreSQL's scanner) gives, or decline; a text it takes
// wrongly would be decided on another statement's template.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "rewrite/literal_template.h"

namespace blueshift::rewrite {
namespace {

// Texts real clients send again and again with new values: pgbench, BI tools' filters
// (numbers, dates as strings, IN lists, BETWEEN, CASE), comments around the literals.
const char* const kBases[] = {
    "SELECT abalance FROM pgbench_accounts WHERE aid = 4711;",
    "SELECT \"Custom SQL Query\".\"customer_id\" AS \"customer_id\" FROM (SELECT s.customer_id, s.year FROM "
    "spectrum_schema.sales s) \"Custom SQL Query\" WHERE ((\"Custom SQL Query\".\"year\" = 2024) AND "
    "(\"Custom SQL Query\".\"month\" IN (1, 2, 3)))",
    "SELECT * FROM spectrum_schema.sales WHERE sale_date >= '2024-01-01' AND sale_date < '2024-02-01' AND note <> "
    "'it''s'",
    "select 1 from t where month between 10 and 12 -- year = 2024\n",
    "SELECT CASE WHEN a THEN 'x' ELSE 'y' END FROM t WHERE x = 1 /* 'a' */ AND y = 'b'",
    "WITH r AS (SELECT * FROM t WHERE year = 2023) SELECT * FROM r WHERE name LIKE 'a%' OR 5 < x",
    "SELECT * FROM t WHERE s = 'a' AND n = 7",
};

// What a client, or a hostile analyst, might write in a literal's place.
const char* const kFragments[] = {
    "5", "05", "0", "2147483648", "99999999999999999999", "1e5", "1.5", ".5", "5.", "5abc", "5 OR 1=1", "5)--",
    "5/*", "5--", "-5", "+5", "$1", "5;", "5; DROP TABLE t", "0x1F", "1_000", "5::text", "'5'", "''", "'x''y'",
    "'x'' OR ''a''=''a'", "'x' OR 'a'='a'", "'a'\n'b'", "'a' \n 'b'", "'a'::date", "'unterminated", "x'", "E'x'",
    "U&'x'", "B'101'", "'--'", "'/*'", "'\\'", "'é'", "'a\"b'", "'$$'", "$$x$$", "'a'||'b'", "'a' 'b'", "NULL",
    "(5)", "5 AND year > 0", "'2024-01-01') OR (1=1",
};

void expect_same(const LiteralTemplate& got, const LiteralTemplate& want) {
  EXPECT_EQ(got.text, want.text);
  ASSERT_EQ(got.values.size(), want.values.size());
  for (size_t i = 0; i < got.values.size(); ++i) {
    EXPECT_EQ(got.values[i].value, want.values[i].value) << i;
    EXPECT_EQ(got.values[i].type_oid, want.values[i].type_oid) << i;
    EXPECT_EQ(got.values[i].binary, want.values[i].binary) << i;
  }
  ASSERT_EQ(got.shifts.size(), want.shifts.size());
  for (size_t i = 0; i < got.shifts.size(); ++i) {
    EXPECT_EQ(got.shifts[i].template_end, want.shifts[i].template_end) << i;
    EXPECT_EQ(got.shifts[i].client_end, want.shifts[i].client_end) << i;
  }
}

// The literals' spans in `sql`, from its lifted template (as shape_of finds them).
std::vector<std::pair<size_t, size_t>> literal_spans(const LiteralTemplate& t) {
  std::vector<std::pair<size_t, size_t>> spans;
  int template_end = 0, client_end = 0;
  for (size_t i = 0; i < t.shifts.size(); ++i) {
    const int start = t.shifts[i].template_end - 1 - static_cast<int>(std::to_string(i + 1).size());
    spans.emplace_back(start - template_end + client_end, t.shifts[i].client_end);
    template_end = t.shifts[i].template_end;
    client_end = t.shifts[i].client_end;
  }
  return spans;
}

// A '...' string of random characters, SQL's special ones among them, quotes doubled.
std::string random_string(std::mt19937& rng, const std::string& alphabet) {
  std::string out = "'";
  for (unsigned n = rng() % 8; n > 0; --n) {
    const char c = alphabet[rng() % alphabet.size()];
    out += c;
    if (c == '\'') out += c;
  }
  return out + "'";
}

// relift of `sql` after `base`: lift_literals' answer when it takes the text.
std::optional<LiteralTemplate> relift_checked(const std::string& base, const std::string& sql) {
  const auto lifted = lift_literals(base);
  if (!lifted) return std::nullopt;
  const auto shape = shape_of(*lifted, base);
  if (!shape) return std::nullopt;
  auto got = relift(lifted->text, *shape, sql);
  if (got) {
    const auto want = lift_literals(sql);
    EXPECT_TRUE(want.has_value()) << "relift took a text the scanner does not lift: " << sql;
    if (want) expect_same(*got, *want);
  }
  return got;
}

TEST(Relift, TakesNewValuesOfTheSameKinds) {
  const auto got = relift_checked("SELECT * FROM t WHERE s = 'a' AND n = 7",
                                  "SELECT * FROM t WHERE s = 'it''s' AND n = 0000000000002147483648");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->text, "SELECT * FROM t WHERE s = $1 AND n = $2");
  EXPECT_TRUE(relift_checked("SELECT abalance FROM pgbench_accounts WHERE aid = 4711;",
                             "SELECT abalance FROM pgbench_accounts WHERE aid = 815;"));
  EXPECT_TRUE(relift_checked("SELECT * FROM t WHERE s = 'a'", "SELECT * FROM t WHERE s = ''"));
  // Standard strings: a backslash is a character like any other, as to the scanner.
  EXPECT_TRUE(relift_checked("SELECT * FROM t WHERE s = 'a' AND n = 7", "SELECT * FROM t WHERE s = '\\' AND n = 7"));
}

TEST(Relift, DeclinesAnythingElse) {
  const std::string base = "SELECT * FROM t WHERE s = 'a' AND n = 7";
  for (const char* sql : {
           "SELECT * FROM t WHERE s = 'a' AND n = 7 OR 1=1",       // more after the last literal
           "SELECT * FROM t WHERE s = 'a' OR 'b'='b' AND n = 7",   // a string then other tokens
           "SELECT * FROM t WHERE s = 'a'\n'b' AND n = 7",         // a continued string
           "SELECT * FROM t WHERE s = 'a' AND n = 7.5",            // another kind of number
           "SELECT * FROM t WHERE s = 'a' AND n = 7e1",            // an exponent
           "SELECT * FROM t WHERE s = 'a' AND n = 7abc",           // junk after digits
           "SELECT * FROM t WHERE s = 7 AND n = 'a'",              // kinds swapped
           "SELECT * FROM t WHERE s = E'a' AND n = 7",             // an escape string
           "SELECT * FROM t WHERE s = 'a AND n = 7",               // unterminated
           "SELECT * FROM t WHERE s = 'a' AND n = -7",             // a sign
           "SELECT * FROM t WHERE s = 'a' AND n = 7;",             // a semicolon
           "SELECT * FROM t WHERE s = 'a' AND n = ",               // no literal
           "select * FROM t WHERE s = 'a' AND n = 7",              // other bytes between
       }) {
    EXPECT_FALSE(relift_checked(base, sql).has_value()) << sql;
  }
  // A NUL ends the text for the scanner.
  constexpr char kWithNul[] = "SELECT * FROM t WHERE s = 'a\0b' AND n = 7";
  EXPECT_FALSE(relift_checked(base, std::string(kWithNul, sizeof kWithNul - 1)).has_value());
}

// Texts whose literals are numbers other than digits, or not lifted at all, have no shape.
TEST(Relift, OnlyDigitsAndStringsMakeAShape) {
  for (const char* sql : {"SELECT * FROM t WHERE x = 1.5", "SELECT * FROM t WHERE x = 1e3 AND y = 2"}) {
    const auto lifted = lift_literals(sql);
    ASSERT_TRUE(lifted.has_value()) << sql;
    EXPECT_FALSE(shape_of(*lifted, sql).has_value()) << sql;
  }
  const std::string sql = "SELECT * FROM t WHERE x = 01 AND s = 'a''b'";
  const auto lifted = lift_literals(sql);
  ASSERT_TRUE(lifted.has_value());
  const auto shape = shape_of(*lifted, sql);
  ASSERT_TRUE(shape.has_value());
  ASSERT_EQ(shape->slots.size(), 2u);
  EXPECT_FALSE(shape->slots[0].string);
  EXPECT_TRUE(shape->slots[1].string);
}

// Every base with its literals replaced by fragments, then bytes inserted or removed at
// random: relift takes a text only with lift_literals' own answer (relift_checked), and
// takes every text that only has other plain values.
TEST(Relift, IsTheScannersLiftOrDeclinesOnHostileTexts) {
  std::mt19937 rng(20261206);
  const std::string specials = "'\"$;-/*()\n .,:=eE0123456789abcORND\\";
  int taken = 0, tried = 0;
  for (const char* base_text : kBases) {
    const std::string base = base_text;
    const auto lifted = lift_literals(base);
    ASSERT_TRUE(lifted.has_value()) << base;
    const auto spans = literal_spans(*lifted);
    for (int round = 0; round < 400; ++round) {
      std::string sql = base;
      for (size_t i = spans.size(); i-- > 0;) {
        const bool string = base[spans[i].first] == '\'';
        std::string fragment;
        switch (rng() % 3) {
          case 0: fragment = kFragments[rng() % std::size(kFragments)]; break;
          case 1: fragment = string ? random_string(rng, specials) : std::to_string(rng() % 100000); break;
          default: continue;  // the base's own literal
        }
        sql.replace(spans[i].first, spans[i].second - spans[i].first, fragment);
      }
      for (unsigned edits = rng() % 4; edits > 0 && edits < 3; --edits) {
        const size_t at = rng() % (sql.size() + 1);
        if (rng() % 2 == 0 && at < sql.size()) sql.erase(at, 1);
        else sql.insert(at, 1, specials[rng() % specials.size()]);
      }
      SCOPED_TRACE(sql);
      ++tried;
      if (relift_checked(base, sql)) ++taken;
    }
    // Plain new values of the same kinds are always taken.
    std::string plain = base;
    for (size_t i = spans.size(); i-- > 0;) {
      const bool string = base[spans[i].first] == '\'';
      plain.replace(spans[i].first, spans[i].second - spans[i].first, string ? "'v''w'" : "42");
    }
    EXPECT_TRUE(relift_checked(base, plain).has_value()) << plain;
  }
  // Enough of the hostile texts are taken for the comparison to mean something.
  EXPECT_GT(taken, tried / 5);
  EXPECT_LT(taken, tried);
}

}  // namespace
}  // namespace blueshift::rewrite
