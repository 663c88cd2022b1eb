// Budget arithmetic (policies/budget.h) and the `policies.budgets` section.
#include "policies/budget.h"

#include <gtest/gtest.h>

#include "policies/budget_settings.h"

namespace blueshift::policies {
namespace {

using std::chrono::system_clock;

system_clock::time_point at(int year, int month, int day, int hour = 12) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  return system_clock::from_time_t(timegm(&tm));
}

BudgetSettings parse(const std::string& yaml) { return parse_budget_settings(YAML::Load(yaml), "policies.budgets"); }

TEST(BudgetMoney, NanodollarsRoundUpAndPrintExactly) {
  EXPECT_EQ(to_nanodollars(0.5), 500000000);
  EXPECT_EQ(to_nanodollars(0.0000476837158203125), 47684);  // 10 MiB at $5/TiB, rounded up
  EXPECT_EQ(to_nanodollars(0), 0);
  EXPECT_EQ(usd_exact(47684), "0.000047684");
  EXPECT_EQ(usd_exact(12000000001), "12.000000001");
  EXPECT_EQ(usd_exact(-5), "-0.000000005");
}

TEST(BudgetPeriods, DaysAndMonthsInUtc) {
  EXPECT_EQ(period_start(BudgetPeriod::Day, at(2024, 5, 31, 23)), "2024-05-31");
  EXPECT_EQ(next_period_start(BudgetPeriod::Day, at(2024, 5, 31, 23)), "2024-06-01");
  EXPECT_EQ(period_start(BudgetPeriod::Month, at(2024, 5, 17)), "2024-05-01");
  EXPECT_EQ(next_period_start(BudgetPeriod::Month, at(2024, 12, 17)), "2025-01-01");
  EXPECT_EQ(next_period_start(BudgetPeriod::Month, at(2024, 2, 29)), "2024-03-01");
}

TEST(BudgetLeases, GrantCoversNeedAndAShareOfTheRestNeverMoreThanIsLeft) {
  // limit 100, 40 gone elsewhere: 60 free; keep 10 and need 10, plus a quarter of 40.
  LeaseGrant g = grant_lease(100, 40, 10, 10, 0.25);
  EXPECT_TRUE(g.covers_need);
  EXPECT_EQ(g.lease, 30);
  // Exactly what is left: granted whole.
  g = grant_lease(100, 40, 0, 60, 0.25);
  EXPECT_TRUE(g.covers_need);
  EXPECT_EQ(g.lease, 60);
  // A need past what is left: only what the old lease backs stays held.
  g = grant_lease(100, 95, 3, 10, 0.25);
  EXPECT_FALSE(g.covers_need);
  EXPECT_EQ(g.lease, 3);
  // Over-committed (lapsed leases counted as spent): nothing.
  g = grant_lease(100, 120, 0, 1, 0.25);
  EXPECT_FALSE(g.covers_need);
  EXPECT_EQ(g.lease, 0);
}

TEST(BudgetThresholds, CrossedOnlyWhenTheMarkIsReached) {
  const std::vector<double> t = {0.5, 0.8};
  EXPECT_EQ(crossed_thresholds(0, 79, 100, t), std::vector<double>{0.5});
  EXPECT_EQ(crossed_thresholds(50, 80, 100, t), std::vector<double>{0.8});
  EXPECT_EQ(crossed_thresholds(10, 90, 100, t), (std::vector<double>{0.5, 0.8}));
  EXPECT_TRUE(crossed_thresholds(80, 99, 100, t).empty());
  EXPECT_TRUE(crossed_thresholds(0, 49, 100, t).empty());
}

TEST(BudgetAccounts, UserGlobsAreAccountsEachGroupsArePools) {
  const BudgetSettings s = parse(R"(
limits:
  - {name: everyone-day, user: "*", period: day, usd: 1}
  - {name: bob-month, user: bob, period: month, usd: 5, mode: warn}
  - {name: analysts-month, group: analysts, period: month, usd: 50}
)");
  SessionFacts alice{"alice", "dev", "", "", {"analysts"}};
  auto a = budget_accounts(s, alice);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].budget, "everyone-day");
  EXPECT_EQ(a[0].member, "alice");
  EXPECT_EQ(a[0].limit, 1000000000);
  EXPECT_EQ(a[1].member, "analysts");
  EXPECT_EQ(a[1].holder, Budget::Holder::Group);
  SessionFacts bob{"bob", "dev", "", "", {}};
  a = budget_accounts(s, bob);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].mode, BudgetMode::Warn);
  EXPECT_NE(a[0].key(), budget_accounts(s, alice)[0].key());  // one account each
  // Unknown groups: charged to every group pool (fail closed).
  SessionFacts unknown{"carol", "dev", "", "", {}, true};
  EXPECT_EQ(budget_accounts(s, unknown).size(), 2u);
}

TEST(BudgetSettingsParse, DefaultsAndErrorsNameTheKey) {
  const BudgetSettings s = parse("limits: [{name: a, user: x, period: day, usd: 0.5}]");
  EXPECT_EQ(s.thresholds, std::vector<double>{0.8});
  EXPECT_EQ(s.ledger_schema, "blueshift");
  EXPECT_FALSE(s.fail_open);
  EXPECT_TRUE(parse("{}").empty());
  auto fails = [](const std::string& yaml, const std::string& words) {
    try {
      (void)parse(yaml);
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  fails("limits: [{name: a, user: x, period: week, usd: 1}]", "policies.budgets.limits[0].period");
  fails("limits: [{name: a, user: x, group: g, period: day, usd: 1}]", "exactly one of user");
  fails("limits: [{name: a, user: x, period: day, usd: -1}]", "limits[0].usd");
  fails("limits: [{name: a, user: x, period: day, usd: 1}, {name: a, user: y, period: day, usd: 1}]", "limits[1].name");
  fails("on_ledger_error: maybe", "on_ledger_error");
  fails("thresholds: [1.5]", "thresholds[0]");
  fails("lease: {share: 2}", "lease.share");
  fails("ledgr: {}", "policies.budgets.ledgr");
}

TEST(BudgetMessages, RefusalStatesSpentEstimateLimitAndPeriod) {
  BudgetAccount a{"analyst-day", Budget::Holder::User, "analyst", BudgetPeriod::Day, 1000000, BudgetMode::Enforce};
  const BudgetMessage m = over_budget(a, 990000, 2000, 47684, at(2024, 5, 3));
  EXPECT_EQ(m.severity, "ERROR");
  EXPECT_EQ(m.sqlstate, "53400");
  EXPECT_NE(m.message.find("\"analyst-day\""), std::string::npos) << m.message;
  EXPECT_NE(m.detail.find("spent $0.000990000 of $0.001000000 in the day 2024-05-03 (UTC)"), std::string::npos) << m.detail;
  EXPECT_NE(m.detail.find("$0.000002000 leased to other proxy instances"), std::string::npos) << m.detail;
  EXPECT_NE(m.detail.find("estimated at $0.000047684"), std::string::npos) << m.detail;
  EXPECT_NE(m.detail.find("$0.000008000 is left"), std::string::npos) << m.detail;
  EXPECT_NE(m.hint.find("2024-05-04"), std::string::npos) << m.hint;
  a.mode = BudgetMode::Warn;
  EXPECT_EQ(over_budget(a, 990000, 0, 47684, at(2024, 5, 3)).severity, "WARNING");
  EXPECT_EQ(ledger_unavailable(a, "down").sqlstate, "55000");
}

}  // namespace
}  // namespace blueshift::policies
