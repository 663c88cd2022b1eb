// pg::scan reads libpg_query's scanner output in place; protobuf-c's generic unpack
// (pg::scan_generic) is the reference: every text must give the same tokens, or the same
// failure. pg::scan_unfolded must give them too, without words.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "rewrite/pg_parser.h"

namespace blueshift::rewrite::pg {
namespace {

std::string show(const std::vector<Token>& tokens) {
  std::string out;
  for (const auto& t : tokens) {
    out += std::to_string(t.start) + "-" + std::to_string(t.end) + ":" + std::to_string(static_cast<int>(t.kind)) +
           (t.keyword ? "k" : "") + (t.reserved ? "r" : "") + (t.word.empty() ? "" : "[" + t.word + "]") + " ";
  }
  return out;
}

void expect_same_as_generic(const std::string& sql) {
  std::vector<Token> fast, generic;
  std::string fast_error, generic_error;
  const bool fast_ok = scan(sql, &fast, &fast_error);
  const bool generic_ok = scan_generic(sql, &generic, &generic_error);
  ASSERT_EQ(fast_ok, generic_ok) << sql;
  EXPECT_EQ(fast_error, generic_error) << sql;
  EXPECT_EQ(show(fast), show(generic)) << sql;
  // scan_unfolded: the same tokens, with no word folded.
  std::vector<Token> unfolded;
  std::string unfolded_error;
  ASSERT_EQ(scan_unfolded(sql, &unfolded, &unfolded_error), fast_ok) << sql;
  EXPECT_EQ(unfolded_error, fast_error) << sql;
  for (auto& t : fast) t.word.clear();
  EXPECT_EQ(show(unfolded), show(fast)) << sql;
}

TEST(PgScan, SameTokensAsTheGenericUnpack) {
  const char* const texts[] = {
      "",
      "SELECT 1",
      "SELECT abalance FROM pgbench_accounts WHERE aid = 4711;",
      "select \"Mixed Case\".x, U&\"\\0073ales\" from spectrum_schema.sales s where year = 2024 and month in (1, 2)",
      "SELECT 'it''s', E'a\\nb', B'101', X'ff', $$body$$, $tag$ x $tag$ FROM t -- comment\n/* block */ WHERE a::int >= $1",
      "SELECT 1.5e3, .5, 1_000, 0x1f, -7, a[1:2], b => 1, c := 2, d <> e, f != g, h .. i",
      "CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql; DO $$ BEGIN PERFORM 1; END $$",
      "UNLOAD ('select * from sales where year = 2024') TO 's3://b/p' IAM_ROLE 'arn:x'",
      "SELECT 'unterminated",
      "SELECT \"unterminated",
      "SELECT /* unterminated",
      "SELECT 'ünïcödé', \"naïve\" FROM \"tαble\"",
  };
  for (const char* t : texts) expect_same_as_generic(t);
  // Long texts: offsets past one-byte varints, many tokens.
  std::string wide = "SELECT ";
  for (int i = 0; i < 2000; ++i) wide += "col" + std::to_string(i) + " + " + std::to_string(i * 7919) + ", ";
  wide += "0 FROM t";
  expect_same_as_generic(wide);
}

uint64_t test_seed() {
  if (const char* s = std::getenv("BLUESHIFT_TEST_SEED")) return std::strtoull(s, nullptr, 10);
  return 20240917;
}

// Random sequences of SQL fragments, including ones the scanner rejects.
TEST(PgScan, RandomTextsMatchTheGenericUnpack) {
  const uint64_t seed = test_seed();
  std::printf("[ seed ] BLUESHIFT_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  const char* const fragments[] = {"SELECT", " ", "\n", "x", "\"Q\"", "'s'", "'", "E'\\''", "$$", "$1", "12", "1.5",
                                   "(", ")", ",", ";", ".", "::", "<=", "=", "*", "--c\n", "/*", "*/", "from",
                                   "WHERE", "U&\"a\"", "[", "]", ":", "é"};
  const size_t n = sizeof(fragments) / sizeof(fragments[0]);
  for (int i = 0; i < 2000; ++i) {
    std::string sql;
    const size_t len = rng() % 40;
    for (size_t k = 0; k < len; ++k) sql += fragments[rng() % n];
    SCOPED_TRACE("seed " + std::to_string(seed) + " case " + std::to_string(i));
    expect_same_as_generic(sql);
  }
}

}  // namespace
}  // namespace blueshift::rewrite::pg
