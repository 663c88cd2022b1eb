// The upsert COPY planner: a COPY marked with its key in, the staged load and merge out
// (texts spliced from the client's statement), refusals for what cannot run, null for any
// other statement. That the steps run on the dev warehouse is tests/e2e/upsert/copy_load.py.
#include "rewrite/copy_upsert.h"

#include <gtest/gtest.h>

#include <regex>

namespace blueshift::rewrite {
namespace {

// The staging table's name differs per plan: tests read it as "S".
std::vector<std::string> steps(const PlanPtr& plan) {
  std::vector<std::string> out;
  for (const PlanStep& s : plan->steps)
    out.push_back(std::regex_replace(s.sql, std::regex("\"blueshift_copy_[0-9]+\""), "S"));
  return out;
}

const UpsertTargets kSalesOnly = [](std::string_view, std::string_view table) { return table == "sales"; };

TEST(CopyUpsert, FromStdinLoadsInOneTextThenChecksLocksDeletesInsertsAndDrops) {
  const PlanPtr p = plan_copy_upsert(
      "COPY public.sales (sale_id, amount) FROM STDIN WITH (FORMAT csv) /* blueshift:upsert key=(sale_id) */;",
      kSalesOnly);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->refusal);
  EXPECT_TRUE(p->copy_in);
  EXPECT_EQ(p->tag, "COPY {rows}");
  EXPECT_EQ(steps(p), (std::vector<std::string>{
                          "CREATE TEMP TABLE S (LIKE public.sales INCLUDING DEFAULTS); "
                          "COPY S (sale_id, amount) FROM STDIN WITH (FORMAT csv)",
                          "SELECT count(*) / 0 FROM (SELECT 1 AS blueshift_one FROM S WHERE \"sale_id\" IS NOT NULL "
                          "GROUP BY \"sale_id\" HAVING count(*) > 1) AS blueshift_twice HAVING count(*) > 0",
                          "LOCK public.sales",
                          // The DELETE probes the target's index (PostgreSQL), as ON CONFLICT would.
                          "SELECT set_config('blueshift_staged.enable_hashjoin', current_setting('enable_hashjoin'), true), "
                          "set_config('blueshift_staged.enable_mergejoin', current_setting('enable_mergejoin'), true), "
                          "set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)",
                          "DELETE FROM public.sales USING S WHERE sales.\"sale_id\" = S.\"sale_id\"",
                          "SELECT set_config('enable_hashjoin', current_setting('blueshift_staged.enable_hashjoin'), true), "
                          "set_config('enable_mergejoin', current_setting('blueshift_staged.enable_mergejoin'), true)",
                          "INSERT INTO public.sales SELECT * FROM S",
                          "DROP TABLE IF EXISTS S"}));
  EXPECT_EQ(p->steps[0].replies, PlanStep::Replies::Count);  // the client's COPY n
  for (size_t i = 1; i < p->steps.size(); ++i) EXPECT_EQ(p->steps[i].replies, PlanStep::Replies::Swallow);
  ASSERT_TRUE(p->steps[1].error_as);
  EXPECT_EQ(p->steps[1].error_as->sqlstate, "21000");
  EXPECT_EQ(p->steps[1].error_as->message, kCopyKeyTwice);
  EXPECT_TRUE(p->steps[2].block_only);
}

TEST(CopyUpsert, S3ParquetOnRedshiftCopiesIntoTheStagingTableThenMerges) {
  const PlanPtr p = plan_copy_upsert(
      "/* blueshift:upsert key=(sale_id, \"Region\") */ COPY sales FROM 's3://bucket/sales/' "
      "IAM_ROLE 'arn:aws:iam::123456789012:role/Loader' FORMAT AS PARQUET",
      kSalesOnly, {}, Warehouse::Redshift);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->refusal);
  EXPECT_FALSE(p->copy_in);  // an ordinary plan: BEGIN ... COMMIT around every step
  EXPECT_EQ(steps(p),
            (std::vector<std::string>{
                "CREATE TEMP TABLE S (LIKE sales INCLUDING DEFAULTS)",
                "COPY S FROM 's3://bucket/sales/' IAM_ROLE 'arn:aws:iam::123456789012:role/Loader' FORMAT AS PARQUET",
                "SELECT count(*) / 0 FROM (SELECT 1 AS blueshift_one FROM S WHERE \"sale_id\" IS NOT NULL AND "
                "\"Region\" IS NOT NULL GROUP BY \"sale_id\", \"Region\" HAVING count(*) > 1) AS blueshift_twice "
                "HAVING count(*) > 0",
                "LOCK sales",
                "DELETE FROM sales USING S WHERE sales.\"sale_id\" = S.\"sale_id\" AND sales.\"Region\" = "
                "S.\"Region\"",
                "INSERT INTO sales SELECT * FROM S",
                "DROP TABLE S"}));
  EXPECT_EQ(p->steps[1].replies, PlanStep::Replies::Count);
  // Redshift runs none of PostgreSQL's own upsert syntax.
  for (const std::string& s : steps(p)) {
    EXPECT_EQ(s.find("ON CONFLICT"), std::string::npos) << s;
    EXPECT_EQ(s.find("STDIN"), std::string::npos) << s;
  }
}

