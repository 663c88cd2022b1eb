// Budget arithmetic, pure: which budgets a session is charged to, the period a moment
// falls in, how much of what is left an instance may lease, which thresholds a charge
// crosses, and the words of a refusal, a warning and a threshold notice.
// Money is counted in whole nanodollars (the ledger's numeric(20,9)), so sums are exact.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "policies/budget_settings.h"
#include "policies/evaluate.h"
#include "policies/scan_estimate.h"

namespace blueshift::policies {

using Nanodollars = int64_t;
[[nodiscard]] Nanodollars to_nanodollars(double usd);  // rounded up: never under-charges
[[nodiscard]] std::string usd_exact(Nanodollars n);      // "0.000047684"

// One budget as it applies to one session: whose account it is and its limit.
struct BudgetAccount {
  std::string budget;  // Budget::name
  Budget::Holder holder = Budget::Holder::User;
  std::string member;  // the user (a user budget) or the group (a pool)
  BudgetPeriod period = BudgetPeriod::Day;
  Nanodollars limit = 0;
  BudgetMode mode = BudgetMode::Enforce;
  [[nodiscard]] std::string key() const { return budget + '\x1f' + member; }
};

// What a statement costs and whose budgets pay for it (Verdict::budget).
struct BudgetCharge {
  Nanodollars cost = 0;
  std::vector<BudgetAccount> accounts;
  // Counts the statement as run (scan metrics, reconcile): called by whoever lets it run
  // past the budgets, once; never for one they refuse.
  std::function<void()> ran = [] {};
};

// The budgets that charge this session, in configuration order. A user whose groups are
// unknown is charged to every group budget (fail closed, as scopes are).
[[nodiscard]] std::vector<BudgetAccount> budget_accounts(const BudgetSettings& settings, const SessionFacts& session);

// The period `at` falls in, as the ledger's period_start ("2024-05-01" for May), and the
// start of the next one.
[[nodiscard]] std::string period_start(BudgetPeriod period, std::chrono::system_clock::time_point at);
[[nodiscard]] std::string next_period_start(BudgetPeriod period, std::chrono::system_clock::time_point at);

// How much one instance may hold of an account: `committed` is what the ledger counts
// as gone (spent, and every other instance's lease), `keep` what the instance has in
// flight, `need` what a waiting statement costs. The grant keeps keep and need covered
// and adds `share` of the rest, never more than limit - committed: leases of all
// instances together never exceed the limit.
struct LeaseGrant {
  Nanodollars lease = 0;
  bool covers_need = false;
};
[[nodiscard]] LeaseGrant grant_lease(Nanodollars limit, Nanodollars committed, Nanodollars keep, Nanodollars need,
                                     double share);

// The thresholds (shares of limit) that `before` is under and `after` reaches.
[[nodiscard]] std::vector<double> crossed_thresholds(Nanodollars before, Nanodollars after, Nanodollars limit,
                                                     const std::vector<double>& thresholds);

// What the client is told.
struct BudgetMessage {
  std::string severity;  // ERROR, WARNING, NOTICE
  std::string sqlstate;
  std::string message;
  std::string detail;
  std::string hint;
};
// The statement would take `account` past its limit: ERROR 53400 (enforce) or a WARNING.
// `held_elsewhere`: what other proxy instances' leases hold of it.
[[nodiscard]] BudgetMessage over_budget(const BudgetAccount& account, Nanodollars spent, Nanodollars held_elsewhere,
                                        Nanodollars cost, std::chrono::system_clock::time_point now);

// The statement's estimate (every statement of the text, each billed on its own),
// charged to `accounts`, with what counts it as run; null when it reads nothing billed.
[[nodiscard]] std::shared_ptr<const BudgetCharge> budget_charge(const rewrite::QueryFacts& facts, const Catalog& catalog,
                                                                const PartitionSizes& sizes, const CostSettings& cost,
                                                                std::vector<BudgetAccount> accounts,
                                                                const std::vector<rewrite::ParamValue>* params,
                                                                std::function<void()> ran);
// `spent` reached `threshold` of the limit.
[[nodiscard]] BudgetMessage threshold_notice(const BudgetAccount& account, Nanodollars spent, double threshold,
                                             std::chrono::system_clock::time_point now);
// The ledger cannot be reached and no lease covers the statement (fail closed): 55000,
// retryable.
[[nodiscard]] BudgetMessage ledger_unavailable(const BudgetAccount& account, const std::string& why);

}  // namespace blueshift::policies
