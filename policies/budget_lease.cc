#include "policies/budget_lease.h"

#include <algorithm>

namespace blueshift::policies {

LeaseOutcome settle_and_lease(std::vector<LedgerRow> rows, const LeaseRequest& r) {
  LeaseOutcome out;
  LedgerRow spent{"", 0, {}};
  bool mine_found = false;
  std::vector<LedgerRow> leases;
  for (auto& row : rows) {
    if (row.holder.empty()) {
      spent.usd += row.usd;
    } else if (row.holder == r.holder) {
      mine_found = true;
    } else if (row.expires < r.now) {
      spent.usd += row.usd;  // lapsed without being given back: counted as spent
    } else {
      out.others += row.usd;
      leases.push_back(row);
    }
  }
  // A lease of ours that is gone was lapsed and counted whole by someone else: what we
  // settled since is in it already, and so is what it still backs.
  out.reclaimed = !mine_found && (r.flush > 0 || r.keep > 0);
  spent.usd += r.unleased + (out.reclaimed ? 0 : r.flush + (r.give_back ? r.keep : 0));
  if (!r.give_back) {
    const LeaseGrant g = grant_lease(r.limit, spent.usd + out.others, out.reclaimed ? 0 : r.keep, r.need, r.share);
    out.lease = g.lease;
    out.covers_need = g.covers_need;
    if (out.lease > 0) leases.push_back(LedgerRow{r.holder, out.lease, r.expires});
  }
  out.spent = spent.usd;
  out.rows.push_back(spent);
  out.rows.insert(out.rows.end(), leases.begin(), leases.end());
  return out;
}

}  // namespace blueshift::policies
