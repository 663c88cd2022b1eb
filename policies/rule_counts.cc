// Per-rule counts; see rule_counts.h.
#include "policies/rule_counts.h"

#include <mutex>
#include <set>

namespace blueshift::policies {
namespace {

RuleOutcome outcome_of(const Finding& f) {
  if (f.note) return RuleOutcome::Audited;
  switch (f.mode) {
    case Mode::Enforce: return RuleOutcome::Refused;
    case Mode::Warn: return RuleOutcome::Warned;
    case Mode::Audit: break;
  }
  return RuleOutcome::Audited;
}

}  // namespace

const char* to_string(RuleOutcome outcome) {
  switch (outcome) {
    case RuleOutcome::Refused: return "refused";
    case RuleOutcome::Warned: return "warned";
    default: return "audited";
  }
}

void RuleCounts::count(const Decision& decision) {
  std::set<std::pair<std::string_view, RuleOutcome>> seen;  // one count a rule and outcome
  for (const Finding& f : decision.findings) {
    const RuleOutcome outcome = outcome_of(f);
    if (!seen.emplace(f.rule, outcome).second) continue;
    cells(f.rule).counts[static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  }
}

RuleOutcomeCounts RuleCounts::read(std::string_view rule) const {
  RuleOutcomeCounts out{};
  std::shared_lock lock(mutex_);
  const auto it = rules_.find(rule);
  if (it == rules_.end()) return out;
  for (size_t i = 0; i < out.size(); ++i) out[i] = it->second->counts[i].load(std::memory_order_relaxed);
  return out;
}

RuleCounts::Cells& RuleCounts::cells(std::string_view rule) {
  {
    std::shared_lock lock(mutex_);
    if (const auto it = rules_.find(rule); it != rules_.end()) return *it->second;
  }
  std::unique_lock lock(mutex_);
  auto& slot = rules_[std::string(rule)];
  if (!slot) slot = std::make_unique<Cells>();
  return *slot;
}

}  // namespace blueshift::policies
