// Where a session's statements meet their budgets (policies/budgets.h): the Conversation
// asks admit() for each statement the Governor charged; the session awaits the lease a
// statement waits for (await_budget, proxy/budget_wait.h) off the I/O thread. Asio-free.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "policies/budgets.h"
#include "policies/governor.h"
#include "protocol/error_builder.h"

namespace blueshift::proxy {

class BudgetGate {
 public:
  explicit BudgetGate(policies::Budgets* budgets) : budgets_(budgets) {}

  enum class Step {
    Go,      // run it (counted as run: BudgetCharge::ran); *hold settles when the statement's
             // replies are done; *notices go first
    Refuse,  // *error is the client's; nothing runs
    Wait,    // the session awaits waiting() on a worker, calls acquired(), then admit again
  };
  [[nodiscard]] Step admit(const policies::Verdict& verdict, const std::string& user, protocol::ProxyError* error,
                           std::vector<protocol::ProxyError>* notices,
                           std::shared_ptr<policies::BudgetReservation>* hold);

  // The charge a statement waits for a lease (or a notice's record) for (null: none), and
  // the user it runs as.
  [[nodiscard]] const std::shared_ptr<const policies::BudgetCharge>& waiting() const;
  [[nodiscard]] const std::string& waiting_user() const;
  [[nodiscard]] policies::Budgets* budgets() const { return budgets_; }
  void acquired() {
    if (lease_) lease_->acquired = std::exchange(lease_->waiting, nullptr);
  }

  // SHOW blueshift.spend: one row per budget that charges the session.
  [[nodiscard]] std::vector<std::vector<std::string>> spend(policies::Governor* governor,
                                                            const policies::SessionContext& session) const;

 private:
  // A statement's wait for a lease: rare, so not held inline by every idle session.
  struct Lease {
    std::shared_ptr<const policies::BudgetCharge> waiting;
    std::string user;
    std::shared_ptr<const policies::BudgetCharge> acquired;  // the lease was asked for this one
  };
  policies::Budgets* budgets_;
  std::unique_ptr<Lease> lease_;
};

}  // namespace blueshift::proxy
