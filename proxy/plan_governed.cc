#include "proxy/plan_governed.h"

#include "proxy/plan_script.h"

namespace blueshift::proxy {

namespace {

// A plan that refuses with a refusal of its steps.
rewrite::PlanPtr refused(const policies::Verdict& v) {
  auto plan = std::make_shared<rewrite::Plan>();
  const std::string detail = v.detail.empty() ? "" : v.detail + " ";
  plan->refusal = rewrite::PlanStep::Error{
      v.sqlstate, v.message, detail + "(Refused in the statements Blueshift runs in place of this one.) " + v.hint};
  return plan;
}

}  // namespace

std::string checked_text(const rewrite::Plan& plan) {
  std::vector<rewrite::PlanStep> read(plan.steps);
  for (rewrite::PlanStep& step : read)
    if (!step.checked.empty()) step.sql = step.checked;
  std::vector<const rewrite::PlanStep*> steps;
  for (const rewrite::PlanStep& step : read) steps.push_back(&step);
  return plan_script(steps).text;
}

GovernedPlan governed_steps(policies::Governor* governor, const policies::SessionContext& session,
                            rewrite::PlanPtr plan, std::string_view client,
                            const std::vector<uint32_t>* parse_types) {
  // A session no rule applies to has nothing to refuse: no second analysis of its steps.
  if (governor == nullptr || !plan || plan->refusal || !governor->governs(session))
    return {std::move(plan), nullptr, {}};
  policies::Checked checked = governor->check_steps(checked_text(*plan), client, session, parse_types);
  if (checked.verdict.outcome == policies::Verdict::Outcome::Refuse) return {refused(checked.verdict), nullptr, {}};
  return {std::move(plan), std::move(checked.deferred), std::move(checked.verdict)};
}

GovernedPlan bound_steps(policies::Governor& governor, const policies::PreparedCheck& at_bind,
                         const std::vector<std::optional<std::string>>& params,
                         const std::vector<int16_t>& param_formats, const policies::SessionContext& session,
                         const policies::PreparedCheck* client, policies::Verdict* client_verdict) {
  policies::Verdict v;
  if (client != nullptr)
    *client_verdict = governor.check_bind_planned(*client, at_bind, params, param_formats, session, &v);
  else
    v = governor.check_bind(at_bind, params, param_formats, session);
  if (v.outcome == policies::Verdict::Outcome::Refuse) return {refused(v), nullptr, {}};
  return {nullptr, nullptr, std::move(v)};
}

}  // namespace blueshift::proxy
