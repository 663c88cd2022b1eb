// Byte locations of table names (TableRef::location/length) in the client's text, through
// plain analysis and through the literal-lifting template path the governor uses for
// simple-protocol queries (lift_literals, analysis of the template, then either
// client_offset on the shared facts or client_facts).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "rewrite/analyzer.h"
#include "rewrite/literal_template.h"

namespace blueshift::rewrite {
namespace {

using Names = std::vector<std::string>;

// What each table reference's location covers in `text` ("<none>" for -1).
Names written(const std::string& text, const std::vector<TableRef>& refs) {
  Names out;
  for (const auto& t : refs) {
    if (t.location < 0) {
      out.push_back("<none>");
    } else if (t.location + t.length > static_cast<int>(text.size()) || t.length <= 0) {
      out.push_back("<out of range>");
    } else {
      out.push_back(text.substr(static_cast<size_t>(t.location), static_cast<size_t>(t.length)));
    }
  }
  return out;
}

std::vector<TableRef> scans_of(const QueryFacts& f) {
  std::vector<TableRef> out;
  for (const auto& st : f.statements) {
    for (const auto& s : st.scans) out.push_back(s.table);
  }
  return out;
}

std::vector<TableRef> writes_of(const QueryFacts& f) {
  std::vector<TableRef> out;
  for (const auto& st : f.statements) out.insert(out.end(), st.writes.begin(), st.writes.end());
  return out;
}

// The template's facts as a caller sharing them sees them: offsets mapped one by one.
std::vector<TableRef> mapped(std::vector<TableRef> refs, const LiteralTemplate& t) {
  for (auto& r : refs) {
    if (r.location < 0) continue;
    const int start = t.client_offset(r.location);
    r.length = t.client_offset(r.location + r.length) - start;
    r.location = start;
  }
  return refs;
}

struct Row {
  std::string sql;
  Names scans;   // as written, in the order the facts list them
  Names writes;
  bool lifts;    // whether the template path applies (a single SELECT/WITH with literals)
};

const Row kRows[] = {
    {"SELECT * FROM public.sales_fact WHERE year = 2024", {"public.sales_fact"}, {}, true},
    {"SELECT * FROM sales_fact s WHERE s.year = 2024", {"sales_fact"}, {}, true},
    {"SELECT * FROM public.sales_fact AS s WHERE s.month IN (1, 2, 3)", {"public.sales_fact"}, {}, true},
    {"/* FROM not_a_table */ SELECT a FROM \"My Schema\".\"Sales\" -- comment\n WHERE b = 'x'",
     {"\"My Schema\".\"Sales\""}, {}, true},
    {"SELECT * FROM \"we\"\"ird\".t WHERE k = 'it''s'", {"\"we\"\"ird\".t"}, {}, true},
    {"SELECT * FROM public . spaced WHERE k = 1", {"public . spaced"}, {}, true},
    {"SELECT * FROM dev.public.t WHERE k = 1", {"dev.public.t"}, {}, true},
    // Literals of several lengths (and multibyte ones) before the table names.
    {"SELECT * FROM a WHERE x IN ('a very long literal indeed', 123456789) AND y IN "
     "(SELECT z FROM public.b WHERE w = 'q')",
     {"a", "public.b"}, {}, true},
    {"SELECT * FROM a WHERE x = 'ünïcödé ✓' UNION SELECT * FROM public.b WHERE y = 1.5e3",
     {"a", "public.b"}, {}, true},
    {"WITH c AS (SELECT * FROM public.src WHERE k = 1) SELECT * FROM c JOIN public.dim d ON d.k = c.k "
     "WHERE d.name = 'x'",
     {"public.src", "public.dim"}, {}, true},
    {"SELECT * FROM public.a JOIN b ON a.x = b.x AND b.y = 'long long literal' JOIN public.c ON c.z = 7",
     {"public.a", "b", "public.c"}, {}, true},
    // Multi-statement texts: offsets in the whole text.
    {"SELECT 1; SELECT * FROM public.t2 -- c\n; INSERT INTO public.t3 SELECT * FROM t4 WHERE k = 'v'",
     {"public.t2", "t4"}, {"public.t3"}, false},
    {"UPDATE public.t SET a = 1 WHERE b = 2", {"public.t"}, {"public.t"}, false},
    {"DELETE FROM public.t USING public.u WHERE t.k = u.k", {"public.t", "public.u"}, {"public.t"}, false},
    {"CREATE TABLE x.y AS SELECT * FROM public.z", {"public.z"}, {"x.y"}, false},
    {"COPY public.t FROM STDIN", {}, {"public.t"}, false},
    // Redshift dialect: the statement is rewritten (same length) before parsing.
    {"SELECT 1; SELECT TOP 10 * FROM public.sales WHERE y = 1", {"public.sales"}, {}, false},
    {"SELECT * FROM #tmp WHERE k = 1", {"#tmp"}, {}, true},
    // Names held only in a string literal or a DROP list have no location.
    {"UNLOAD ('SELECT * FROM public.t') TO 's3://b/p' IAM_ROLE 'arn:aws:iam::1:role/r'", {"<none>"}, {}, false},
    {"DROP TABLE public.t", {}, {"<none>"}, false},
};

TEST(TableLocations, PlainAnalysis) {
  const AnalysisContext ctx;
  for (const auto& row : kRows) {
    const QueryFacts f = analyze(row.sql, ctx);
    EXPECT_EQ(written(row.sql, scans_of(f)), row.scans) << row.sql;
    EXPECT_EQ(written(row.sql, writes_of(f)), row.writes) << row.sql;
  }
}

TEST(TableLocations, LiftedTemplate) {
  const AnalysisContext ctx;
  for (const auto& row : kRows) {
    const std::optional<LiteralTemplate> t = lift_literals(row.sql);
    ASSERT_EQ(t.has_value(), row.lifts) << row.sql;
    if (!t) continue;
    const QueryFacts tf = analyze(t->text, ctx);
    // A later text of the template: the shared facts, offsets mapped by the caller.
    EXPECT_EQ(written(row.sql, mapped(scans_of(tf), *t)), row.scans) << row.sql;
    EXPECT_EQ(written(row.sql, mapped(writes_of(tf), *t)), row.writes) << row.sql;
    // The first text of the template: facts of its own.
    const QueryFacts own = client_facts(tf, *t);
    EXPECT_EQ(written(row.sql, scans_of(own)), row.scans) << row.sql;
    EXPECT_EQ(own.statements.at(0).location, 0) << row.sql;
  }
}

// Texts that differ only in their literals share one template and one analysis; each
// maps the shared offsets to its own text.
TEST(TableLocations, OneTemplateManyTexts) {
  const std::string texts[] = {
      "SELECT * FROM a WHERE x = 1 AND y IN (SELECT z FROM public.b WHERE w = 'q'); ",
      "SELECT * FROM a WHERE x = 123456789 AND y IN (SELECT z FROM public.b WHERE w = 'a much longer one'); ",
      "SELECT * FROM a WHERE x = 'ä' AND y IN (SELECT z FROM public.b WHERE w = ''); ",
  };
  const AnalysisContext ctx;
  const auto first = lift_literals(texts[0]);
  ASSERT_TRUE(first);
  const QueryFacts shared = analyze(first->text, ctx);
  for (const auto& text : texts) {
    const auto t = lift_literals(text);
    ASSERT_TRUE(t) << text;
    ASSERT_EQ(t->text, first->text) << text;
    EXPECT_EQ(written(text, mapped(scans_of(shared), *t)), (Names{"a", "public.b"})) << text;
    const QueryFacts own = client_facts(shared, *t);
    const auto& st = own.statements.at(0);
    // The statement itself, up to its semicolon, in this text.
    EXPECT_EQ(text.substr(static_cast<size_t>(st.location), static_cast<size_t>(st.length)),
              text.substr(0, text.find(';')))
        << text;
  }
}

}  // namespace
}  // namespace blueshift::rewrite
