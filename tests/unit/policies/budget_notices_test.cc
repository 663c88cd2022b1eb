// Threshold notices once per period across instances (policies/budget_notices.h): two
// Budgets on one in-memory ledger, a clock the test moves to the next day, and the
// ledger's failure, when each instance tells its own.
#include "policies/budget_notices.h"

#include <gtest/gtest.h>

#include <atomic>

#include "policies/budgets.h"

namespace blueshift::policies {
namespace {

using std::chrono::hours;
using std::chrono::system_clock;

const system_clock::time_point kDay = system_clock::from_time_t(1714737600);  // 2024-05-03 12:00 UTC

BudgetAccount pool(Nanodollars limit) {
  return BudgetAccount{"analysts-day", Budget::Holder::Group, "analysts", BudgetPeriod::Day, limit,
                       BudgetMode::Enforce};
}

struct Instances {
  std::shared_ptr<MemoryLedger> ledger = std::make_shared<MemoryLedger>();
  std::atomic<int> day{0};  // days after kDay
  std::unique_ptr<Budgets> make(const std::string& instance) {
    Budgets::Options o;
    o.settings.instance = instance;
    o.settings.thresholds = {0.5, 0.8};
    o.ledger = ledger;
    o.clock = [this] { return kDay + hours(24) * day.load(); };
    o.background = false;
    return std::make_unique<Budgets>(std::move(o));
  }
};

// What a session does: reserve; on NeedLease, acquire off its thread and reserve again.
// The threshold notices it gets ("50%", "80%"), in order.
std::vector<std::string> run(Budgets& b, Nanodollars cost, const std::string& user, Nanodollars limit = 1000) {
  const BudgetCharge charge{cost, {pool(limit)}};
  BudgetOutcome o = b.reserve(charge, user, false);
  if (o.kind == BudgetOutcome::Kind::NeedLease) {
    b.acquire(charge, user);
    o = b.reserve(charge, user, true);
  }
  EXPECT_EQ(o.kind, BudgetOutcome::Kind::Run) << user << " " << cost;
  std::vector<std::string> told;
  for (const auto& n : o.notices) {
    EXPECT_EQ(n.severity, "NOTICE");
    told.push_back(n.message.substr(n.message.find("reached ") + 8, 3));
  }
  return told;
}

using Told = std::vector<std::string>;

TEST(BudgetNotices, ToldOncePerUserAndPeriodWhicheverInstanceRunsAndAgainNextPeriod) {
  Instances i;
  auto a = i.make("a");
  auto b = i.make("b");
  EXPECT_EQ(run(*a, 400, "alice"), Told{});
  EXPECT_EQ(run(*a, 100, "alice"), Told{"50%"});
  a->maintain();  // b learns a's spend from the ledger at its first lease
  // Past 80 % on b: the 80 % notice is b's to tell; a told the 50 % one.
  EXPECT_EQ(run(*b, 310, "alice"), Told{"80%"});
  b->maintain();
  EXPECT_EQ(run(*a, 1, "alice"), Told{});  // a does not know of b's spend yet
  a->maintain();  // now it does, at its next ledger transaction: 80 % reached, told by b
  EXPECT_EQ(run(*a, 1, "alice"), Told{});
  EXPECT_EQ(run(*b, 1, "alice"), Told{});
  // Another member of the pool is told of both, once, on whichever instance.
  EXPECT_EQ(run(*a, 1, "bob"), (Told{"50%", "80%"}));
  EXPECT_EQ(run(*b, 1, "bob"), Told{});
  // The next day is a new period: told again.
  i.day = 1;
  EXPECT_EQ(run(*b, 850, "alice"), (Told{"50%", "80%"}));
  b->maintain();
  EXPECT_EQ(run(*a, 1, "alice"), Told{});
}

TEST(BudgetNotices, OnlyTheFirstRecordIsTold) {
  Instances i;
  const BudgetAccount account = pool(100);
  Lease lease;
  lease.account = account;
  lease.ledger_spent = 60;
  EXPECT_EQ(unrecorded_thresholds(lease, 60, "alice", {0.5, 0.8}), std::vector<double>{0.5});
  // Another instance recorded it first: known as told, nothing to tell here.
  ASSERT_EQ(i.ledger->record_notices(account, "2024-05-03", "alice", {0.5}).value(), std::vector<double>{0.5});
  const std::vector<double> again = i.ledger->record_notices(account, "2024-05-03", "alice", {0.5}).value();
  EXPECT_TRUE(again.empty());
  note_recorded(lease, "alice", {0.5}, again);
  EXPECT_TRUE(unrecorded_thresholds(lease, 60, "alice", {0.5, 0.8}).empty());
  EXPECT_TRUE(due_notices(lease, "alice", {0.5, 0.8}, false, kDay).empty());
  // Recorded here: told once.
  note_recorded(lease, "bob", {0.5}, {0.5});
  EXPECT_EQ(due_notices(lease, "bob", {0.5, 0.8}, false, kDay).size(), 1u);
  EXPECT_TRUE(due_notices(lease, "bob", {0.5, 0.8}, false, kDay).empty());
  // Not recorded, ledger up: it waits for a record.
  EXPECT_TRUE(due_notices(lease, "carol", {0.5, 0.8}, false, kDay).empty());
  EXPECT_EQ(unrecorded_thresholds(lease, 60, "carol", {0.5, 0.8}), std::vector<double>{0.5});
}

TEST(BudgetNotices, AnUnreachableLedgerLeavesEachInstanceToTellItsOwn) {
  Instances i;
  auto a = i.make("a");
  EXPECT_EQ(run(*a, 150, "alice", 400), Told{});  // a holds a lease of 212
  i.ledger->set_failing(true);
  // Within the lease, past 50 %: the record fails, so a tells it all the same, once.
  EXPECT_EQ(run(*a, 55, "alice", 400), Told{"50%"});
  EXPECT_EQ(run(*a, 1, "alice", 400), Told{});
}

}  // namespace
}  // namespace blueshift::policies
