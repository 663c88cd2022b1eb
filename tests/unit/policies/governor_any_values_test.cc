// Decisions kept for any values. A decision on facts with $n values (a simple Query's
// lifted literals, a Bind's values, a Parse before its Bind) that read none of them holds
// for every value, so the Governor keeps it with the facts (Decision::read_values). These
// tests guard the one thing that can go wrong: a decision that did read values must never
// be reused for other values, whatever the order texts and Binds arrive in.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fixtures.h"
#include "governor_harness.h"
#include "policies/evaluate.h"
#include "policies/governor.h"
#include "policies/governor_options.h"
#include "rewrite/analyzer.h"

namespace blueshift::policies {
namespace {

using namespace testing;
using V = Verdict::Outcome;

// A rule of each kind: two that read a scan's partition bounds, a cost cap that prices
// it, and two that read neither (SELECT * and DELETE on a governed local table).
const char* kRules = R"(
catalog_tables: true
tables: [public.sales_fact]
cost:
  default_partition_mb: 8
rules:
  - {name: star, type: deny_select_star, tables: [public.sales_fact], scope: {groups: [analysts]}}
  - {name: no-delete, type: deny_statements, kinds: [delete], schemas: [public], scope: {groups: [analysts]}}
  - {name: max-12, type: max_partitions, max: 12, tables: [spectrum_schema.sales], scope: {groups: [analysts]}}
  - {name: filter, type: require_partition_filter, columns: any, tables: [spectrum_schema.sales], scope: {groups: [analysts]}}
  - {name: clicks-cap, type: max_scan_bytes, max: 20971520, tables: [spectrum_schema.clicks], scope: {groups: [analysts]}}
)";

Decision decide(const std::string& yaml, const std::string& sql, const SessionFacts& who) {
  const PolicySet p = policy(yaml);
  const Catalog c = demo_catalog();
  return evaluate(p, rewrite::analyze(sql, rewrite::AnalysisContext{}), who, c, EvaluateOptions{});
}

TEST(DecisionReadValues, OnlyWhereARuleReadsBoundsOrPricesTheScan) {
  struct Case {
    const char* sql;
    bool read;
  };
  const Case cases[] = {
      {"SELECT * FROM public.sales_fact WHERE sale_id = $1", false},
      {"SELECT amount FROM public.sales_fact WHERE sale_id = $1", false},
      {"DELETE FROM public.sales_fact WHERE sale_id = $1", false},
      {"SELECT 1 WHERE $1 = 2", false},
      {"SELECT sale_id FROM spectrum_schema.sales WHERE year = $1", true},  // max-12 and filter
      {"SELECT url FROM spectrum_schema.clicks WHERE dt = $1", true},         // the cap prices it
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sql);
    EXPECT_EQ(decide(kRules, c.sql, analyst()).read_values, c.read);
    EXPECT_FALSE(decide(kRules, c.sql, etl()).read_values);  // no rule in scope
  }
  // Each kind on its own.
  const char* filter_only = R"(
catalog_tables: true
rules: [{name: f, type: require_partition_filter, tables: [spectrum_schema.sales], scope: {groups: [analysts]}}])";
  const char* cap_only = R"(
catalog_tables: true
rules: [{name: c, type: max_scan_bytes, max: 1000, tables: [spectrum_schema.clicks], scope: {groups: [analysts]}}])";
  EXPECT_TRUE(decide(filter_only, "SELECT 1 FROM spectrum_schema.sales WHERE year = 2024", analyst()).read_values);
  EXPECT_TRUE(decide(cap_only, "SELECT 1 FROM spectrum_schema.clicks", analyst()).read_values);
  EXPECT_FALSE(decide(cap_only, "SELECT 1 FROM spectrum_schema.sales WHERE year = 2024", analyst()).read_values);
}

// Statements with $n and the values each is sent with, in turn. The values decide the
// outcome on spectrum_schema (1 to 3 years against 12 partitions; 8 MB days against a
// 20 MB cap), not on public.sales_fact.
struct Template {
  const char* sql;
  std::vector<std::vector<const char*>> values;
  uint32_t type;  // of every $n, at Parse: int4, or date
};
const Template kTemplates[] = {
    {"SELECT sale_id FROM spectrum_schema.sales WHERE year IN ($1, $2)",
     {{"2024", "2024"}, {"2023", "2024"}, {"2022", "2022"}, {"2022", "2024"}, {"2023", "2023"}}, 23},
    {"SELECT sale_id FROM spectrum_schema.sales WHERE year >= $1 AND month <= $2",
     {{"2024", "12"}, {"2022", "12"}, {"2022", "4"}, {"2023", "12"}, {"2024", "1"}}, 23},
    {"SELECT url FROM spectrum_schema.clicks WHERE dt BETWEEN $1 AND $2",
     {{"2024-01-01", "2024-01-02"}, {"2024-01-01", "2024-01-05"}, {"2024-01-03", "2024-01-03"},
      {"2024-01-02", "2024-01-09"}, {"2024-01-04", "2024-01-05"}},
     1082},
    {"SELECT * FROM public.sales_fact WHERE sale_id IN ($1, $2)", {{"1", "2"}, {"3", "3"}, {"7", "1"}}, 23},
    {"SELECT amount FROM public.sales_fact WHERE sale_id BETWEEN $1 AND $2", {{"1", "2"}, {"5", "9"}}, 23},
    {"DELETE FROM public.sales_fact WHERE customer_id = $1 AND sale_id = $2", {{"1", "2"}, {"4", "4"}}, 23},
};

