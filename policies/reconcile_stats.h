// What reconcile (reconcile.h) found, kept for /metrics: how many estimates were paired
// with the query the warehouse recorded, how many waited in vain, the bytes on each side,
// and the estimate's error ratio as a histogram over fixed bounds. Written by the
// reconcile job's thread once a round, read by the metrics scrape.
#pragma once

#include <mutex>
#include <vector>

#include "policies/governor.h"
#include "policies/reconcile.h"

namespace blueshift::policies {

// Upper bounds of the error ratio's buckets: -0.5 is half the real scan, 1 twice it.
[[nodiscard]] const std::vector<double>& reconcile_error_bounds();

class ReconcileStats {
 public:
  // One round's outcome.
  void add(const MatchResult& result);
  [[nodiscard]] ReconcileCounts read() const;

 private:
  mutable std::mutex mutex_;
  ReconcileCounts counts_;
  std::vector<uint64_t> buckets_ = std::vector<uint64_t>(reconcile_error_bounds().size() + 1);  // not cumulative
};

}  // namespace blueshift::policies
