#include "proxy/plan_script.h"

#include "rewrite/staged_text.h"

namespace blueshift::proxy {

PlanScript plan_script(std::span<const rewrite::PlanStep* const> steps) {
  PlanScript script;
  int offset = 0;
  for (const rewrite::PlanStep* step : steps) {
    if (!script.text.empty()) {
      script.text += "\n;\n";
      offset += 3;
    }
    script.steps.push_back(ScriptStep{step, offset});
    script.text += step->sql;
    offset += rewrite::staged::characters(step->sql);
  }
  return script;
}

}  // namespace blueshift::proxy
