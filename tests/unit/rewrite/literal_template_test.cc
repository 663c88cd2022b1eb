// lift_literals: which constants become $n, their values, and what is left as written.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rewrite/literal_template.h"

namespace blueshift::rewrite {
namespace {

struct Row {
  const char* sql;
  const char* text;                 // nullptr: nothing lifted
  std::vector<std::string> values;  // in $n order
};

TEST(LiftLiterals, Table) {
  const Row rows[] = {
      {"SELECT abalance FROM pgbench_accounts WHERE aid = 4711;", "SELECT abalance FROM pgbench_accounts WHERE aid = $1;",
       {"4711"}},
      {"SELECT s FROM spectrum_schema.sales WHERE year = 2024 AND month IN (1, 2, 3)",
       "SELECT s FROM spectrum_schema.sales WHERE year = $1 AND month IN ($2, $3, $4)", {"2024", "1", "2", "3"}},
      {"select 1 from t where month between 10 and 12", "select 1 from t where month between $1 and $2", {"10", "12"}},
      {"SELECT * FROM t WHERE d >= '2024-01-01' AND note <> 'it''s'", "SELECT * FROM t WHERE d >= $1 AND note <> $2",
       {"2024-01-01", "it's"}},
      {"SELECT * FROM t WHERE d = '2024-01-01'::date AND y = 2024", "SELECT * FROM t WHERE d = '2024-01-01'::date AND y = $1",
       {"2024"}},
      {"SELECT * FROM t WHERE x = 1.5e3", "SELECT * FROM t WHERE x = $1", {"1.5e3"}},
      {"WITH r AS (SELECT * FROM t WHERE year = 2023) SELECT * FROM r",
       "WITH r AS (SELECT * FROM t WHERE year = $1) SELECT * FROM r", {"2023"}},
      {"SELECT CASE WHEN a THEN 'x' ELSE 'y' END FROM t", "SELECT CASE WHEN a THEN $1 ELSE $2 END FROM t", {"x", "y"}},
      {"SELECT * FROM t WHERE name LIKE 'a%' OR 5 < x", "SELECT * FROM t WHERE name LIKE $1 OR $2 < x", {"a%", "5"}},
      {"SELECT * FROM t WHERE x = 1 -- year = 2024\n", "SELECT * FROM t WHERE x = $1 -- year = 2024\n", {"1"}},
      {"SELECT * FROM t WHERE x = 1 /* 'a' */ AND y = 'b'", "SELECT * FROM t WHERE x = $1 /* 'a' */ AND y = $2",
       {"1", "b"}},
      // Integers that fit int4 are the value PostgreSQL reads (01 is 1); other numbers and
      // strings keep their text.
      {"SELECT * FROM t WHERE month = 01 AND day IN (007, 10)", "SELECT * FROM t WHERE month = $1 AND day IN ($2, $3)",
       {"1", "7", "10"}},
      {"SELECT * FROM t WHERE x = 0000000000002147483647 OR x = 2147483648 OR x = 09999999999",
       "SELECT * FROM t WHERE x = $1 OR x = $2 OR x = $3", {"2147483647", "2147483648", "09999999999"}},
      {"SELECT * FROM t WHERE x = 00 OR x = 01.50 OR x = 01e2", "SELECT * FROM t WHERE x = $1 OR x = $2 OR x = $3",
       {"0", "01.50", "01e2"}},
      {"SELECT * FROM t WHERE month = '01' AND s = ' 02 '", "SELECT * FROM t WHERE month = $1 AND s = $2", {"01", " 02 "}},
      // Kept as written: typed literals, casts, signs, counts, non-standard strings.
      {"SELECT * FROM t WHERE x = '01'::int", nullptr, {}},
      {"SELECT * FROM t WHERE x = 01::text", nullptr, {}},
      {"SELECT * FROM t WHERE x = CAST('01' AS int)", nullptr, {}},
      {"SELECT * FROM t WHERE x = CONVERT(int, '01')", nullptr, {}},
      {"SELECT * FROM t WHERE x = CONVERT(double precision, '1.5')", nullptr, {}},
      {"SELECT * FROM t WHERE x = f(y, '01')", "SELECT * FROM t WHERE x = f(y, $1)", {"01"}},
      {"SELECT * FROM t WHERE d > DATE '2024-01-01'", nullptr, {}},
      {"SELECT * FROM t WHERE d > now() - INTERVAL '1 day'", nullptr, {}},
      {"SELECT * FROM t WHERE x = -5", nullptr, {}},
      {"SELECT * FROM t WHERE x = +5", nullptr, {}},
      {"SELECT * FROM t WHERE x - 1 = y", "SELECT * FROM t WHERE x - $1 = y", {"1"}},
      // Literals beside each other's operator stay, for `1 <> 1` to be folded.
      {"SELECT * FROM t WHERE x - 1 = 2", nullptr, {}},
      {"SELECT * FROM t WHERE 1 <> 1 AND x = 2", "SELECT * FROM t WHERE 1 <> 1 AND x = $1", {"2"}},
      {"SELECT TOP 10 * FROM t", nullptr, {}},
      {"SELECT * FROM t LIMIT 10 OFFSET 5", nullptr, {}},
      {"SELECT * FROM t WHERE s = E'a\\nb'", nullptr, {}},
      {"SELECT * FROM t WHERE s = $$a$$", nullptr, {}},
      {"SELECT * FROM t WHERE b = B'101'", nullptr, {}},
      {"SELECT * FROM t GROUP BY 1 ORDER BY 1", nullptr, {}},
      // Not lifted at all: not a single SELECT/WITH, has $n already, or does not scan.
      {"INSERT INTO t VALUES (1)", nullptr, {}},
      {"SET search_path = 'x'", nullptr, {}},
      {"UNLOAD ('SELECT * FROM t WHERE year = 2024') TO 's3://b/p' IAM_ROLE 'arn:x'", nullptr, {}},
      {"SELECT 1; SELECT * FROM t WHERE x = 2", nullptr, {}},
      {"SELECT * FROM t WHERE x = $1 AND y = 2", nullptr, {}},
      {"SELECT * FROM t WHERE s = 'unterminated", nullptr, {}},
      {"EXPLAIN SELECT * FROM t WHERE x = 1", nullptr, {}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.sql);
    const auto lifted = lift_literals(row.sql);
    if (row.text == nullptr) {
      EXPECT_FALSE(lifted.has_value()) << lifted->text;
      continue;
    }
    ASSERT_TRUE(lifted.has_value());
    EXPECT_EQ(lifted->text, row.text);
    std::vector<std::string> values;
    for (const auto& v : lifted->values) {
      EXPECT_FALSE(v.binary);
      values.push_back(v.value.value_or("<NULL>"));
    }
    EXPECT_EQ(values, row.values);
  }
}

// The declared type says what the literal was, so that decode_param reads it as analysis
// of the text would: int4 and numeric are numbers, unknown (a quoted literal) a string.
TEST(LiftLiterals, DeclaredTypes) {
  const auto lifted = lift_literals("SELECT * FROM t WHERE a = 01 AND b = 1.5 AND c = 3000000000 AND d = '01'");
  ASSERT_TRUE(lifted.has_value());
  std::vector<uint32_t> types;
  std::vector<std::string> described;
  for (const auto& v : lifted->values) {
    types.push_back(v.type_oid);
    const auto value = decode_param(v);
    ASSERT_TRUE(value.has_value());
    described.push_back(describe(*value));
  }
  EXPECT_EQ(types, (std::vector<uint32_t>{23, 1700, 20, 705}));  // 3000000000 is an int8
  EXPECT_EQ(described, (std::vector<std::string>{"1", "1.5", "3000000000", "'01'"}));
}

}  // namespace
}  // namespace blueshift::rewrite
