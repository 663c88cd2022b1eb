// What checking a text's SQL PREPARE/EXECUTE steps found (an internal header of
// conversation*.cc; see conversation_sql_prepared.cc).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "policies/governor.h"

namespace blueshift::proxy {

struct SqlStepsChecked {
  std::optional<policies::Verdict> refusal;
  std::vector<policies::Verdict> notices;
  // Per step, for PREPAREs: the check of its body (null: none needed); unset when the body
  // could not be read, so the name stays unknown.
  std::vector<std::optional<std::shared_ptr<const policies::PreparedCheck>>> prepares;
  // What the EXECUTEs cost the session's budgets (each statement charged on its own).
  std::vector<std::shared_ptr<const policies::BudgetCharge>> charges;
};

// The verdict the budget gate admits for a text: `v`'s own charge and its EXECUTEs' as
// one charge, as they run together (SQL EXECUTE is charged like the statement it runs).
[[nodiscard]] policies::Verdict with_execute_charges(const policies::Verdict& v, const SqlStepsChecked& checked);

}  // namespace blueshift::proxy
