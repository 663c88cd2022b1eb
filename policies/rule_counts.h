// How often each policy rule fired, by outcome: the figures behind the console's SHOW RULES
// and /metrics' blueshift_rule_decisions_total{rule,outcome}. Counted by rule name, so a
// reload that keeps a rule keeps its counts; the set of names is bounded by the
// configuration (a name is added once, never removed).
//
// Only decisions that found something are counted, and each of them also writes an audit
// line (a lock and a write), so a shared lock and one relaxed add here cost little.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "policies/evaluate.h"

namespace blueshift::policies {

enum class RuleOutcome : size_t {
  Refused,   // an enforce-mode finding: the statement did not run
  Warned,    // a warn-mode finding: it ran, the client got a WARNING
  Audited,   // an audit-mode finding or a note: it ran, the audit log has it
  kCount,
};
[[nodiscard]] const char* to_string(RuleOutcome outcome);  // "refused", "warned", "audited"

using RuleOutcomeCounts = std::array<uint64_t, static_cast<size_t>(RuleOutcome::kCount)>;

class RuleCounts {
 public:
  // Each rule a decision's findings name, once per decision, by the finding's mode.
  void count(const Decision& decision);
  // The counts of one rule (zeros for a rule that never fired).
  [[nodiscard]] RuleOutcomeCounts read(std::string_view rule) const;

 private:
  struct alignas(64) Cells {
    std::array<std::atomic<uint64_t>, static_cast<size_t>(RuleOutcome::kCount)> counts{};
  };
  Cells& cells(std::string_view rule);

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::unique_ptr<Cells>, std::less<>> rules_;
};

}  // namespace blueshift::policies
