// The governor's collector; see governor_metrics.h.
#include "proxy/governor_metrics.h"

#include <utility>

#include "proxy/metric_names.h"

namespace blueshift::proxy {

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
  });
}

}  // namespace blueshift::proxy
