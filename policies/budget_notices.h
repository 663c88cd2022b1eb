// Threshold notices once per period across every proxy instance sharing a ledger: before
// an instance tells a user that a budget reached a threshold, it records the notice in
// the ledger (LedgerStore::record_notices); only the instance whose record was the first
// tells. What an instance learnt (told, or recorded by another) is kept in its Lease, so
// each (threshold, user) costs one ledger transaction per period and instance at most.
// Pure functions on a Lease: budgets.cc calls them under its lock.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "policies/budget.h"
#include "policies/budget_lease.h"

namespace blueshift::policies {

// The thresholds `spent` reaches that no instance is known to have told `user` of and
// that this instance has not recorded either: they need record_notices before anyone
// is told.
[[nodiscard]] std::vector<double> unrecorded_thresholds(const Lease& lease, Nanodollars spent, const std::string& user,
                                                        const std::vector<double>& thresholds);

// What record_notices answered for `wanted`: `recorded` (ours to tell) and the rest
// (recorded by another instance first: told there).
void note_recorded(Lease& lease, const std::string& user, const std::vector<double>& wanted,
                   const std::vector<double>& recorded);

// The notices to send `user` now, for every threshold the lease's spend reaches: those
// this instance recorded; and, while the ledger cannot be reached (`ledger_down`), those
// nobody is known to have recorded, told once per instance instead of once in all. An
// unrecorded threshold with the ledger up waits for the next statement's record.
[[nodiscard]] std::vector<BudgetMessage> due_notices(Lease& lease, const std::string& user,
                                                     const std::vector<double>& thresholds, bool ledger_down,
                                                     std::chrono::system_clock::time_point now);

}  // namespace blueshift::policies
