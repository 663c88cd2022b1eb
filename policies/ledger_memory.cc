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

absl::StatusOr<std::vector<double>> MemoryLedger::record_notices(const BudgetAccount& account, const std::string& period,
                                                                  const std::string& user,
                                                                  const std::vector<double>& thresholds) {
  std::lock_guard lock(mutex_);
  if (fail_) return absl::UnavailableError("the ledger is unreachable (test)");
  auto& told = notices_[account.key() + '\x1f' + period];
  std::vector<double> recorded;
  for (const double t : thresholds) {
    if (told.insert(notice_holder(t, user)).second) recorded.push_back(t);
  }
  return recorded;
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
