// The governor's collector; see governor_metrics.h.
#include "proxy/governor_metrics.h"

#include <utility>

#include "policies/reconcile_stats.h"
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

// The scan estimates by group: three families of one series per configured group.
void scan_spend(const policies::Governor& governor, std::vector<metrics::Family>& out) {
  metrics::Family scans{std::string(metric_names::kEstimatedScans),
                        "Statements that ran with a Spectrum scan estimate, by group.", metrics::Type::Counter, {}};
  metrics::Family bytes{std::string(metric_names::kEstimatedScanBytes),
                        "Estimated Spectrum bytes scanned by the statements that ran, by group.",
                        metrics::Type::Counter, {}};
  metrics::Family usd{std::string(metric_names::kEstimatedScanUsd),
                      "Estimated Spectrum dollars billed for the statements that ran, by group.",
                      metrics::Type::Counter, {}};
  for (const policies::ScanSpendTally& t : governor.scan_spend()) {
    const metrics::Labels labels{{"group", t.group}};
    scans.samples.push_back({labels, static_cast<double>(t.statements), {}});
    bytes.samples.push_back({labels, static_cast<double>(t.bytes), {}});
    usd.samples.push_back({labels, static_cast<double>(t.nanodollars) / 1e9, {}});
  }
  out.push_back(std::move(scans));
  out.push_back(std::move(bytes));
  out.push_back(std::move(usd));
}

// Reconcile: statements paired or not, bytes each side, and the estimate's error ratio.
void reconcile(const policies::Governor& governor, std::vector<metrics::Family>& out) {
  const policies::ReconcileCounts c = governor.reconcile_counts();
  auto count = [](uint64_t n) { return static_cast<double>(n); };
  out.push_back({std::string(metric_names::kReconciled),
                 "Estimates reconcile paired with the warehouse's record of the query (matched), or dropped "
                 "after waiting in vain (unmatched).",
                 metrics::Type::Counter,
                 {{{{"result", "matched"}}, count(c.matched), {}}, {{{"result", "unmatched"}}, count(c.unmatched), {}}}});
  out.push_back({std::string(metric_names::kReconciledBytes),
                 "Bytes of the reconciled statements: the proxy's estimate, and what the warehouse scanned.",
                 metrics::Type::Counter,
                 {{{{"source", "estimated"}}, count(c.estimated_bytes), {}},
                  {{{"source", "actual"}}, count(c.actual_bytes), {}}}});
  metrics::Sample errors;
  errors.histogram = {policies::reconcile_error_bounds(), c.error_cumulative, c.error_sum, c.error_count};
  if (errors.histogram.cumulative.size() != errors.histogram.bounds.size() + 1)
    errors.histogram.cumulative.assign(errors.histogram.bounds.size() + 1, 0);  // nothing reconciled
  out.push_back({std::string(metric_names::kReconcileError),
                 "(estimated - actual) / actual bytes of each reconciled statement that scanned something.",
                 metrics::Type::Histogram, {std::move(errors)}});
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
    scan_spend(*governor, out);
    reconcile(*governor, out);
  });
}

}  // namespace blueshift::proxy
