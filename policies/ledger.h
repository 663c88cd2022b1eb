// The spend ledger: where every proxy instance records what its users spent, so that all
// instances share one budget. A LedgerStore runs one transaction at a time per account
// under a lock (settle_and_lease in budget_lease.h says what it does to the rows); the
// warehouse table is the real one, an in-memory one serves the unit tests.
//
// The table (schema and name configurable, created if missing, written over the service
// connection `catalog.conninfo`, never a client's):
//   budget        the budget's name in policies.budgets.limits
//   scope         'user' (an account per user) or 'group' (one pool per group)
//   member        the user or the group
//   period        'day' or 'month' (UTC)
//   period_start  the period's first day
//   holder        '' for the row of dollars spent; else the proxy instance holding a lease
//   usd           spent, or leased and not yet spent (numeric(20,9))
//   limit_usd     the limit when the row was written
//   expires_at    a lease lapses then (UTC); lapsed leases count as spent
//   updated_at    when the row was written (UTC)
// Rows of scope 'notice' record a threshold notice told (holder: notice_holder()), so
// that it is told once per period by all instances; usd 0, no expiry.
#pragma once

#include <memory>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "policies/budget_lease.h"

namespace blueshift::policies {

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  // One transaction on the rows of `account` in period `period` (its period_start).
  [[nodiscard]] virtual absl::StatusOr<LeaseOutcome> transact(const BudgetAccount& account, const std::string& period,
                                                              const LeaseRequest& request) = 0;
  // The seam for reconciling with what the warehouse really billed: adds `delta` (actual
  // minus the settled estimate; may be negative) to the spent row.
  [[nodiscard]] virtual absl::Status adjust_spent(const BudgetAccount& account, const std::string& period,
                                                  Nanodollars delta) = 0;
  // Records that `user` is told of `thresholds` of the account's limit in `period`, each
  // unless an instance recorded it first: the thresholds this call recorded (to tell).
  [[nodiscard]] virtual absl::StatusOr<std::vector<double>> record_notices(const BudgetAccount& account,
                                                                          const std::string& period,
                                                                          const std::string& user,
                                                                          const std::vector<double>& thresholds) = 0;
};

// The holder of a notice row: "notice 80% alice".
[[nodiscard]] std::string notice_holder(double threshold, const std::string& user);

// The warehouse table, over a libpq connection kept open between transactions (blocking:
// call from a worker thread, never an I/O thread).
[[nodiscard]] std::shared_ptr<LedgerStore> make_sql_ledger(std::string conninfo, std::string schema, std::string table);

// The DDL and statements the warehouse ledger runs (for the README and tests).
[[nodiscard]] std::string ledger_ddl(const std::string& schema, const std::string& table);

// Rows in memory, for tests; `fail` makes every call fail as an unreachable ledger does.
class MemoryLedger final : public LedgerStore {
 public:
  absl::StatusOr<LeaseOutcome> transact(const BudgetAccount& account, const std::string& period,
                                        const LeaseRequest& request) override;
  absl::Status adjust_spent(const BudgetAccount& account, const std::string& period, Nanodollars delta) override;
  absl::StatusOr<std::vector<double>> record_notices(const BudgetAccount& account, const std::string& period,
                                                     const std::string& user,
                                                     const std::vector<double>& thresholds) override;
  // Every row of an account's period.
  [[nodiscard]] std::vector<LedgerRow> rows(const BudgetAccount& account, const std::string& period);
  void set_failing(bool fail);

 private:
  std::mutex mutex_;
  bool fail_ = false;
  std::map<std::string, std::vector<LedgerRow>> rows_;
  std::map<std::string, std::set<std::string>> notices_;  // notice holders by account and period
};

}  // namespace blueshift::policies
