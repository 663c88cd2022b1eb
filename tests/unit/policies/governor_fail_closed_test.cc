// Missing facts fail closed, and checks never wait for them: a user whose groups are not
// known (no look-up yet, or a failed one) is in every group a rule's scope names; group
// look-ups run only in lookup_groups (the proxy's worker thread), coalesce, and retry
// with backoff; while the catalog has not loaded, tables it might govern are governed.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "governor_harness.h"

namespace blueshift::policies {
namespace {

using namespace testing;
using namespace std::chrono_literals;
using V = Verdict::Outcome;

constexpr const char* kUnfiltered = "SELECT sale_id FROM spectrum_schema.sales";

TEST(GovernorGroups, UnknownGroupsFailClosedUntilLookedUp) {
  Harness h;
  auto& g = *h.governor;
  EXPECT_TRUE(g.needs_group_lookup("stranger"));
  EXPECT_FALSE(g.needs_group_lookup("analyst"));  // the catalog knows them
  // Not looked up yet: in analysts as far as the rules go; the check asked no one.
  EXPECT_EQ(g.check_query(kUnfiltered, ctx("stranger")).verdict.outcome, V::Refuse);
  EXPECT_EQ(h.group_lookups, 0);
  const auto lines = h.audit.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["groups_unknown"], true);
  // Exempt by user still exempts.
  EXPECT_EQ(g.check_query(kUnfiltered, ctx("etl")).verdict.outcome, V::Pass);