// The template with raw text in its $n places: literals as written, or anything else.
std::string with_raw(const Template& t, const std::vector<std::string>& raw) {
  std::string sql = t.sql;
  for (size_t i = raw.size(); i-- > 0;) {
    const std::string param = "$" + std::to_string(i + 1);
    sql.replace(sql.find(param), param.size(), raw[i]);
  }
  return sql;
}

// A value as the template's literal: a date quoted.
std::string literal(const Template& t, const char* value) {
  return t.type == 1082 ? "'" + std::string(value) + "'" : value;
}

// The template with its values written in as literals.
std::string written(const Template& t, const std::vector<const char*>& values) {
  std::vector<std::string> literals;
  for (const char* v : values) literals.push_back(literal(t, v));
  return with_raw(t, literals);
}

// Each statement sent as written first, as a simple Query: its decision, with every $n
// matching every partition, is kept with the same facts as the later texts' template and
// the Parse's, and must not be taken for one that holds for any values.
void send_templates(Governor& g) {
  for (const auto& t : kTemplates) (void)g.check_query(t.sql, ctx("analyst"));
}

void expect_same(const Verdict& got, const Verdict& want) {
  EXPECT_EQ(got.outcome, want.outcome);
  EXPECT_EQ(got.message, want.message);
  EXPECT_EQ(got.detail, want.detail);
  EXPECT_EQ(got.hint, want.hint);
}

// The reference for simple Queries: a governor that analyses every text as written.
std::shared_ptr<Governor> as_written_governor(const Harness& h) {
  GovernorOptions options = h.options;
  options.lift_literals = false;
  return Governor::create(YAML::Load(kRules), options);
}

// t Parsed on g (in parse_session) and, when the check waits for values, Bound with
// `values` (in bind_session), each verdict against a fresh governor's in a session of its
// own. The Bind's outcome, or nullopt when the Parse decided.
std::optional<V> expect_bind_as_fresh(Governor& g, const Template& t, const std::vector<const char*>& values,
                                      const SessionContext& parse_session, const SessionContext& bind_session) {
  const std::vector<std::optional<std::string>> params(values.begin(), values.end());
  const std::vector<uint32_t> types(values.size(), t.type);
  Harness fresh(kRules);
  std::shared_ptr<const PreparedCheck> want_deferred, got_deferred;
  expect_same(parse(g, t.sql, parse_session, &got_deferred, types),
              parse(*fresh.governor, t.sql, ctx("analyst"), &want_deferred, types));
  EXPECT_EQ(got_deferred == nullptr, want_deferred == nullptr);
  if (!want_deferred || !got_deferred) return std::nullopt;
  const Verdict want = fresh.governor->check_bind(*want_deferred, params, {}, ctx("analyst"));
  expect_same(g.check_bind(*got_deferred, params, {}, bind_session), want);
  return want.outcome;
}

// Every text in turn through one lifting governor, each against a governor that analyses
// it as written: the same verdicts, refusals and their wording included.
TEST(GovernorAnyValues, LiftedTextsDecideAsWrittenInAnyOrder) {
  Harness lifting(kRules);
  const auto as_written = as_written_governor(lifting);
  send_templates(*lifting.governor);
  int refused = 0, passed = 0;
  for (size_t i = 0; i < 5; ++i) {
    for (const auto& t : kTemplates) {
      const std::string sql = written(t, t.values[i % t.values.size()]);
      SCOPED_TRACE(sql);
      const Verdict want = as_written->check_query(sql, ctx("analyst")).verdict;
      expect_same(lifting.governor->check_query(sql, ctx("analyst")).verdict, want);
      (want.outcome == V::Refuse ? refused : passed) += 1;
    }
  }
  // The values decide: both outcomes occur (else the test would not tell kept from fresh).
  EXPECT_GT(refused, 3);
  EXPECT_GT(passed, 3);
}

// The same with Parse and Bind: each Bind's verdict is a fresh governor's for its values,
// after Binds of other values of the same statement.
TEST(GovernorAnyValues, BindsDecideAsAFreshGovernorInAnyOrder) {
  Harness shared(kRules);
  send_templates(*shared.governor);
  int refused = 0, passed = 0;
  for (size_t i = 0; i < 5; ++i) {
    for (const auto& t : kTemplates) {
      const auto& values = t.values[i % t.values.size()];
      SCOPED_TRACE(written(t, values));
      const auto bound = expect_bind_as_fresh(*shared.governor, t, values, ctx("analyst"), ctx("analyst"));
      if (bound) (*bound == V::Refuse ? refused : passed) += 1;
    }
  }
  EXPECT_GT(refused, 3);
  EXPECT_GT(passed, 3);
}

