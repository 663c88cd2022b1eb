// The figures behind the cost metrics: which group label a session's scans count under
// (policies/scan_spend.h), the tallies, and reconcile's error-ratio buckets
// (policies/reconcile_stats.h).
#include <gtest/gtest.h>

#include <algorithm>

#include "policies/reconcile_stats.h"
#include "policies/scan_spend.h"

namespace blueshift::policies {
namespace {

SessionFacts member_of(std::vector<std::string> groups, bool unknown = false) {
  SessionFacts s;
  s.user = "someone";
  s.groups = std::move(groups);
  s.groups_unknown = unknown;
  return s;
}

TEST(ScanSpend, ConfiguredGroupsInOrderEachOnce) {
  const PolicySet policy = parse_policy_set(YAML::Load(R"(
rules:
  - {name: a, type: deny_select_star, scope: {groups: [analysts, "bi_*"]}, exempt: {groups: [admins]}}
  - {name: b, type: deny_select_star, scope: {groups: [analysts]}}
budgets:
  limits:
    - {name: finance-month, group: finance, period: month, usd: 10}
    - {name: me, user: analyst, period: day, usd: 1}
)"));
  EXPECT_EQ(configured_groups(policy), (std::vector<std::string>{"analysts", "bi_*", "admins", "finance"}));
}

TEST(ScanSpend, SessionCountsUnderTheFirstConfiguredGroupItMatches) {
  const std::vector<std::string> configured = {"analysts", "bi_*", "finance"};
  struct Row {
    std::vector<std::string> groups;
    bool unknown;
    std::string_view label;
  } rows[] = {
      {{"analysts"}, false, "analysts"},
      {{"finance", "analysts"}, false, "analysts"},  // configuration order, not the session's
      {{"bi_sales"}, false, "bi_*"},                 // a glob labels with the glob
      {{"marketing"}, false, "other"},
      {{}, false, "other"},
      {{"analysts"}, true, "other"},  // not looked up yet: no per-user guess
  };
  for (const Row& r : rows) EXPECT_EQ(spend_group(configured, member_of(r.groups, r.unknown)), r.label);
}

TEST(ScanSpend, TalliesAddUpPerGroup) {
  ScanSpend spend;
  spend.count("analysts", 1000, 0.000047684);
  spend.count("other", 5, 0.000047684);
  spend.count("analysts", 24, 0.5);
  const auto tallies = spend.read();
  ASSERT_EQ(tallies.size(), 2u);
  EXPECT_EQ(tallies[0].group, "analysts");
  EXPECT_EQ(tallies[0].statements, 2u);
  EXPECT_EQ(tallies[0].bytes, 1024u);
  EXPECT_EQ(tallies[0].nanodollars, 500047684u);
  EXPECT_EQ(tallies[1].group, "other");
  EXPECT_EQ(tallies[1].statements, 1u);
}

Reconciled reconciled(int64_t estimated, int64_t actual) {
  Reconciled r;
  r.estimate.bytes = estimated;
  r.actual_bytes = actual;
  if (actual > 0) r.error_ratio = static_cast<double>(estimated - actual) / static_cast<double>(actual);
  return r;
}

TEST(ReconcileStats, CountsBytesAndBucketsTheErrorRatio) {
  ReconcileStats stats;
  MatchResult round;
  // Ratios 1 (twice the scan), 0 (exact), -0.5 (half); one that scanned nothing has none.
  round.matched = {reconciled(200, 100), reconciled(300, 300), reconciled(50, 100), reconciled(10, 0)};
  round.expired = 2;
  stats.add(round);
  const ReconcileCounts c = stats.read();
  EXPECT_EQ(c.matched, 4u);
  EXPECT_EQ(c.unmatched, 2u);
  EXPECT_EQ(c.estimated_bytes, 560u);
  EXPECT_EQ(c.actual_bytes, 500u);
  EXPECT_EQ(c.error_count, 3u);
  EXPECT_DOUBLE_EQ(c.error_sum, 0.5);
  const auto& bounds = reconcile_error_bounds();
  ASSERT_EQ(c.error_cumulative.size(), bounds.size() + 1);
  auto at_most = [&](double bound) {  // the cumulative count of the bucket `le` bound
    const auto i = std::find(bounds.begin(), bounds.end(), bound) - bounds.begin();
    return c.error_cumulative[static_cast<size_t>(i)];
  };
  EXPECT_EQ(at_most(-0.9), 0u);
  EXPECT_EQ(at_most(-0.5), 1u);   // -0.5 is in the bucket le=-0.5
  EXPECT_EQ(at_most(-0.01), 1u);
  EXPECT_EQ(at_most(0.01), 2u);   // 0
  EXPECT_EQ(at_most(0.5), 2u);
  EXPECT_EQ(at_most(1), 3u);      // 1
  EXPECT_EQ(c.error_cumulative.back(), 3u);
}

}  // namespace
}  // namespace blueshift::policies