TEST(CopyUpsert, SessionKeyMarksEveryCopyFromAndTheCommentWins) {
  const PlanPtr by_session = plan_copy_upsert("copy sales from stdin", kSalesOnly, "sale_id , region");
  ASSERT_NE(by_session, nullptr);
  EXPECT_FALSE(by_session->refusal);
  EXPECT_EQ(steps(by_session)[4], "DELETE FROM sales USING S WHERE sales.\"sale_id\" = S.\"sale_id\" AND "
                                  "sales.\"region\" = S.\"region\"");
  const PlanPtr by_comment =
      plan_copy_upsert("COPY sales FROM STDIN /* blueshift:upsert key=(id) */", kSalesOnly, "sale_id");
  ASSERT_NE(by_comment, nullptr);
  EXPECT_EQ(steps(by_comment)[4], "DELETE FROM sales USING S WHERE sales.\"id\" = S.\"id\"");
}

TEST(CopyUpsert, OtherStatementsAreNotPlanned) {
  for (const char* sql : {
           "COPY sales FROM STDIN",                                      // no key anywhere
           "COPY sales TO STDOUT /* blueshift:upsert key=(id) */",       // not a load
           "COPY (SELECT 1) TO STDOUT /* blueshift:upsert key=(id) */",  // nor this
           "SELECT 'COPY sales FROM STDIN /* blueshift:upsert key=(id) */'",
           "INSERT INTO sales VALUES (1) /* blueshift:upsert key=(id) */",
       }) {
    EXPECT_EQ(plan_copy_upsert(sql, kSalesOnly), nullptr) << sql;
  }
  EXPECT_EQ(plan_copy_upsert("COPY sales TO STDOUT", kSalesOnly, "id"), nullptr);
}

TEST(CopyUpsert, MarkedCopiesThatCannotRunAreRefusedWithWhy) {
  struct Row {
    const char* sql;
    std::string_view key;
    Warehouse warehouse;
    const char* sqlstate;
    const char* message_part;
  };
  const Row rows[] = {
      {"COPY sales FROM STDIN /* blueshift:upsert key=() */", {}, Warehouse::PostgreSQL, "42601", "key"},
      {"COPY sales FROM STDIN /* blueshift:upsert key=(a,) */", {}, Warehouse::PostgreSQL, "42601", "key"},
      {"COPY sales FROM STDIN /* blueshift:upsert id */", {}, Warehouse::PostgreSQL, "42601", "key"},
      {"COPY sales FROM STDIN /* blueshift:upsert key=(select) */", {}, Warehouse::PostgreSQL, "42601", "key"},
      {"COPY sales FROM STDIN", "1 + 2", Warehouse::PostgreSQL, "42601", "key"},
      {"COPY sales FROM STDIN /* blueshift:upsert key=(id) */; DELETE FROM sales", {}, Warehouse::PostgreSQL,
       "0A000", "only statement"},
      {"COPY other FROM STDIN /* blueshift:upsert key=(id) */", {}, Warehouse::PostgreSQL, "0A000", "not enabled"},
      {"COPY sales FROM STDIN /* blueshift:upsert key=(id) */", {}, Warehouse::Redshift, "0A000", "STDIN"},
  };
  for (const Row& r : rows) {
    const PlanPtr p = plan_copy_upsert(r.sql, kSalesOnly, r.key, r.warehouse);
    ASSERT_NE(p, nullptr) << r.sql;
    ASSERT_TRUE(p->refusal) << r.sql;
    EXPECT_EQ(p->refusal->sqlstate, r.sqlstate) << r.sql;
    EXPECT_NE(p->refusal->message.find(r.message_part), std::string::npos) << r.sql << ": " << p->refusal->message;
    EXPECT_TRUE(p->steps.empty()) << r.sql;
  }
}

}  // namespace
}  // namespace blueshift::rewrite
