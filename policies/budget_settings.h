// Spend budgets (the `policies.budgets:` section): who may spend how many dollars of
// Spectrum scans per day or month, what happens past the limit, and where the shared
// ledger lives. Plain values, parsed with the policy set and used by policies/budget*.
#pragma once

#include <string>
#include <vector>

#include "yaml-cpp/yaml.h"

namespace blueshift::policies {

enum class BudgetPeriod { Day, Month };  // UTC calendar days and months
enum class BudgetMode { Enforce, Warn };

// One configured limit. A `user` budget is an account per matching user (a glob: "*"
// gives everyone their own); a `group` budget is one pool its members share.
struct Budget {
  std::string name;
  enum class Holder { User, Group } holder = Holder::User;
  std::string who;  // user glob, or group name
  BudgetPeriod period = BudgetPeriod::Day;
  double limit_usd = 0;
  BudgetMode mode = BudgetMode::Enforce;
};

struct BudgetSettings {
  std::vector<Budget> budgets;
  // Shares of a limit (0 < t < 1, ascending) whose crossing sends a NOTICE, once per
  // period per user and budget.
  std::vector<double> thresholds = {0.8};
  std::string ledger_schema = "blueshift";
  std::string ledger_table = "budget_ledger";
  // This instance's name in the ledger's lease rows; "" = host name and process id.
  std::string instance;
  // The ledger cannot be reached and no lease covers a query: refuse it (retryable) or
  // run it and log.
  bool fail_open = false;
  double lease_share = 0.25;  // of what is left, leased at a time
  int lease_seconds = 60;     // a lease lapses after this unless renewed
  [[nodiscard]] bool empty() const { return budgets.empty(); }
};

// Parses the `budgets:` node found at `path`; a missing node is no budgets. Throws
// std::runtime_error("policies.budgets.limits[0].usd (line 3, column 9): ...").
[[nodiscard]] BudgetSettings parse_budget_settings(const YAML::Node& node, const std::string& path);

[[nodiscard]] const char* to_string(BudgetPeriod period);  // "day", "month"

}  // namespace blueshift::policies
