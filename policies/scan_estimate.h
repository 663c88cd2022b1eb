// What a statement's Spectrum scans will cost, before it runs: the partitions each scan
// of an external table matches (the very matching the partition rules use:
// policies::matching_partitions over the scan's pruning bounds, Bind values in), their bytes (from
// PartitionSizes, times the share of the columns read for a columnar format), and the
// dollars Spectrum bills for the statement: bytes rounded up to the megabyte, at least the
// per-query minimum when anything is read, at the configured price per terabyte.
// Pure functions: the Governor and the tests call them with a catalog and sizes snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "policies/catalog.h"
#include "policies/cost_settings.h"
#include "policies/partition_sizes.h"
#include "rewrite/bounds.h"
#include "rewrite/facts.h"

namespace blueshift::policies {

struct ScanEstimate {
  std::string table;                 // "schema.name"
  int64_t partitions_matched = 0;
  int64_t partitions_total = 0;
  int64_t partitions_unknown = 0;    // matched partitions priced at default_partition_bytes
  int64_t file_bytes = 0;            // the matched partitions' bytes, whole
  double column_fraction = 1.0;      // the share of those bytes read
  int64_t bytes = 0;                 // file_bytes * column_fraction, rounded up
  std::vector<size_t> partitions;    // indices into ExternalTable::partitions
};

struct StatementEstimate {
  std::vector<ScanEstimate> scans;   // one per scan of an external table
  int64_t bytes = 0;                 // all scans
  int64_t billed_bytes = 0;          // rounded, with the minimum
  double usd = 0;
  int64_t partitions_unknown = 0;    // over all scans
};

// Billing: `bytes` rounded up to round_to_bytes, at least min_billed_bytes when `reads`
// (the statement reads some partition), and 0 when it reads nothing.
[[nodiscard]] int64_t billed_bytes(int64_t bytes, bool reads, const CostSettings& settings);
[[nodiscard]] double cost_usd(int64_t billed, const CostSettings& settings);

// The share of a scan's file bytes read: 1 for text formats and SELECT *; for columnar,
// the fractions of the non-partition columns it reads (partition values are in the
// location, not the files).
[[nodiscard]] double column_fraction(const ExternalTable& table, const rewrite::Scan& scan, const TableCost& cost);

[[nodiscard]] ScanEstimate estimate_scan(const ExternalTable& table, const rewrite::Scan& scan,
                                         const PartitionSizes& sizes, const CostSettings& settings);

// Every scan of an external table in the statement, with `params` (Bind's, may be null)
// substituted and the bounds the warehouse does not prune on left out.
[[nodiscard]] StatementEstimate estimate_statement(const rewrite::StatementFacts& statement, const Catalog& catalog,
                                                   const PartitionSizes& sizes, const CostSettings& settings,
                                                   const std::vector<rewrite::ParamValue>* params = nullptr);

// Every statement of a text: the scans of all, bytes, billed bytes and dollars summed
// (each statement is a query of its own, billed with its own minimum).
[[nodiscard]] StatementEstimate estimate_text(const rewrite::QueryFacts& facts, const Catalog& catalog,
                                              const PartitionSizes& sizes, const CostSettings& settings,
                                              const std::vector<rewrite::ParamValue>* params = nullptr);

}  // namespace blueshift::policies
