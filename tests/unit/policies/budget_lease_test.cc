// Lease accounting (policies/budget_lease.h) and Budgets over an in-memory ledger: what
// a ledger transaction does to an account's rows, reserve before running and settle after,
// refusals, warnings, thresholds, the ledger's failure modes, and two instances sharing one
// budget under concurrent load.
#include "policies/budgets.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

namespace blueshift::policies {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const system_clock::time_point kNow = system_clock::from_time_t(1714737600);  // 2024-05-03 12:00 UTC

BudgetAccount account(Nanodollars limit, BudgetMode mode = BudgetMode::Enforce) {
  return BudgetAccount{"day", Budget::Holder::User, "analyst", BudgetPeriod::Day, limit, mode};
}

LeaseRequest request(const std::string& holder, Nanodollars limit) {
  LeaseRequest r;
  r.holder = holder;
  r.limit = limit;
  r.now = kNow;
  r.expires = kNow + seconds(60);
  return r;
}

Nanodollars spent_row(const std::vector<LedgerRow>& rows) {
  Nanodollars s = 0;
  for (const auto& r : rows) s += r.holder.empty() ? r.usd : 0;
  return s;
}

TEST(SettleAndLease, SettlesIntoSpentAndLeasesFromWhatIsLeft) {
  LeaseRequest r = request("a", 1000);
  r.need = 100;
  LeaseOutcome first = settle_and_lease({}, r);
  EXPECT_TRUE(first.covers_need);
  EXPECT_EQ(first.lease, 100 + 225);  // need, and a quarter of the other 900
  // Instance b sees a's lease as held elsewhere.
  LeaseRequest rb = request("b", 1000);
  rb.need = 700;
  LeaseOutcome b = settle_and_lease(first.rows, rb);
  EXPECT_FALSE(b.covers_need);  // 1000 - 325 = 675 free
  EXPECT_EQ(b.others, 325);
  // a settles 300 of its lease and renews.
  LeaseRequest again = request("a", 1000);
  again.flush = 300;
  again.keep = 25;
  LeaseOutcome a2 = settle_and_lease(first.rows, again);
  EXPECT_EQ(a2.spent, 300);
  EXPECT_EQ(spent_row(a2.rows), 300);
  EXPECT_EQ(a2.lease, 25 + (1000 - 300 - 25) / 4);
}

TEST(SettleAndLease, LapsedLeasesCountAsSpentAndTheirHolderIsToldSo) {
  LeaseRequest r = request("a", 1000);
  r.need = 400;
  r.share = 0;
  auto rows = settle_and_lease({}, r).rows;
  // b, after a's lease lapsed: a's 400 counts as spent, never as free.
  LeaseRequest rb = request("b", 1000);
  rb.now = kNow + seconds(61);
  rb.need = 700;
  LeaseOutcome b = settle_and_lease(rows, rb);
  EXPECT_EQ(b.spent, 400);
  EXPECT_FALSE(b.covers_need);
  // a comes back with 100 settled: they are in the 400 already.
  LeaseRequest back = request("a", 1000);
  back.now = rb.now;
  back.flush = 100;
  LeaseOutcome a = settle_and_lease(b.rows, back);
  EXPECT_TRUE(a.reclaimed);
  EXPECT_EQ(a.spent, 400);
}

TEST(SettleAndLease, GiveBackCountsWhatStillRunsAsSpent) {
  LeaseRequest r = request("a", 1000);
  r.need = 500;
  auto rows = settle_and_lease({}, r).rows;
  LeaseRequest give = request("a", 1000);
  give.flush = 200;
  give.keep = 50;
  give.unleased = 7;
  give.give_back = true;
  LeaseOutcome out = settle_and_lease(rows, give);
  EXPECT_EQ(out.lease, 0);
  EXPECT_EQ(out.spent, 257);
  ASSERT_EQ(out.rows.size(), 1u);  // only the spent row is left
}

struct Fixture {
  std::shared_ptr<MemoryLedger> ledger = std::make_shared<MemoryLedger>();
  std::unique_ptr<Budgets> budgets(const std::string& instance, bool fail_open = false,
                                   std::vector<double> thresholds = {0.8}, double share = 0.25) {
    Budgets::Options o;
    o.settings.lease_share = share;
    o.settings.instance = instance;
    o.settings.fail_open = fail_open;
    o.settings.thresholds = std::move(thresholds);
    o.ledger = ledger;
    o.clock = [] { return kNow; };
    o.background = false;
    return std::make_unique<Budgets>(std::move(o));
  }
  static std::string period() { return "2024-05-03"; }
};

// reserve, and when it needs a lease, acquire it and reserve again: what a session does.
BudgetOutcome admit(Budgets& b, const BudgetCharge& charge, const std::string& user = "analyst") {
  BudgetOutcome o = b.reserve(charge, user, false);
  if (o.kind != BudgetOutcome::Kind::NeedLease) return o;
  b.acquire(charge, user);
  return b.reserve(charge, user, true);
}

TEST(Budgets, ReservesLocallyAfterOneLeaseAndSettlesWhenTheStatementEnds) {
  Fixture f;
  auto b = f.budgets("a");
  const BudgetCharge charge{10, {account(1000)}};
  EXPECT_EQ(b->reserve(charge, "analyst", false).kind, BudgetOutcome::Kind::NeedLease);
  BudgetOutcome first = admit(*b, charge);
  ASSERT_EQ(first.kind, BudgetOutcome::Kind::Run);
  // The lease covers more: the next statements need no ledger transaction.
  std::vector<std::shared_ptr<BudgetReservation>> running;
  for (int i = 0; i < 5; ++i) {
    BudgetOutcome o = b->reserve(charge, "analyst", false);
    ASSERT_EQ(o.kind, BudgetOutcome::Kind::Run) << i;
    running.push_back(o.reservation);
  }
  EXPECT_EQ(spent_row(f.ledger->rows(charge.accounts[0], Fixture::period())), 0);
  first.reservation.reset();  // settled locally, written at the next ledger transaction
  b->maintain();
  EXPECT_EQ(spent_row(f.ledger->rows(charge.accounts[0], Fixture::period())), 10);
  running.clear();
  b.reset();  // gives the lease back
  EXPECT_EQ(f.ledger->rows(charge.accounts[0], Fixture::period()).size(), 1u);
  EXPECT_EQ(spent_row(f.ledger->rows(charge.accounts[0], Fixture::period())), 60);
}

TEST(Budgets, RefusesWhatWouldExceedTheLimitAndWarnsInWarnMode) {
  Fixture f;
  auto b = f.budgets("a");
  const BudgetCharge charge{400, {account(1000)}};
  ASSERT_EQ(admit(*b, charge).kind, BudgetOutcome::Kind::Run);
  ASSERT_EQ(admit(*b, charge).kind, BudgetOutcome::Kind::Run);
  const BudgetOutcome third = admit(*b, charge);
  ASSERT_EQ(third.kind, BudgetOutcome::Kind::Refuse);
  EXPECT_EQ(third.refusal.sqlstate, "53400");
  EXPECT_NE(third.refusal.detail.find("spent $0.000000800 of $0.000001000"), std::string::npos) << third.refusal.detail;

  const BudgetCharge warned{400, {account(1000, BudgetMode::Warn)}};
  Fixture g;
  auto w = g.budgets("a");
  ASSERT_EQ(admit(*w, warned).kind, BudgetOutcome::Kind::Run);
  ASSERT_EQ(admit(*w, warned).kind, BudgetOutcome::Kind::Run);
  const BudgetOutcome over = admit(*w, warned);
  ASSERT_EQ(over.kind, BudgetOutcome::Kind::Run);
  ASSERT_FALSE(over.notices.empty());
  EXPECT_EQ(over.notices.front().severity, "WARNING");
  w.reset();
  EXPECT_EQ(spent_row(g.ledger->rows(warned.accounts[0], Fixture::period())), 1200);  // warn mode records it all
}

TEST(Budgets, ThresholdNoticeOncePerPeriodPerUser) {
  Fixture f;
  auto b = f.budgets("a");
  BudgetAccount pool = account(100);
  pool.holder = Budget::Holder::Group;
  const BudgetCharge charge{10, {pool}};
  int notices = 0;
  for (int i = 0; i < 9; ++i) {
    const BudgetOutcome o = admit(*b, charge);
    ASSERT_EQ(o.kind, BudgetOutcome::Kind::Run) << i;
    notices += static_cast<int>(o.notices.size());
    if (i == 7) {
      ASSERT_EQ(o.notices.size(), 1u);  // the 8th reaches 80
      EXPECT_NE(o.notices[0].message.find("80%"), std::string::npos);
    }
  }
  EXPECT_EQ(notices, 1);
  // Another member of the pool is told once too.
  const BudgetOutcome other = admit(*b, charge, "bob");
  EXPECT_EQ(other.notices.size(), 1u);
}

TEST(Budgets, UnreachableLedgerFailsClosedOrOpen) {
  Fixture f;
  f.ledger->set_failing(true);
  const BudgetCharge charge{10, {account(1000)}};
  auto closed = f.budgets("a");
  const BudgetOutcome refused = admit(*closed, charge);
  ASSERT_EQ(refused.kind, BudgetOutcome::Kind::Refuse);
  EXPECT_EQ(refused.refusal.sqlstate, "55000");
  // Within a second of the failure the next statement is decided without waiting.
  EXPECT_EQ(closed->reserve(charge, "analyst", false).kind, BudgetOutcome::Kind::Refuse);

  Fixture g;
  g.ledger->set_failing(true);
  auto open = g.budgets("a", true);
  EXPECT_EQ(admit(*open, charge).kind, BudgetOutcome::Kind::Run);
  g.ledger->set_failing(false);
  open->maintain();  // what ran without a lease is written once the ledger is back
  EXPECT_EQ(spent_row(g.ledger->rows(charge.accounts[0], Fixture::period())), 10);
}

// Two instances, four sessions each, one budget: what they allow never exceeds it, and the
// ledger ends with exactly what they allowed.
TEST(Budgets, TwoInstancesUnderConcurrentLoadNeverOverspend) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Fixture f;
  // Large shares: each instance alone would take most of what is left.
  auto a = f.budgets("a", false, {0.8}, 0.9);
  auto b = f.budgets("b", false, {0.8}, 0.9);
  const Nanodollars limit = 100000;
  std::atomic<Nanodollars> allowed{0};
  std::atomic<int> refused{0};
  // Both instances hold a lease before the load starts, as under steady traffic.
  for (Budgets* instance : {a.get(), b.get()}) {
    const BudgetCharge first{50, {account(limit)}};
    ASSERT_EQ(admit(*instance, first).kind, BudgetOutcome::Kind::Run);
    allowed += first.cost;
  }
  std::vector<std::thread> sessions;
  for (int t = 0; t < 8; ++t) {
    sessions.emplace_back([&, t] {
      std::mt19937 rng(seed + t);
      Budgets& mine = t % 2 ? *a : *b;
      for (int i = 0; i < 400; ++i) {
        const BudgetCharge charge{static_cast<Nanodollars>(50 + rng() % 500), {account(limit)}};
        BudgetOutcome o = admit(mine, charge);
        if (o.kind == BudgetOutcome::Kind::Run) allowed += charge.cost;
        else ++refused;
        if (rng() % 16 == 0) mine.maintain();
      }
    });
  }
  for (auto& s : sessions) s.join();
  a.reset();
  b.reset();
  EXPECT_GT(refused.load(), 0);
  EXPECT_LE(allowed.load(), limit);
  EXPECT_EQ(spent_row(f.ledger->rows(account(limit), Fixture::period())), allowed.load());
}

}  // namespace
}  // namespace blueshift::policies