  g.lookup_groups("stranger");  // no such user: no groups
  EXPECT_EQ(h.group_lookups, 1);
  EXPECT_FALSE(g.needs_group_lookup("stranger"));
  EXPECT_EQ(g.check_query(kUnfiltered, ctx("stranger")).verdict.outcome, V::Pass);
  g.lookup_groups("stranger");  // known: not asked again
  g.lookup_groups("newbie");
  EXPECT_EQ(h.group_lookups, 2);
  EXPECT_EQ(g.check_query(kUnfiltered, ctx("newbie")).verdict.outcome, V::Refuse);  // in analysts
  // A refresh forgets what was looked up: the new catalog may know better.
  std::string error;
  ASSERT_TRUE(g.refresh_catalog(&error)) << error;
  EXPECT_TRUE(g.needs_group_lookup("newbie"));
}

// An exemption by group never applies to a user whose groups are unknown.
TEST(GovernorGroups, UnknownGroupsAreInNoExemptGroup) {
  Harness h(R"(
catalog_tables: true
rules: [{name: f, type: require_partition_filter, exempt: {groups: [analysts]}}]
)");
  auto& g = *h.governor;
  EXPECT_EQ(g.check_query(kUnfiltered, ctx("newbie")).verdict.outcome, V::Refuse);
  g.lookup_groups("newbie");  // in analysts: exempt
  EXPECT_EQ(g.check_query(kUnfiltered, ctx("newbie")).verdict.outcome, V::Pass);
}

TEST(GovernorGroups, FailedLookupsFailClosedAndRetryWithBackoff) {
  Harness h;
  auto& g = *h.governor;
  h.groups_fail = true;
  g.lookup_groups("stranger");
  EXPECT_EQ(h.group_lookups, 1);
  // Not cached as "no groups": still governed as a member of every group.
  EXPECT_TRUE(g.needs_group_lookup("stranger"));
  EXPECT_EQ(g.check_query(kUnfiltered, ctx("stranger")).verdict.outcome, V::Refuse);
  // Retried after 1 s, then 2 s, 4 s: never sooner.
  const std::pair<std::chrono::milliseconds, int> steps[] = {
      {0ms, 1}, {999ms, 1}, {1ms, 2}, {1999ms, 2}, {1ms, 3}, {3999ms, 3}, {1ms, 4}};
  for (const auto& [wait, lookups] : steps) {
    h.advance(wait);
    g.lookup_groups("stranger");
    EXPECT_EQ(h.group_lookups, lookups) << "after another " << wait.count() << " ms";
  }
  h.groups_fail = false;
  h.advance(8s);
  g.lookup_groups("stranger");
  EXPECT_EQ(h.group_lookups, 5);
  EXPECT_FALSE(g.needs_group_lookup("stranger"));
  EXPECT_EQ(g.check_query(kUnfiltered, ctx("stranger")).verdict.outcome, V::Pass);
}

// A look-up held at the warehouse blocks neither a check of the same user nor of anyone
// else, and a second session of the user waits for the first look-up's answer.
TEST(GovernorGroups, ChecksNeverWaitForALookup) {
  Harness h;
  auto& g = *h.governor;
  h.lookup_gate.close();
  std::thread first([&] { g.lookup_groups("newbie"); });
  std::thread second([&] { g.lookup_groups("newbie"); });
  h.lookup_gate.await_waiting(1);
  auto checks = std::async(std::launch::async, [&] {
    return std::vector<V>{g.check_query(kUnfiltered, ctx("newbie")).verdict.outcome,
                          g.check_query(kUnfiltered, ctx("analyst")).verdict.outcome,
                          g.check_query(kUnfiltered, ctx("etl")).verdict.outcome};
  });
  const bool done = checks.wait_for(10s) == std::future_status::ready;
  h.lookup_gate.open();  // before any assertion can end the test with threads waiting
  first.join();
  second.join();
  ASSERT_TRUE(done) << "a check waited for a group look-up";
  EXPECT_EQ(checks.get(), (std::vector<V>{V::Refuse, V::Refuse, V::Pass}));
  EXPECT_EQ(h.group_lookups, 1);  // the second session shared the first one's answer
  EXPECT_FALSE(g.needs_group_lookup("newbie"));
}

TEST(GovernorCatalog, MissingCatalogFailsClosed) {
  Harness h(kDemoPolicies, /*catalog_fails_at_start=*/true);
  auto& g = *h.governor;
  EXPECT_FALSE(g.catalog_ready());
  for (const char* user : {"analyst", "etl", "stranger"}) g.lookup_groups(user);  // as at login
  const char* kMissing =
      "blueshift: query on spectrum_schema.sales refused by rule \"analysts-max-12-partitions\" (max_partitions): "
      "the warehouse catalog has not loaded yet";
  struct Row {
    const char* name;
    const char* sql;
    const char* user;
    V outcome;
    const char* message;  // exact, when given
  };
  const Row rows[] = {
      {"a declared table: partitions unknown, max_partitions cannot count",
       "SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024 AND month = 1", "analyst", V::Refuse, kMissing},
      {"an undeclared table the catalog might list", "SELECT url FROM spectrum_schema.clicks WHERE dt = '2024-01-01'",
       "analyst", V::Refuse,
       "blueshift: query on spectrum_schema.clicks refused by rule \"analysts-must-filter-partitions\" "
       "(require_partition_filter): the warehouse catalog has not loaded yet"},
      {"unqualified: may be in a governed schema", "SELECT sale_id FROM sales WHERE year = 2024 AND month = 1",
       "analyst", V::Refuse, nullptr},
      {"outside the rules' table globs, written qualified: only the lake-wide warning",
       "SELECT * FROM public.sales_fact", "analyst", V::Notice, nullptr},
      {"named columns outside the globs", "SELECT sale_id FROM public.sales_fact", "analyst", V::Pass, nullptr},
      {"no table", "SELECT 1", "analyst", V::Pass, nullptr},
      {"system catalogs are never external tables", "SELECT relname FROM pg_catalog.pg_class", "analyst", V::Pass,
       nullptr},
      {"unparsable text", "SELEC sale_id FROM somewhere", "analyst", V::Refuse, nullptr},
      {"exempt user", "SELECT sale_id FROM spectrum_schema.sales", "etl", V::Pass, nullptr},
      {"a user in no group", "SELECT sale_id FROM spectrum_schema.sales", "stranger", V::Pass, nullptr},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Verdict v = g.check_query(row.sql, ctx(row.user)).verdict;
    EXPECT_EQ(v.outcome, row.outcome) << v.message;
    if (row.message) {
      EXPECT_EQ(v.message, row.message);
    }
  }
  // Once the catalog loads, the same scan is decided on its partitions.
  h.catalog_fails = false;
  std::string error;
  ASSERT_TRUE(g.refresh_catalog(&error)) << error;
  EXPECT_TRUE(g.catalog_ready());
  EXPECT_EQ(g.check_query(rows[0].sql, ctx("analyst")).verdict.outcome, V::Pass);
}

// With table rules only, a text naming no known governed table skips analysis: not while
// the catalog that would name them is missing.
TEST(GovernorCatalog, MissingCatalogAnalysesEveryText) {
  Harness h("catalog_tables: true\nrules: [{name: f, type: require_partition_filter, tables: [\"spectrum_schema.*\"]}]",
            /*catalog_fails_at_start=*/true);
  EXPECT_EQ(h.governor->check_query("SELECT url FROM spectrum_schema.clicks", ctx("etl")).verdict.outcome, V::Refuse);
  EXPECT_EQ(h.governor->check_query("SELECT 1", ctx("etl")).verdict.outcome, V::Pass);
}

TEST(GovernorCatalog, ReadyWithoutACatalogOrOnceLoaded) {
  Harness loaded;
  EXPECT_TRUE(loaded.governor->catalog_ready());
  GovernorOptions none;  // no catalog configured: nothing to wait for
  EXPECT_TRUE(Governor::create(YAML::Load(kDemoPolicies), none)->catalog_ready());
}

}  // namespace
}  // namespace blueshift::policies
