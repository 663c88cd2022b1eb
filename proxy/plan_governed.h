// The policies' word on the statements a plan runs in place of the client's (issue 12). A
// plan step is a way a statement reaches the warehouse: the client's statement passed, but
// its staged steps also read and write what it did not name (the target's DELETE or UPDATE,
// the staging tables' DDL), so each must pass as the client's own statements would.
#pragma once

#include "policies/governor.h"
#include "rewrite/plan.h"

namespace blueshift::proxy {

// The plan, or one that refuses with the policy's error when the policies refuse any of its
// steps: then nothing of it runs. `extended`: the steps carry the client's $n (checked as a
// Parse; a decision that needs the values is the client's statement's, at its Bind). A null
// governor or plan, a refusing plan, or a session no rule applies to: the plan as it is.
[[nodiscard]] rewrite::PlanPtr governed_steps(policies::Governor* governor, const policies::SessionContext& session,
                                              rewrite::PlanPtr plan, bool extended);

// The steps as one text the policies read: each staging table named in the schema of
// temporary tables (unqualified it would be taken for a table of the search path).
[[nodiscard]] std::string checked_text(const rewrite::Plan& plan);

}  // namespace blueshift::proxy
