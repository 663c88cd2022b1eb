// The prefilter may say "maybe" too often, never "no" wrongly: every row that names a
// governed table in any spelling must answer true.
#include "rewrite/prefilter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rewrite/analyzer.h"

namespace blueshift::rewrite {
namespace {

struct Row {
  const char* sql;
  bool expected;
};

const std::vector<std::string> kNames = {"sales", "spectrum_schema.clicks", "my table"};

const Row kRows[] = {
    {"SELECT * FROM sales", true},
    {"SELECT * FROM SALES", true},
    {"SELECT * FROM \"Sales\"", true},
    {"SELECT * FROM spectrum_schema.sales WHERE year = 1", true},
    {"SELECT * FROM spectrum_schema . \"SALES\"", true},
    {"select * from clicks", true},  // qualified names match on the table part
    {"UNLOAD ('select * from sales') TO 's3://x'", true},
    {"SELECT $$x$$||$q$ from sales$q$", true},  // dollar quotes do not glue to the name
    {"SELECT 1sales", true},
    {"SELECT * FROM \"my table\"", true},
    {"SELECT * FROM \"MY TABLE\"", true},
    {"SELECT * FROM U&\"\\0073ales\"", true},  // unicode escapes: cannot tell, so maybe
    {"SELECT E'\\163ales'", true},               // backslash escapes: maybe
    {"SELECT * FROM sales_fact", false},
    {"SELECT * FROM wholesales", false},
    {"SELECT * FROM public.customers WHERE region = 'EU'", false},
    {"SELECT 1", false},
    {"", false},
};

TEST(Prefilter, Rows) {
  const Prefilter filter(kNames);
  for (const auto& row : kRows) {
    EXPECT_EQ(filter.may_reference(row.sql), row.expected) << row.sql;
    EXPECT_EQ(may_reference(row.sql, kNames), row.expected) << row.sql;
  }
}

TEST(Prefilter, NoNamesNeverMatches) { EXPECT_FALSE(may_reference("SELECT * FROM sales", {})); }

// Whenever the analyzer finds a scan or write of a listed table, the prefilter said yes.
TEST(Prefilter, NeverMissesWhatTheAnalyzerFinds) {
  const std::vector<std::string> texts = {
      "SELECT * FROM SpEcTrUm_ScHeMa.\"SaLeS\"",
      "WITH x AS (SELECT * FROM sales) SELECT * FROM x",
      "SELECT * FROM #sales",
      "INSERT INTO sales VALUES (1)",
      "SELECT TOP 1 * FROM/*c*/sales",
      "UNLOAD ('select * from \\'sales\\'') TO 's3://x' IAM_ROLE 'r'",
      "SELECT * FROM public.customers c, c.sales s",
  };
  const Prefilter filter({"sales"});
  for (const auto& t : texts) {
    const QueryFacts f = analyze(t, AnalysisContext{});
    bool named = false;
    for (const auto& st : f.statements) {
      for (const auto& s : st.scans) named = named || s.table.name == "sales" || s.table.name == "#sales";
      for (const auto& w : st.writes) named = named || w.name == "sales";
    }
    if (named) {
      EXPECT_TRUE(filter.may_reference(t)) << t;
    }
  }
}

}  // namespace
}  // namespace blueshift::rewrite