// One session sends everything, so its scope keeps its last text's facts and its last
// decision for any values between statements (SessionScope::Context). Each template goes
// lifted with two sets of values in turn, then as written, then as a Parse and Bind: every
// verdict must be what a governor that analyses texts as written, or a fresh one for the
// Bind, gives the statement in a session of its own.
TEST(GovernorAnyValues, OneSessionDecidesAsAFreshSessionInAnyOrder) {
  Harness shared(kRules);
  const auto as_written = as_written_governor(shared);
  const SessionContext session = ctx("analyst");
  int refused = 0, passed = 0;
  for (size_t i = 0; i < 5; ++i) {
    for (const auto& t : kTemplates) {
      for (size_t k = 0; k < 2; ++k) {
        const auto& values = t.values[(i + k) % t.values.size()];
        const std::string sql = written(t, values);
        SCOPED_TRACE(sql);
        const Verdict want = as_written->check_query(sql, ctx("analyst")).verdict;
        expect_same(shared.governor->check_query(sql, session).verdict, want);
        (want.outcome == V::Refuse ? refused : passed) += 1;
      }
      expect_same(shared.governor->check_query(t.sql, session).verdict,
                  as_written->check_query(t.sql, ctx("analyst")).verdict);
      (void)expect_bind_as_fresh(*shared.governor, t, t.values[i % t.values.size()], session, session);
    }
  }
  EXPECT_GT(refused, 3);
  EXPECT_GT(passed, 3);
}

// A text whose lifted template the grammar rejects (a type modifier cannot be $n) is
// analysed as written, even when the session's last text was that very template.
TEST(GovernorAnyValues, ATemplateTheGrammarRejectsIsNotTakenFromTheSession) {
  Harness shared(kRules);
  const auto as_written = as_written_governor(shared);
  const SessionContext session = ctx("analyst");
  const char* tmpl = "SELECT CAST(amount AS varchar($1)) FROM public.sales_fact WHERE sale_id = $2";
  const char* sql = "SELECT CAST(amount AS varchar(10)) FROM public.sales_fact WHERE sale_id = 5";
  (void)shared.governor->check_query(tmpl, session);
  const Verdict want = as_written->check_query(sql, ctx("analyst")).verdict;
  EXPECT_EQ(want.outcome, V::Pass);
  expect_same(shared.governor->check_query(sql, session).verdict, want);
}

// A session's next text is lifted by comparing it with its last template (rewrite::relift)
// rather than by the scanner. Texts that look like the last one but are not another value
// in its place (more conditions, casts, comments, continued strings) must be decided as
// written, each right after a text of the template's shape.
TEST(GovernorAnyValues, TextsLikeTheSessionsLastAreDecidedAsWritten) {
  Harness shared(kRules);
  const auto as_written = as_written_governor(shared);
  const SessionContext session = ctx("analyst");
  const std::vector<std::string> numbers = {
      "2024", "02024", "2024 OR TRUE", "2024) OR (TRUE", "2024 OR year > 0", "2022 OR sale_id > 0", "2024--",
      "2024/*x*/", "2024.0", "2024e0", "'2024'", "2024::int", "-2024", "(2024)", "2024 AND TRUE", "1 OR 1=1"};
  const std::vector<std::string> dates = {
      "'2024-01-01'", "'2024-01-01' OR TRUE", "'2024-01-01'' OR ''a''=''a'", "'2024-01-01'\n'x'",
      "'2024-01-01'::date", "'2023-01-01' OR dt > '2000-01-01'", "'2024-01-01'--", "'2024-01-01 00:00'",
      "DATE '2024-01-01'", "'2024-01-01' OR '1'='1'"};
  int refused = 0, passed = 0;
  for (const auto& t : kTemplates) {
    const auto& fragments = t.type == 1082 ? dates : numbers;
    const auto& first = t.values[0];
    for (size_t at = 0; at < first.size(); ++at) {
      for (const auto& fragment : fragments) {
        (void)shared.governor->check_query(written(t, first), session);  // the session's last shape
        std::vector<std::string> raw;
        for (size_t i = 0; i < first.size(); ++i) {
          raw.push_back(i == at ? fragment : literal(t, first[i]));
        }
        const std::string sql = with_raw(t, raw);
        SCOPED_TRACE(sql);
        const Verdict want = as_written->check_query(sql, ctx("analyst")).verdict;
        expect_same(shared.governor->check_query(sql, session).verdict, want);
        (want.outcome == V::Refuse ? refused : passed) += 1;
      }
    }
  }
  EXPECT_GT(refused, 10);
  EXPECT_GT(passed, 10);
}

}  // namespace
}  // namespace blueshift::policies
