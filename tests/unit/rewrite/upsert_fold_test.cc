// Which upserts fold (rewrite/upsert_fold.h): a run of Executes of them may run as one
// staged transaction only where that is exactly the Executes one by one.
#include "rewrite/upsert_fold.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "rewrite/upsert_plan.h"

namespace blueshift::rewrite {
namespace {

// "keys 0,1" / "keys 1 flags" / "no fold"
std::string fold_of(const char* sql) {
  const PlanPtr p = plan_upsert(sql);
  if (p == nullptr || p->refusal) return "no plan";
  if (!p->fold) return "no fold";
  std::string out = "keys";
  for (const size_t k : p->fold->key_params) out += " " + std::to_string(k);
  return out + (p->fold->flags ? " flags" : "");
}

TEST(UpsertFold, OneValuesRowWhoseKeyColumnsAreParameters) {
  EXPECT_EQ(fold_of("insert into t (k, a) values ($1, $2) on conflict (k) do update set a = t.a + excluded.a"),
            "keys 0");
  EXPECT_EQ(fold_of("insert into t (a, \"K\", k2) values ($3, $1, $2) on conflict (\"K\", k2) do update set a = 1"),
            "keys 0 1");
  EXPECT_EQ(fold_of("insert into t (k, a) values ($1, now()) on conflict (k) do nothing"), "keys 0 flags");
}

// A failed run in the client's block is undone under a savepoint only where the warehouse
// has SAVEPOINT: Redshift has none (proxy/upsert_batch.h).
TEST(UpsertFold, OnlyPostgreSQLRunsMayBeUndoneUnderASavepoint) {
  const char* sql = "insert into t (k, a) values ($1, $2) on conflict (k) do update set a = excluded.a";
  const PlanPtr redshift = plan_upsert(sql, {}, {}, Warehouse::Redshift);
  const PlanPtr postgresql = plan_upsert(sql, {}, {}, Warehouse::PostgreSQL);
  ASSERT_TRUE(redshift && redshift->fold && postgresql && postgresql->fold);
  EXPECT_FALSE(redshift->fold->savepoints);
  EXPECT_TRUE(postgresql->fold->savepoints);
}

TEST(UpsertFold, ShapesWhereARowCouldSeeAnotherOrDifferByRowDoNot) {
  for (const char* sql : {
           "insert into t (k, a) values ($1, $2), ($3, $4) on conflict (k) do nothing",          // two rows
           "insert into t values ($1, $2) on conflict (k) do nothing",                          // no column list
           "insert into t (k, a) values (1, $1) on conflict (k) do nothing",                    // literal key
           "insert into t (k, a) values ($1 + 1, $2) on conflict (k) do nothing",               // computed key
           "insert into t (k, a) select $1, $2 on conflict (k) do nothing",                     // SELECT source
           "insert into t (k, a) values ($1, (select max(a) from t)) on conflict (k) do nothing",  // subquery
           "insert into t (k, a) values ($1, $2) on conflict (k) do update set a = (select 1 from u)",
           "insert into t (k, a) values ($1, $2) on conflict (k) do update set a = $3",         // SET by row
           "insert into t (k, a) values ($1, $2) on conflict (k) do update set a = 1 where t.a < 5",  // WHERE
       })
    EXPECT_EQ(fold_of(sql), "no fold") << sql;
}

TEST(UpsertFold, FoldedDoNothingCountsEachRowBeforeItsDuplicatesGo) {
  const PlanPtr p = plan_upsert("insert into t (k, a) values ($1, $2) on conflict (k) do nothing");
  const auto flags = std::find_if(p->steps.begin(), p->steps.end(),
                                  [](const PlanStep& s) { return s.replies == PlanStep::Replies::Flags; });
  ASSERT_NE(flags, p->steps.end());
  EXPECT_NE(flags->sql.find("row_number() OVER (PARTITION BY \"k\" ORDER BY \"blueshift_ord\")"), std::string::npos)
      << flags->sql;
  EXPECT_NE(flags->sql.find("blueshift_n = 1 OR excluded.\"k\" IS NULL"), std::string::npos) << flags->sql;
  EXPECT_NE(flags->sql.find("ORDER BY excluded.\"blueshift_ord\""), std::string::npos) << flags->sql;
  const auto deletes = std::next(flags);
  EXPECT_EQ(deletes->sql.rfind("DELETE FROM ", 0), 0u) << deletes->sql;
  EXPECT_NE(deletes->sql.find("WHERE NOT (blueshift_later.blueshift_n = 1 OR blueshift_later.\"k\" IS NULL)"),
            std::string::npos)
      << deletes->sql;
}

// On PostgreSQL each row's key is probed in the target's index a row at a time (a scalar
// subquery): a NOT EXISTS there is planned as a hash of the whole target. Redshift, which
// has no index, keeps NOT EXISTS.
TEST(UpsertFold, FoldedDoNothingFlagsProbeTheTargetARowAtATimeOnPostgreSQL) {
  const char* sql = "insert into t (k, a) values ($1, $2) on conflict (k) do nothing";
  const auto flags_of = [&](Warehouse w) {
    const PlanPtr p = plan_upsert(sql, {}, {}, w);
    for (const PlanStep& s : p->steps)
      if (s.replies == PlanStep::Replies::Flags) return s.sql;
    return std::string("no flags");
  };
  const std::string pg = flags_of(Warehouse::PostgreSQL), redshift = flags_of(Warehouse::Redshift);
  EXPECT_NE(pg.find("AND (SELECT 1 FROM t AS blueshift_target WHERE blueshift_target.\"k\" = excluded.\"k\" LIMIT 1) "
                    "IS NULL FROM"),
            std::string::npos)
      << pg;
  EXPECT_EQ(pg.find("EXISTS"), std::string::npos) << pg;
  EXPECT_NE(redshift.find("AND NOT EXISTS (SELECT 1 FROM t AS blueshift_target WHERE"), std::string::npos) << redshift;
}

}  // namespace
}  // namespace blueshift::rewrite
