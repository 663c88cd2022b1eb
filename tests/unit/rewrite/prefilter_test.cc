// The prefilter may say "maybe" too often, never "no" wrongly: every row that names a
// governed table in any spelling must answer true.
#include "rewrite/prefilter.h"

#include <gtest/gtest.h>

#include <cstdint>

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

// One pass for several name lists: the bits of a list are set exactly when the text may
// name one of its names, as a filter of that list alone would say.
TEST(Prefilter, ReferencedBitsAnswerForEachList) {
  const std::vector<std::vector<std::string>> lists = {
      {"sales"}, {"spectrum_schema.clicks", "my table"}, {"search_path"}, {"do", "function", "procedure"}, {"nothing"}};
  std::vector<std::string> all;
  for (const auto& l : lists) all.insert(all.end(), l.begin(), l.end());
  const Prefilter filter(all);
  std::vector<std::string> texts;
  for (const auto& row : kRows) texts.emplace_back(row.sql);
  texts.insert(texts.end(), {"SET search_path TO x", "DO $$ BEGIN END $$", "select 1 from clicks, sales",
                             "CREATE FUNCTION f() RETURNS int", "SELECT * FROM \"My Table\""});
  for (const auto& text : texts) {
    const uint64_t seen = filter.referenced(text);
    EXPECT_EQ(seen != 0, filter.may_reference(text)) << text;
    for (const auto& list : lists) {
      const uint64_t bits = filter.bits_of(list);
      EXPECT_NE(bits, 0u);
      EXPECT_EQ((seen & bits) != 0, Prefilter(list).may_reference(text)) << text << " / " << list.front();
    }
  }
  EXPECT_EQ(filter.bits_of({"absent"}), 0u);
  EXPECT_EQ(filter.bits_of({"other_schema.sales"}), filter.bits_of({"sales"}));  // the table part names it
}

// Past 64 names bits are shared: a text may then seem to name more, never less.
TEST(Prefilter, ManyNamesShareBitsWithoutMissingAny) {
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) names.push_back("t" + std::to_string(i));
  const Prefilter filter(names);
  for (int i = 0; i < 200; ++i) {
    const std::string text = "SELECT * FROM s.t" + std::to_string(i);
    EXPECT_NE(filter.referenced(text) & filter.bits_of({names[static_cast<size_t>(i)]}), 0u) << text;
  }
  EXPECT_EQ(filter.referenced("SELECT * FROM t200"), 0u);
}

// Words are passed over by their length and first character before any lookup: every
// class of first character (letters in either case, '_', digits, bytes past 0x7f) still
// finds its names, and a word longer than the stack's 64 bytes is looked up too.
TEST(Prefilter, EveryKindOfFirstCharacterAndLength) {
  const std::string long_name(70, 'x');
  const Prefilter filter({"sales", "_stage", "1abc", "\xc3\xa9t\xc3\xa9", "t", long_name});
  for (const std::string& text : std::vector<std::string>{"select * from SALES", "select * from _STAGE", "select * from \"1abc\"",
                                 "select * from \xc3\xa9t\xc3\xa9", "select T.a from t T", "select 2sales",
                                 "select * from " + std::string(70, 'X')}) {
    EXPECT_NE(filter.referenced(text), 0u) << text;
  }
  for (const std::string& text : std::vector<std::string>{"select * from tales", "select * from saless", "select * from _stag",
                                 "select * from 2abc", "select * from \xc3\xa9t\xc3\xa8", "select u, tt",
                                 "select * from " + std::string(71, 'x')}) {
    EXPECT_EQ(filter.referenced(text), 0u) << text;
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
