// The governor's collector; see governor_metrics.h.
#include "proxy/governor_metrics.h"

#include <utility>

#include "policies/rule_counts.h"
#include "proxy/metric_names.h"

namespace blueshift::proxy {
namespace {

// Per rule of the running policies and outcome: labels bounded by the configuration.
metrics::Family rule_decisions(const policies::Governor& governor) {
  metrics::Family f{std::string(metric_names::kRuleDecisions),
                    "Statements each policy rule fired on, by outcome (refused, warned, audited).",
                    metrics::Type::Counter, {}};
  for (const policies::RuleTally& t : governor.rule_tallies()) {
    for (size_t i = 0; i < t.counts.size(); ++i) {
      const char* outcome = policies::to_string(static_cast<policies::RuleOutcome>(i));
      f.samples.push_back({{{"rule", t.rule.name}, {"outcome", outcome}}, static_cast<double>(t.counts[i]), {}});
    }
  }
  return f;
}

}  // namespace

void add_governor_collector(metrics::Registry& registry, std::shared_ptr<const policies::Governor> governor) {
  registry.add_collector([governor = std::move(governor)](std::vector<metrics::Family>& out) {
    using namespace metric_names;
    using metrics::single;
    using metrics::Type;
    const auto c = governor->counters();
    auto count = [](uint64_t n) { return static_cast<double>(n); };
    out.push_back(single(std::string(kPolicyChecks), "Statements checked against the policies.", Type::Counter,
                         count(c.checked)));
    out.push_back(single(std::string(kPolicyParses), "Statement texts parsed (analysis cache misses).",
                         Type::Counter, count(c.parsed)));
    out.push_back(single(std::string(kPolicyCacheHits), "Statement analyses found in the cache.", Type::Counter,
                         count(c.cache_hits)));
    out.push_back(single(std::string(kPolicyRefusals), "Statements refused by a policy.", Type::Counter,
                         count(c.refused)));
    out.push_back(single(std::string(kPolicyWarnings), "Statements forwarded with a policy warning.", Type::Counter,
                         count(c.warned)));
    out.push_back(single(std::string(kPolicyAuditLines), "Audit lines written for policy decisions.", Type::Counter,
                         count(c.audited)));
    out.push_back(rule_decisions(*governor));
  });
}

}  // namespace blueshift::proxy
