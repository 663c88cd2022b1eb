#include "proxy/budget_wait.h"

#include "proxy/off_thread.h"

#include <stdexcept>

namespace blueshift::proxy {

awaitable<void> await_budget(asio::thread_pool& blocking, BudgetGate& gate) {
  if (gate.budgets() != nullptr && gate.waiting()) {
    // run_off_thread, not co_spawn on the pool: see proxy/off_thread.h (the awaiting pump's
    // cancellation slot is connected). Named, not temporaries inside the co_await: GCC 12
    // mishandles those (proxy/off_thread.h).
    const Executor home = co_await asio::this_coro::executor;
    auto acquire = [budgets = gate.budgets(), charge = gate.waiting(), user = gate.waiting_user()] {
      budgets->acquire(*charge, user);
      return true;
    };
    auto acquired = run_off_thread(blocking, home, std::move(acquire));
    co_await std::move(acquired);
  }
  gate.acquired();
}

std::shared_ptr<policies::Budgets> make_budgets(const YAML::Node* policies, const std::string& conninfo) {
  if (policies == nullptr) return nullptr;
  policies::Budgets::Options o;
  o.settings = policies::parse_budget_settings((*policies)["budgets"], "policies.budgets");
  if (o.settings.empty()) return nullptr;
  if (conninfo.empty())
    throw std::runtime_error("policies.budgets: the spend ledger needs the service connection catalog.conninfo");
  o.ledger = policies::make_sql_ledger(conninfo, o.settings.ledger_schema, o.settings.ledger_table);
  return std::make_shared<policies::Budgets>(std::move(o));
}

}  // namespace blueshift::proxy
