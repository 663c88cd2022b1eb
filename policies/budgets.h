// Budgets at run time: every session's statements reserve their estimate from this
// instance's leases before they run and settle it after; a background thread keeps the
// leases topped up and settles them into the shared ledger (ledger.h), so that the common
// statement costs no warehouse round trip. Only a statement that does not fit in the
// local lease waits: the session awaits acquire() on a worker pool, then reserves again.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "policies/budget.h"
#include "policies/budget_lease.h"
#include "policies/ledger.h"

namespace blueshift::policies {

class BudgetState;

// A running statement's hold on its budgets: settled (its estimate counted as spent) when
// destroyed, i.e. when the statement has run or its session ended. The seam for actual
// bytes: reconcile corrects the spent row with LedgerStore::adjust_spent.
class BudgetReservation {
 public:
  struct Hold {
    std::string lease;  // key into the leases
    Nanodollars usd = 0;
  };
  BudgetReservation(std::shared_ptr<BudgetState> state, std::vector<Hold> holds);
  ~BudgetReservation();
  BudgetReservation(const BudgetReservation&) = delete;
  BudgetReservation& operator=(const BudgetReservation&) = delete;

 private:
  std::shared_ptr<BudgetState> state_;
  std::vector<Hold> holds_;
};

struct BudgetOutcome {
  enum class Kind {
    Run,        // run it: `reservation` holds its estimate; `notices` go to the client
    Refuse,     // `refusal` is the client's error; nothing runs
    NeedLease,  // await acquire() off the I/O thread, then reserve(..., true): a lease, or
                // a threshold notice to record in the ledger before it is told
  } kind = Kind::Run;
  BudgetMessage refusal;
  std::vector<BudgetMessage> notices;
  std::shared_ptr<BudgetReservation> reservation;
};

// One row of SHOW blueshift.spend.
struct SpendRow {
  std::string budget, scope, member, period, period_start, limit_usd, spent_usd, left_usd, mode;
};

class Budgets {
 public:
  struct Options {
    BudgetSettings settings;
    std::shared_ptr<LedgerStore> ledger;
    std::function<std::chrono::system_clock::time_point()> clock;  // default: system_clock::now
    bool background = true;  // run maintain() every second on a thread of its own
  };
  explicit Budgets(Options options);
  // Stops the thread and gives every lease back.
  ~Budgets();
  Budgets(const Budgets&) = delete;
  Budgets& operator=(const Budgets&) = delete;

  // Never blocks (I/O threads). `waited`: acquire() has run for this charge, so a
  // statement that still does not fit is over budget (or the ledger is unreachable).
  [[nodiscard]] BudgetOutcome reserve(const BudgetCharge& charge, const std::string& user, bool waited);
  // Blocks on the ledger: new leases for the accounts the charge does not fit in, and
  // the record of the threshold notices it would make due for `user`.
  void acquire(const BudgetCharge& charge, const std::string& user);
  // What the session's accounts have spent and have left this period, as known here.
  [[nodiscard]] std::vector<SpendRow> spend(const std::vector<BudgetAccount>& accounts);
  // Settles what ran, renews leases in use that run low or near their end, gives idle
  // ones back. Blocks on the ledger.
  void maintain();

 private:
  std::shared_ptr<BudgetState> state_;
  std::thread worker_;
};

}  // namespace blueshift::policies
