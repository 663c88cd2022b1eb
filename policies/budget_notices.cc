// Threshold notices across instances; see budget_notices.h.
#include "policies/budget_notices.h"

#include <algorithm>

namespace blueshift::policies {

std::vector<double> unrecorded_thresholds(const Lease& lease, Nanodollars spent, const std::string& user,
                                          const std::vector<double>& thresholds) {
  std::vector<double> out;
  for (const double t : crossed_thresholds(-1, spent, lease.account.limit, thresholds)) {
    if (!lease.notified.count({t, user}) && !lease.to_tell.count({t, user})) out.push_back(t);
  }
  return out;
}

void note_recorded(Lease& lease, const std::string& user, const std::vector<double>& wanted,
                   const std::vector<double>& recorded) {
  for (const double t : wanted) {
    const bool ours = std::find(recorded.begin(), recorded.end(), t) != recorded.end();
    // Two sessions of this instance may both ask: the second finds the first's record.
    if (ours) lease.to_tell.insert({t, user});
    else if (!lease.to_tell.count({t, user})) lease.notified.insert({t, user});
  }
}

std::vector<BudgetMessage> due_notices(Lease& lease, const std::string& user, const std::vector<double>& thresholds,
                                       bool ledger_down, std::chrono::system_clock::time_point now) {
  std::vector<BudgetMessage> out;
  const Nanodollars spent = lease.spent();
  for (const double t : crossed_thresholds(-1, spent, lease.account.limit, thresholds)) {
    const std::pair<double, std::string> key{t, user};
    if (lease.to_tell.erase(key) == 0 && (lease.notified.count(key) || !ledger_down)) continue;
    lease.notified.insert(key);
    out.push_back(threshold_notice(lease.account, spent, t, now));
  }
  return out;
}

}  // namespace blueshift::policies
