// MemoryLedger (ledger.h): the ledger's transaction on rows held in memory.
#include "policies/ledger.h"

namespace blueshift::policies {

absl::StatusOr<LeaseOutcome> MemoryLedger::transact(const BudgetAccount& account, const std::string& period,
                                                    const LeaseRequest& request) {
  std::lock_guard lock(mutex_);
  if (fail_) return absl::UnavailableError("the ledger is unreachable (test)");
  auto& rows = rows_[account.key() + '\x1f' + period];
  LeaseOutcome out = settle_and_lease(rows, request);
  rows = out.rows;
  return out;
}

absl::Status MemoryLedger::adjust_spent(const BudgetAccount& account, const std::string& period, Nanodollars delta) {
  std::lock_guard lock(mutex_);
  if (fail_) return absl::UnavailableError("the ledger is unreachable (test)");
  rows_[account.key() + '\x1f' + period].push_back(LedgerRow{"", delta, {}});
  return absl::OkStatus();
}

std::vector<LedgerRow> MemoryLedger::rows(const BudgetAccount& account, const std::string& period) {
  std::lock_guard lock(mutex_);
  return rows_[account.key() + '\x1f' + period];
}

void MemoryLedger::set_failing(bool fail) {
  std::lock_guard lock(mutex_);
  fail_ = fail;
}

}  // namespace blueshift::policies
