// Budgets in the session's logic, without sockets (proxy/budget_gate.h): a budgeted
// statement waits for a lease, then runs and is settled when its replies are done; one
// over budget is refused before anything runs (and is not counted in the scan metrics);
// SHOW blueshift.spend is the proxy's.
#include <gtest/gtest.h>

#include "conversation_driver.h"
#include "demo_governor.h"
#include "policies/governor_options.h"
#include "tests/unit/policies/fixtures.h"

namespace blueshift::proxy {
namespace {

using namespace protocol;
using testing::budget_governor;
using testing::Driver;

constexpr const char* kScan = "select count(*) from spectrum_schema.sales where year = 2024 and month = 1";
const char* kRefusedUpstream = "Q(/* blueshift: statement refused by policy */ blueshift_refused)";

struct Budgeted : ::testing::Test {
  // 32 scans fit: the demo catalog prices a partition at the default 128 MB ($0.000610352).
  std::shared_ptr<policies::Governor> governor = budget_governor(0.02);
  std::shared_ptr<policies::MemoryLedger> ledger = std::make_shared<policies::MemoryLedger>();
  std::unique_ptr<policies::Budgets> budgets = testing::memory_budgets(ledger);
  Driver d{Conversation::Options{governor.get(), {}, {}, {}, budgets.get()}};
  void SetUp() override {
    d.conversation.identity().user = "analyst";
    d.conversation.identity().database = "dev";
  }
  // What the session does on WAIT: the lease on a worker, then the same message again.
  std::string send_waiting(const FrontendMessage& m) {
    const std::string first = d.send(m);
    if (first != "WAIT") return first;
    EXPECT_TRUE(d.conversation.budget().waiting());
    budgets->acquire(*d.conversation.budget().waiting(), d.conversation.budget().waiting_user());
    d.conversation.budget().acquired();
    return d.send(m);
  }
  policies::Nanodollars cost() {
    return governor->check_query(kScan, d.conversation.identity()).verdict.budget->cost;
  }
  policies::Nanodollars spent() {
    budgets->maintain();
    const auto accounts = governor->budget_accounts_for(d.conversation.identity());
    policies::Nanodollars s = 0;
    for (const auto& row : ledger->rows(accounts.at(0), policies::period_start(policies::BudgetPeriod::Day,
                                                                               std::chrono::system_clock::now())))
      s += row.holder.empty() ? row.usd : 0;
    return s;
  }
};

TEST_F(Budgeted, WaitsForALeaseThenRunsAndSettlesWhenTheRepliesAreDone) {
  EXPECT_EQ(d.send(Query{kScan}), "WAIT");
  ASSERT_TRUE(d.conversation.budget().waiting());
  budgets->acquire(*d.conversation.budget().waiting(), d.conversation.budget().waiting_user());
  d.conversation.budget().acquired();
  EXPECT_EQ(d.send(Query{kScan}), std::string("Q(") + kScan + ")");
  EXPECT_EQ(spent(), 0);  // reserved, not settled: the statement is still running
  EXPECT_EQ(d.reply({CommandComplete{"SELECT 1"}, ReadyForQuery{'I'}}), "C(SELECT 1) Z(I)");
  EXPECT_EQ(spent(), cost());
  // The next one fits in the lease: no wait.
  EXPECT_EQ(d.send(Query{kScan}), std::string("Q(") + kScan + ")");
}

TEST_F(Budgeted, OverBudgetIsRefusedBeforeAnythingRuns) {
  int notices = 0;  // the 80 % threshold's, once
  for (int i = 0; i < 32; ++i) {
    ASSERT_EQ(send_waiting(Query{kScan}), std::string("Q(") + kScan + ")") << i;
    const std::string replies = d.reply({CommandComplete{"SELECT 1"}, ReadyForQuery{'I'}});
    notices += replies == "C(SELECT 1) N(01000) Z(I)";
    ASSERT_TRUE(replies == "C(SELECT 1) Z(I)" || replies == "C(SELECT 1) N(01000) Z(I)") << replies;
  }
  EXPECT_EQ(notices, 1);
  EXPECT_EQ(send_waiting(Query{kScan}), kRefusedUpstream);
  EXPECT_EQ(d.reply({ErrorResponse{{{{'S', "ERROR"}, {'V', "ERROR"}, {'C', "42601"}, {'M', "syntax error"}}}}, ReadyForQuery{'I'}}), "E(53400) Z(I)");
  EXPECT_EQ(spent(), 32 * cost());
  // Extended protocol: refused at Bind, the rest skipped to Sync.
  EXPECT_EQ(d.send(Parse{"s", kScan, {}}), std::string("P(s:") + kScan + ")");
  EXPECT_EQ(send_waiting(Bind{"", "s", {}, {}, {}}), "B(:__blueshift_refused__:0)");
  EXPECT_EQ(d.send(Execute{"", 0}), "");
}

TEST_F(Budgeted, ShowSpendIsAnsweredByTheProxy) {
  ASSERT_EQ(send_waiting(Query{kScan}), std::string("Q(") + kScan + ")");
  ASSERT_EQ(d.reply({CommandComplete{"SELECT 1"}, ReadyForQuery{'I'}}), "C(SELECT 1) Z(I)");
  EXPECT_EQ(d.send(Query{"SHOW blueshift.spend"}), "Q()");
  const std::string answer = d.reply({EmptyQueryResponse{}, ReadyForQuery{'I'}});
  EXPECT_EQ(answer.substr(0, 20), "T(budget,scope,membe") << answer;
  EXPECT_NE(answer.find("D(day,user,analyst,day,"), std::string::npos) << answer;
  EXPECT_NE(answer.find(",0.020000000," + policies::usd_exact(cost()) + ","), std::string::npos) << answer;
}

// blueshift_estimated_scans_total counts what ran: not a statement the budget refused
// after the policies passed it, nor one while it waits for its lease.
TEST_F(Budgeted, ScanMetricsCountOnlyWhatRan) {
  const auto scans = [this] {
    uint64_t n = 0;
    for (const auto& t : governor->scan_spend()) n += t.statements;
    return n;
  };
  EXPECT_EQ(d.send(Query{kScan}), "WAIT");
  EXPECT_EQ(scans(), 0u);  // waiting for its lease: not run yet
  budgets->acquire(*d.conversation.budget().waiting(), d.conversation.budget().waiting_user());
  d.conversation.budget().acquired();
  ASSERT_EQ(d.send(Query{kScan}), std::string("Q(") + kScan + ")");
  d.reply({CommandComplete{"SELECT 1"}, ReadyForQuery{'I'}});
  EXPECT_EQ(scans(), 1u);
  for (int i = 1; i < 32; ++i) {
    ASSERT_EQ(send_waiting(Query{kScan}), std::string("Q(") + kScan + ")") << i;
    d.reply({CommandComplete{"SELECT 1"}, ReadyForQuery{'I'}});
  }
  EXPECT_EQ(scans(), 32u);
  EXPECT_EQ(send_waiting(Query{kScan}), kRefusedUpstream);
  EXPECT_EQ(scans(), 32u);
  // Extended protocol: refused at Bind.
  EXPECT_EQ(d.send(Parse{"s", kScan, {}}), std::string("P(s:") + kScan + ")");
  EXPECT_EQ(send_waiting(Bind{"", "s", {}, {}, {}}), "B(:__blueshift_refused__:0)");
  EXPECT_EQ(scans(), 32u);
}

// Budgets in the policies but no Budgets to reserve from (a reload configured them after
// start-up): the statement runs and is counted.
TEST(BudgetsByReload, ScanMetricsCountWhatRunsWithoutBudgetsToReserveFrom) {
  const auto governor = budget_governor(0.02);
  Driver d{Conversation::Options{governor.get(), {}, {}, {}, nullptr}};
  d.conversation.identity().user = "analyst";
  d.conversation.identity().database = "dev";
  EXPECT_EQ(d.send(Query{kScan}), std::string("Q(") + kScan + ")");
  ASSERT_EQ(governor->scan_spend().size(), 1u);
  EXPECT_EQ(governor->scan_spend()[0].statements, 1u);
}

TEST_F(Budgeted, SessionsNoBudgetChargesAreNotHeld) {
  d.conversation.identity().user = "etl";
  EXPECT_EQ(d.send(Query{kScan}), std::string("Q(") + kScan + ")");
}

}  // namespace
}  // namespace blueshift::proxy
