// The one place a session waits for a budget lease: the ledger transaction runs on the
// blocking pool, never on the I/O thread, and only the waiting session waits for it.
#pragma once

#include <memory>

#include "policies/budgets.h"
#include "proxy/asio.h"
#include "proxy/budget_gate.h"

namespace blueshift::proxy {

awaitable<void> await_budget(asio::thread_pool& blocking, BudgetGate& gate);

// The `policies.budgets` section's Budgets, over the ledger table reached with
// `catalog.conninfo`; null when no budget is configured. Throws std::runtime_error when
// budgets are configured without a service connection (start-up, --check-config).
[[nodiscard]] std::shared_ptr<policies::Budgets> make_budgets(const YAML::Node* policies, const std::string& conninfo);

}  // namespace blueshift::proxy
