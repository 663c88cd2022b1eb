// The MERGE planner: Redshift's own forms pass through (null), the others become staged
// steps cut from the client's text, refusals for what cannot be spelled. That the steps
// give PostgreSQL's results is shown by tests/e2e/upsert/merge_differential.py.
#include "rewrite/merge_plan.h"

#include <gtest/gtest.h>

#include <regex>

namespace blueshift::rewrite {
namespace {

// Staging tables' names differ per plan: tests read them as S and N, in order.
std::string names(const PlanPtr& plan, std::string text) {
  std::regex re("\"blueshift_merge_[0-9]+\"");
  std::vector<std::string> seen;
  for (const PlanStep& s : plan->steps)
    for (auto it = std::sregex_iterator(s.sql.begin(), s.sql.end(), re); it != std::sregex_iterator(); ++it)
      if (std::find(seen.begin(), seen.end(), it->str()) == seen.end()) seen.push_back(it->str());
  for (size_t i = 0; i < seen.size(); ++i) text = std::regex_replace(text, std::regex(seen[i]), i == 0 ? "S" : "N");
  return text;
}

std::vector<std::string> texts(const PlanPtr& plan) {
  std::vector<std::string> out;
  for (const PlanStep& s : plan->steps) out.push_back(names(plan, s.sql));
  return out;
}

TEST(MergePlan, RedshiftFormsPassThroughInNativeMode) {
  const std::string update =
      "MERGE INTO t USING s ON t.k = s.k WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT VALUES "
      "(s.k, s.a)";
  const std::string del =
      "merge into public.t using s as src on t.k = src.k when matched then delete when not matched then insert (k) "
      "values (src.k)";
  EXPECT_EQ(plan_merge(update, MergeMode::Native), nullptr);
  EXPECT_EQ(plan_merge(del, MergeMode::Native), nullptr);
  EXPECT_NE(plan_merge(update, MergeMode::Staged), nullptr);
  EXPECT_EQ(plan_merge(update + " ", MergeMode::Off), nullptr);
  // What Redshift cannot run is staged: a condition, a subquery or VALUES source, DO
  // NOTHING, one clause only, clauses in the other order, a target alias.
  for (const char* staged : {
           "MERGE INTO t USING s ON t.k = s.k WHEN MATCHED AND s.a > 0 THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN "
           "INSERT VALUES (s.k, s.a)",
           "MERGE INTO t USING (SELECT * FROM u) AS s ON t.k = s.k WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT "
           "MATCHED THEN INSERT VALUES (s.k, s.a)",
           "MERGE INTO t USING (VALUES (1, 2)) AS s(k, a) ON t.k = s.k WHEN MATCHED THEN DELETE",
           "MERGE INTO t USING s ON t.k = s.k WHEN MATCHED THEN DO NOTHING WHEN NOT MATCHED THEN INSERT VALUES (s.k)",
           "MERGE INTO t USING s ON t.k = s.k WHEN NOT MATCHED THEN INSERT VALUES (s.k) WHEN MATCHED THEN DELETE",
           "MERGE INTO t AS x USING s ON x.k = s.k WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.k)"}) {
    const PlanPtr p = plan_merge(staged, MergeMode::Native);
    ASSERT_NE(p, nullptr) << staged;
    EXPECT_FALSE(p->refusal) << staged;
  }
  EXPECT_EQ(plan_merge("SELECT 'merge'", MergeMode::Staged), nullptr);
  EXPECT_EQ(plan_merge("MERGE INTO t USING (VALUES (1)) AS s(k) ON t.k = s.k WHEN MATCHED THEN DELETE",
                       MergeMode::Staged, [](std::string_view, std::string_view) { return false; }),
            nullptr);
}

TEST(MergePlan, FirstMatchingClauseWinsAcrossStagedSteps) {
  const PlanPtr p = plan_merge(
      "MERGE INTO public.t AS x USING (VALUES (1, 'a'), (2, 'b')) AS s(k, v) ON x.k = s.k "
      "WHEN MATCHED AND s.v = 'z' THEN DELETE "
      "WHEN MATCHED AND x.n > 5 THEN UPDATE SET n = x.n + 1, v = s.v "
      "WHEN MATCHED THEN UPDATE SET n = 0 "
      "WHEN NOT MATCHED AND s.k > 1 THEN INSERT (k, v) VALUES (s.k, upper(s.v)) "
      "WHEN NOT MATCHED THEN DO NOTHING;",
      MergeMode::Native);
  ASSERT_NE(p, nullptr);
  ASSERT_FALSE(p->refusal);
  EXPECT_EQ(p->tag, "MERGE {rows}");
  const std::string matched = "CASE WHEN (s.v = 'z') THEN 1 WHEN (x.n > 5) THEN 2 WHEN TRUE THEN 3 ELSE 0 END";
  EXPECT_EQ(texts(p),
            (std::vector<std::string>{
                "LOCK public.t",
                "SELECT pg_advisory_xact_lock(1651275109, E'public.t'::regclass::oid::int)",
                "CREATE TEMP TABLE S AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS s(k, v)",
                "SELECT count(*) / 0 FROM S AS \"s\" JOIN public.t AS x ON (x.k = s.k) WHERE " + matched +
                    " IN (1, 2, 3) AND (SELECT count(*) FROM S AS \"s\" WHERE (x.k = s.k) AND " + matched +
                    " IN (1, 2, 3)) > 1 HAVING count(*) > 0",
                "CREATE TEMP TABLE N AS SELECT \"s\".*, CASE WHEN (s.k > 1) THEN 4 WHEN TRUE THEN 5 ELSE 0 END AS "
                "blueshift_clause FROM S AS \"s\" WHERE NOT EXISTS (SELECT 1 FROM public.t AS x WHERE x.k = s.k)",
                "DELETE FROM public.t AS x USING S AS \"s\" WHERE (x.k = s.k) AND " + matched + " IN (1)",
                "UPDATE public.t AS x SET \"n\" = CASE " + matched + " WHEN 2 THEN x.n + 1 WHEN 3 THEN 0 ELSE \"x\".\"n\" END, "
                "\"v\" = CASE " + matched + " WHEN 2 THEN s.v ELSE \"x\".\"v\" END FROM S AS \"s\" WHERE (x.k = s.k) AND " +
                    matched + " IN (2, 3)",
                "INSERT INTO public.t (k, v) SELECT s.k, upper(s.v) FROM N AS \"s\" WHERE blueshift_clause = 4",
                "DROP TABLE N", "DROP TABLE S"}));
  EXPECT_TRUE(p->steps[0].block_only);
  EXPECT_TRUE(p->steps[1].implicit_only);
  ASSERT_TRUE(p->steps[3].error_as);
  EXPECT_EQ(p->steps[3].error_as->sqlstate, "21000");
  EXPECT_EQ(p->steps[3].error_as->message, kMergeAffectRowTwice);
  for (size_t i : {5, 6, 7}) EXPECT_EQ(p->steps[i].replies, PlanStep::Replies::Count) << i;
}

TEST(MergePlan, OneUpdateClauseKeepsItsSetListAndCaseInsideIsNotAClause) {
  const PlanPtr p = plan_merge(
      "MERGE INTO t USING src s ON t.k = s.k WHEN MATCHED AND s.v > 0 THEN UPDATE SET v = CASE WHEN s.v > 9 THEN 9 "
      "ELSE s.v END",
      MergeMode::Native);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(texts(p)[4], "UPDATE t SET v = CASE WHEN s.v > 9 THEN 9 ELSE s.v END FROM S AS \"s\" WHERE (t.k = s.k) AND "
                         "CASE WHEN (s.v > 0) THEN 1 ELSE 0 END IN (1)");
}

TEST(MergePlan, AStatementEndsBeforeItsSemicolon) {
  const PlanPtr p = plan_merge(
      "MERGE INTO t USING src s ON t.k = s.k WHEN MATCHED AND s.v > 0 THEN UPDATE SET v = 1 "
      "WHEN MATCHED THEN UPDATE SET v = s.v, w = 2 ; ",
      MergeMode::Native);
  ASSERT_NE(p, nullptr);
  ASSERT_FALSE(p->refusal);
  const std::string k = "CASE WHEN (s.v > 0) THEN 1 WHEN TRUE THEN 2 ELSE 0 END";
  EXPECT_EQ(texts(p)[4], "UPDATE t SET \"v\" = CASE " + k + " WHEN 1 THEN 1 WHEN 2 THEN s.v ELSE \"t\".\"v\" END, \"w\" = CASE " +
                             k + " WHEN 2 THEN 2 ELSE \"t\".\"w\" END FROM S AS \"s\" WHERE (t.k = s.k) AND " + k + " IN (1, 2)");
}

TEST(MergePlan, OnlyStepsThatCarryParametersBindThem) {
  const PlanPtr p = plan_merge(
      "MERGE INTO t USING (VALUES ($1::int, $2::int)) AS s(k, v) ON t.k = s.k WHEN MATCHED AND t.v < $3 THEN DELETE "
      "WHEN NOT MATCHED THEN INSERT VALUES (s.k, s.v)",
      MergeMode::Native);
  ASSERT_NE(p, nullptr);
  std::vector<bool> binds;
  for (const PlanStep& s : p->steps) binds.push_back(s.uses_params);
  // lock, advisory lock, stage, check, unmatched, delete, insert, drop, drop
  EXPECT_EQ(binds, (std::vector<bool>{false, false, true, true, false, true, false, false, false}));
}

TEST(MergePlan, RefusesWhatItCannotSpell) {
  for (const char* sql : {
           "MERGE INTO t USING s ON t.k = s.k WHEN NOT MATCHED THEN INSERT DEFAULT VALUES",
           "MERGE INTO t USING s ON t.k = s.k WHEN NOT MATCHED THEN INSERT VALUES (DEFAULT)",
           "MERGE INTO t USING s ON t.k = s.k WHEN MATCHED THEN UPDATE SET (a, b) = (s.a, s.b)",
           "MERGE INTO t USING (SELECT 1 AS k) AS s JOIN u ON true ON t.k = s.k WHEN MATCHED THEN DELETE",
           "WITH w AS (SELECT 1 AS k) MERGE INTO t USING w ON t.k = w.k WHEN MATCHED THEN DELETE",
       }) {
    const PlanPtr p = plan_merge(sql, MergeMode::Staged);
    ASSERT_NE(p, nullptr) << sql;
    EXPECT_TRUE(p->refusal) << sql;
  }
  // PostgreSQL's own refusal, before anything runs.
  const PlanPtr unreachable = plan_merge(
      "MERGE INTO t USING s ON t.k = s.k WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN DO NOTHING "
      "WHEN MATCHED AND s.k > 0 THEN DO NOTHING",
      MergeMode::Staged);
  ASSERT_NE(unreachable, nullptr);
  ASSERT_TRUE(unreachable->refusal);
  EXPECT_EQ(unreachable->refusal->sqlstate, "42601");
  const PlanPtr two = plan_merge("SELECT 1; MERGE INTO t USING s ON t.k = s.k WHEN MATCHED THEN DELETE", MergeMode::Staged);
  ASSERT_NE(two, nullptr);
  EXPECT_TRUE(two->refusal);
}

}  // namespace
}  // namespace blueshift::rewrite
