// The policies' word on the statements a plan runs in place of the client's (issue 12). A
// plan step is a way a statement reaches the warehouse: the client's statement passed, but
// its staged steps also read and write what it did not name (the target's DELETE or UPDATE,
// the staging tables' DDL), so each must pass as the client's own statements would.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/governor.h"
#include "rewrite/plan.h"

namespace blueshift::proxy {

// A plan as the policies left it, and, for a Parse whose steps' decision needs the $n
// values, the check each Bind of it runs with them (bound_steps). `notice`: a warn-mode
// finding only the steps raise, which the client is shown as its statement's own
// (Verdict::Outcome::Notice; Pass when there is none).
struct GovernedPlan {
  rewrite::PlanPtr plan;
  std::shared_ptr<const policies::PreparedCheck> at_bind;
  policies::Verdict notice;
};

// The plan, or one that refuses with the policy's error when the policies refuse any of its
// steps: then nothing of it runs. `client`: the client's statement, already checked, whose
// findings the steps' check does not record again (Governor::check_steps). `parse_types`:
// null for a simple Query; a Parse's declared types, the steps then checked as a Parse (they
// carry the client's $n). A null governor or plan, a refusing plan, or a session no rule
// applies to: the plan as it is.
[[nodiscard]] GovernedPlan governed_steps(policies::Governor* governor, const policies::SessionContext& session,
                                          rewrite::PlanPtr plan, std::string_view client,
                                          const std::vector<uint32_t>* parse_types);

// The steps' check at a Bind, with its values, as the client's statement is checked there:
// `plan` null when they pass, else a plan that refuses with the policy's error before
// anything runs; `notice` as governed_steps'. `client`: the client's own deferred check
// (a budget session defers every one), decided in the same check, its verdict in
// `client_verdict` (Pass when the steps refuse): one check a Bind, not two.
[[nodiscard]] GovernedPlan bound_steps(policies::Governor& governor, const policies::PreparedCheck& at_bind,
                                       const std::vector<std::optional<std::string>>& params,
                                       const std::vector<int16_t>& param_formats,
                                       const policies::SessionContext& session,
                                       const policies::PreparedCheck* client = nullptr,
                                       policies::Verdict* client_verdict = nullptr);

// The steps as one text the policies read: each step's checked text, where the plan named
// its staging tables in the schema of temporary tables (unqualified they would be taken for
// tables of the search path), the client's own text as it runs.
[[nodiscard]] std::string checked_text(const rewrite::Plan& plan);

}  // namespace blueshift::proxy
