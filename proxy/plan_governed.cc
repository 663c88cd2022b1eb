#include "proxy/plan_governed.h"

#include "proxy/plan_script.h"

namespace blueshift::proxy {

std::string checked_text(const rewrite::Plan& plan) {
  std::vector<const rewrite::PlanStep*> steps;
  for (const rewrite::PlanStep& step : plan.steps) steps.push_back(&step);
  std::string text = plan_script(steps).text;
  for (const std::string& stage : plan.stages) {
    const std::string temp = "pg_temp." + stage;
    for (size_t at = text.find(stage); at != std::string::npos; at = text.find(stage, at + temp.size()))
      text.replace(at, stage.size(), temp);
  }
  return text;
}

rewrite::PlanPtr governed_steps(policies::Governor* governor, const policies::SessionContext& session,
                                rewrite::PlanPtr plan, bool extended) {
  // A session no rule applies to has nothing to refuse: no second analysis of its steps.
  if (governor == nullptr || !plan || plan->refusal || !governor->governs(session)) return plan;
  const std::string text = checked_text(*plan);
  const policies::Verdict v =
      extended ? governor->check_parse(text, session, {}).verdict : governor->check_query(text, session).verdict;
  if (v.outcome != policies::Verdict::Outcome::Refuse) return plan;
  auto refused = std::make_shared<rewrite::Plan>();
  const std::string detail = v.detail.empty() ? "" : v.detail + " ";
  refused->refusal = rewrite::PlanStep::Error{
      v.sqlstate, v.message, detail + "(Refused in the statements Blueshift runs in place of this one.) " + v.hint};
  return refused;
}

}  // namespace blueshift::proxy
