// Per-query caps on what Spectrum scans cost (rules max_scan_bytes and max_cost_usd):
// whether a statement's estimate breaks one, and the words of the refusal, whose DETAIL
// states partitions, bytes and dollars and whose HINT says how to narrow the scan.
#pragma once

#include <string>

#include "policies/catalog.h"
#include "policies/policy_set.h"
#include "policies/scan_estimate.h"
#include "rewrite/facts.h"

namespace blueshift::policies {

// The part of the estimate a rule covers (its `tables`), billed on its own.
[[nodiscard]] StatementEstimate covered_estimate(const StatementEstimate& estimate, const Rule& rule,
                                                 const CostSettings& settings);

// A cap rule the (covered) estimate exceeds.
[[nodiscard]] bool breaks_cap(const Rule& rule, const StatementEstimate& covered);

// "spectrum_schema.sales: 24 of 36 partitions, 1.5 MB; billed 10 MB, $0.000048; the limit
// is 1 MB" (and the assumed size of partitions whose size is unknown).
[[nodiscard]] std::string cap_detail(const Rule& rule, const StatementEstimate& covered, const CostSettings& settings);
// Which partition columns to filter on, and columns instead of `*` where a scan has it.
[[nodiscard]] std::string cap_hint(const rewrite::StatementFacts& statement, const StatementEstimate& covered,
                                   const Catalog& catalog);

// "1.5 MB", "10 MB", "2.3 GB", "812 bytes"; dollars as "$0.000048".
[[nodiscard]] std::string bytes_text(int64_t bytes);
[[nodiscard]] std::string usd_text(double usd);

}  // namespace blueshift::policies
