// Lease accounting, pure: what one instance holds of one budget account for one period
// (Lease), and what a ledger transaction does to the account's rows (settle_and_lease).
//
// The ledger keeps, per account and period, one row of dollars spent (holder "") and one
// row per instance holding a lease (what it may still spend without asking). An instance
// spends its lease locally: a statement reserves its estimate before it runs and settles
// it after; settled dollars move from the lease row to the spent row at the next ledger
// transaction. All rows of an account together never exceed its limit, so no instance can
// overspend, however many run: a statement that does not fit in the local lease waits for
// a new one, which is granted only from what no row holds.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "policies/budget.h"

namespace blueshift::policies {

// One instance's share of one account in one period.
struct Lease {
  BudgetAccount account;
  std::string period;            // period_start
  Nanodollars granted = 0;       // the ledger's lease row: what the instance holds
  Nanodollars reserved = 0;      // statements running
  Nanodollars settled = 0;       // statements done, not yet moved to the spent row
  Nanodollars overflow = 0;      // run past the lease (warn mode, fail open): added to spent as is
  Nanodollars ledger_spent = 0;  // the spent row at the last ledger transaction
  Nanodollars ledger_others = 0; // other instances' leases then
  bool known = false;            // a ledger transaction has run for this period
  bool busy = false;             // a ledger transaction is running for it
  std::chrono::steady_clock::time_point expires{};    // nothing is spent from the lease after this
  std::chrono::steady_clock::time_point last_used{};
  std::chrono::steady_clock::time_point failed_at{};  // the last ledger transaction failed then
  std::string failure;                                // and why ("" = the last one succeeded)
  // Thresholds per user told by any instance this period, as far as this one knows, and
  // those this instance recorded in the ledger and has still to tell (budget_notices.h).
  std::set<std::pair<double, std::string>> notified;
  std::set<std::pair<double, std::string>> to_tell;

  // What may still be reserved locally.
  [[nodiscard]] Nanodollars available(std::chrono::steady_clock::time_point now) const {
    return now < expires ? granted - reserved - settled : 0;
  }
  // Spent as far as this instance knows: the ledger's, and its own since.
  [[nodiscard]] Nanodollars spent() const { return ledger_spent + settled + reserved + overflow; }
};

// One row of the ledger for one account and period.
struct LedgerRow {
  std::string holder;  // "" = dollars spent; else the instance holding a lease
  Nanodollars usd = 0;
  std::chrono::system_clock::time_point expires{};  // leases only
};

// One ledger transaction of an instance on one account: move `flush` settled dollars to
// the spent row, and either hold a new lease (covering `keep`, what the old lease still
// backs, and `need`, a waiting statement) or give the lease back (`give_back`: `keep` is
// then counted as spent, as it may have run).
struct LeaseRequest {
  std::string holder;
  Nanodollars limit = 0;
  Nanodollars flush = 0;
  Nanodollars unleased = 0;  // spent outside any lease (warn mode, fail open): always added
  Nanodollars keep = 0;
  Nanodollars need = 0;
  double share = 0.25;
  bool give_back = false;
  std::chrono::system_clock::time_point now{};
  std::chrono::system_clock::time_point expires{};  // of the new lease
};

struct LeaseOutcome {
  std::vector<LedgerRow> rows;  // the account's rows afterwards
  Nanodollars lease = 0;        // the instance's new lease (0 after give_back)
  Nanodollars spent = 0;        // the spent row afterwards
  Nanodollars others = 0;       // other instances' live leases
  bool covers_need = false;
  // The instance's own lease had lapsed and was counted as spent by another instance:
  // its unsettled dollars are in the spent row already.
  bool reclaimed = false;
};

// The transaction on an account's rows, as every ledger runs it under its lock. Leases
// of other instances that lapsed before `now` are counted as spent (what they did not
// give back may have run), so a crashed instance never frees its lease for overspending.
[[nodiscard]] LeaseOutcome settle_and_lease(std::vector<LedgerRow> rows, const LeaseRequest& request);

}  // namespace blueshift::policies
