// Estimated Spectrum scan bytes and dollars of the statements that ran (the policies and
// the budgets let them), by group: the figures behind /metrics'
// blueshift_estimated_scan_bytes_total{group} and blueshift_estimated_scan_usd_total{group}. The label is the first configured group
// (named in a rule's scope or exemption, or holding a group budget, in configuration
// order) that one of the session's groups matches, else "other": bounded by the
// configuration, never a series per user. A session is counted under one group only, so
// the series add up to the whole.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "policies/evaluate.h"
#include "policies/governor.h"
#include "policies/policy_set.h"
#include "policies/reconcile.h"

namespace blueshift::policies {

inline constexpr std::string_view kOtherGroup = "other";

// The group names (globs) a policy set configures, in order, each once.
[[nodiscard]] std::vector<std::string> configured_groups(const PolicySet& policy);

// The label a session's scans count under. Unknown groups (look-up not done or failed)
// are "other": a metric need not fail closed.
[[nodiscard]] std::string_view spend_group(const std::vector<std::string>& configured, const SessionFacts& session);

class ScanSpend {
 public:
  // One statement that runs, with its estimate.
  void count(std::string_view group, int64_t bytes, double usd);
  // Every group counted so far, by name.
  [[nodiscard]] std::vector<ScanSpendTally> read() const;

 private:
  // Counted once per priced statement, which also writes an audit line (a lock and a
  // write): a plain lock here costs little beside it.
  mutable std::mutex mutex_;
  std::map<std::string, ScanSpendTally, std::less<>> groups_;
};

// What counts one statement as run: its scan estimate under its group (null `spend`: no
// scan), and its estimate for reconcile to pair (null `recorder`: none). The governor
// makes it with the decision and calls it at once, or, for a statement charged to a
// budget, hands it to the budget gate (BudgetCharge::ran), which calls it only when the
// statement runs: a statement the budgets refuse is not counted.
struct RunCount {
  std::shared_ptr<ScanSpend> spend;
  std::string group;
  int64_t bytes = 0;
  double usd = 0;
  std::shared_ptr<EstimateRecorder> recorder;
  EstimateRecord record;
  void operator()() const;
};

}  // namespace blueshift::policies
