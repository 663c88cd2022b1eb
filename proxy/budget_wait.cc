#include "proxy/budget_wait.h"

#include <stdexcept>

namespace blueshift::proxy {

awaitable<void> await_budget(asio::thread_pool& blocking, BudgetGate& gate) {
  auto acquire = [budgets = gate.budgets(), charge = gate.waiting()]() -> asio::awaitable<void> {
    budgets->acquire(*charge);
    co_return;
  };
  if (gate.budgets() != nullptr && gate.waiting()) co_await asio::co_spawn(blocking, acquire(), use_nothrow);
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
