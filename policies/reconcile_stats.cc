// Reconcile's figures for /metrics; see reconcile_stats.h.
#include "policies/reconcile_stats.h"

#include <algorithm>

namespace blueshift::policies {

const std::vector<double>& reconcile_error_bounds() {
  static const std::vector<double> bounds = {-0.9, -0.5, -0.25, -0.1, -0.01, 0.01, 0.1, 0.25, 0.5, 1, 3};
  return bounds;
}

void ReconcileStats::add(const MatchResult& result) {
  const auto& bounds = reconcile_error_bounds();
  std::lock_guard lock(mutex_);
  counts_.matched += result.matched.size();
  counts_.unmatched += result.expired;
  for (const Reconciled& r : result.matched) {
    counts_.estimated_bytes += static_cast<uint64_t>(std::max<int64_t>(r.estimate.bytes, 0));
    counts_.actual_bytes += static_cast<uint64_t>(std::max<int64_t>(r.actual_bytes, 0));
    if (!r.error_ratio) continue;
    // The first bucket whose bound is at least the ratio (Prometheus' `le`).
    const auto at = std::lower_bound(bounds.begin(), bounds.end(), *r.error_ratio) - bounds.begin();
    ++buckets_[static_cast<size_t>(at)];
    counts_.error_sum += *r.error_ratio;
    ++counts_.error_count;
  }
}

ReconcileCounts ReconcileStats::read() const {
  std::lock_guard lock(mutex_);
  ReconcileCounts out = counts_;
  uint64_t running = 0;
  for (const uint64_t n : buckets_) out.error_cumulative.push_back(running += n);
  return out;
}

}  // namespace blueshift::policies
