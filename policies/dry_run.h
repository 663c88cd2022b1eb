// SET blueshift.dry_run = on: what a text would scan and what the policies would do with it,
// instead of running it. One row per external table the text scans (table_name,
// partitions_matched, partitions_total, estimated_bytes, estimated_cost_usd, decision), from
// the same estimate the cost caps use (scan_estimate.h) and the same decision (evaluate.h).
// Pure functions: the Governor calls them on its snapshot; tests call them directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policies/catalog.h"
#include "policies/cost_settings.h"
#include "policies/evaluate.h"
#include "policies/partition_sizes.h"
#include "rewrite/bounds.h"
#include "rewrite/facts.h"

namespace blueshift::policies {

struct DryRunRow {
  std::string table;  // "schema.name"
  int64_t partitions_matched = 0;
  int64_t partitions_total = 0;
  int64_t bytes = 0;   // read from the files (column fractions applied)
  double usd = 0;      // this table's bytes billed alone: rounded, with the per-query minimum
  std::string decision;  // "allow", "warn (rule)", "refuse (rule)"
};

struct DryRun {
  // Every statement of the text is transaction control, SET/RESET or SHOW: it scans
  // nothing and runs as usual, so that a dry-run session keeps its transactions and settings.
  bool runs = false;
  int params = 0;  // highest $n the text uses (a dry-run statement's parameter count)
  std::vector<DryRunRow> rows;
};

// Whether the text runs during a dry run (see DryRun::runs). An empty text runs too.
[[nodiscard]] bool runs_in_dry_run(const rewrite::QueryFacts& facts);

// What the decision says of one table: the strongest enforce/warn finding on it or on the
// statement as a whole ("refuse (rule)", "warn (rule)"); else, when the text is refused or
// warned over another table, that outcome with its rule; else "allow" (audit mode allows).
[[nodiscard]] std::string decision_for(const Decision& decision, const std::string& table);

// One row per external table the text's statements scan, in first-scan order; a table
// scanned twice is one row whose partitions are the union and whose bytes are the sum.
[[nodiscard]] std::vector<DryRunRow> dry_run_rows(const rewrite::QueryFacts& facts, const Decision& decision,
                                                  const Catalog& catalog, const PartitionSizes& sizes,
                                                  const CostSettings& settings,
                                                  const std::vector<rewrite::ParamValue>* params);

}  // namespace blueshift::policies
