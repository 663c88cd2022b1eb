#include "proxy/budget_gate.h"

#include <utility>

namespace blueshift::proxy {
namespace {

protocol::ProxyError to_error(const policies::BudgetMessage& m) {
  return protocol::ProxyError{m.severity, m.sqlstate, m.message, m.detail, m.hint};
}

}  // namespace

BudgetGate::Step BudgetGate::admit(const policies::Verdict& verdict, const std::string& user,
                                   protocol::ProxyError* error, std::vector<protocol::ProxyError>* notices,
                                   std::shared_ptr<policies::BudgetReservation>* hold) {
  if (!verdict.budget) return Step::Go;
  if (budgets_ == nullptr) {
    // Budgets configured by a reload, after start-up made none: nothing to reserve from.
    verdict.budget->ran();
    return Step::Go;
  }
  // The same charge once its lease was asked for: what still does not fit is decided.
  const bool waited = lease_ && lease_->acquired != nullptr && lease_->acquired->cost == verdict.budget->cost;
  if (lease_) {
    lease_->acquired = nullptr;
    if (lease_->waiting == nullptr) lease_.reset();  // nothing waits: nothing kept
  }
  policies::BudgetOutcome o = budgets_->reserve(*verdict.budget, user, waited);
  switch (o.kind) {
    case policies::BudgetOutcome::Kind::NeedLease:
      if (!lease_) lease_ = std::make_unique<Lease>();
      lease_->waiting = verdict.budget;
      lease_->user = user;
      lease_->acquired = nullptr;
      return Step::Wait;
    case policies::BudgetOutcome::Kind::Refuse:
      *error = to_error(o.refusal);
      return Step::Refuse;
    case policies::BudgetOutcome::Kind::Run:
      break;
  }
  for (const auto& n : o.notices) notices->push_back(to_error(n));
  *hold = std::move(o.reservation);
  verdict.budget->ran();  // counted now it runs: not when refused or while it waits
  return Step::Go;
}

const std::shared_ptr<const policies::BudgetCharge>& BudgetGate::waiting() const {
  static const std::shared_ptr<const policies::BudgetCharge> none;
  return lease_ ? lease_->waiting : none;
}

const std::string& BudgetGate::waiting_user() const {
  static const std::string none;
  return lease_ ? lease_->user : none;
}

std::vector<std::vector<std::string>> BudgetGate::spend(policies::Governor* governor,
                                                        const policies::SessionContext& session) const {
  std::vector<std::vector<std::string>> rows;
  if (budgets_ == nullptr || governor == nullptr) return rows;
  for (auto& r : budgets_->spend(governor->budget_accounts_for(session))) {
    rows.push_back({r.budget, r.scope, r.member, r.period, r.period_start, r.limit_usd, r.spent_usd, r.left_usd, r.mode});
  }
  return rows;
}

}  // namespace blueshift::proxy
