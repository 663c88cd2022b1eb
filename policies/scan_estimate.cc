#include "policies/scan_estimate.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "policies/evaluate.h"
#include "rewrite/identifiers.h"

namespace blueshift::policies {
namespace {

bool is_partition_column(const ExternalTable& table, const std::string& column) {
  return std::find(table.partition_columns.begin(), table.partition_columns.end(), column) !=
         table.partition_columns.end();
}

bool columnar(const ExternalTable& table, const TableCost& cost) {
  if (cost.format != TableCost::Format::Auto) return cost.format == TableCost::Format::Columnar;
  const std::string f = rewrite::ascii_lower(table.input_format);
  return f.find("parquet") != std::string::npos || f.find("orc") != std::string::npos;
}

// ceil(a / b) for a >= 0, b > 0.
int64_t round_up(int64_t a, int64_t b) { return b <= 1 ? a : (a + b - 1) / b * b; }

}  // namespace

int64_t billed_bytes(int64_t bytes, bool reads, const CostSettings& settings) {
  if (!reads) return 0;
  return std::max(round_up(std::max<int64_t>(bytes, 0), settings.round_to_bytes), settings.min_billed_bytes);
}

double cost_usd(int64_t billed, const CostSettings& settings) {
  return static_cast<double>(billed) / static_cast<double>(kTiB) * settings.usd_per_tb;
}

double column_fraction(const ExternalTable& table, const rewrite::Scan& scan, const TableCost& cost) {
  if (!columnar(table, cost) || scan.select_star) return 1.0;
  std::vector<std::string> stored;  // the columns the files hold
  for (const auto& c : table.columns) {
    if (!is_partition_column(table, c)) stored.push_back(c);
  }
  if (stored.empty()) return 1.0;
  double listed = 0;
  size_t unlisted = 0;
  for (const auto& c : stored) {
    const auto it = cost.column_fractions.find(c);
    if (it != cost.column_fractions.end()) {
      listed += it->second;
    } else {
      ++unlisted;
    }
  }
  const double share = unlisted == 0 ? 0.0 : std::max(0.0, 1.0 - listed) / static_cast<double>(unlisted);
  double fraction = 0;
  for (const auto& c : scan.columns_read) {
    if (std::find(stored.begin(), stored.end(), c) == stored.end()) continue;
    const auto it = cost.column_fractions.find(c);
    fraction += it != cost.column_fractions.end() ? it->second : share;
  }
  return std::min(fraction, 1.0);
}

ScanEstimate estimate_scan(const ExternalTable& table, const rewrite::Scan& scan, const PartitionSizes& sizes,
                           const CostSettings& settings) {
  ScanEstimate e;
  e.table = table.qualified();
  auto add_bytes = [&](const std::string& location) {
    if (const auto b = sizes.bytes(location)) {
      e.file_bytes += *b;
    } else {
      ++e.partitions_unknown;
      e.file_bytes += settings.default_partition_bytes;
    }
  };
  if (table.partition_columns.empty()) {  // unpartitioned: the table's files, whole
    e.partitions_total = 1;
    if (!scan.reads_nothing) {
      e.partitions_matched = 1;
      add_bytes(table.location);
    }
  } else {
    e.partitions_total = static_cast<int64_t>(table.partitions.size());
    e.partitions = matching_partitions(table, scan);
    e.partitions_matched = static_cast<int64_t>(e.partitions.size());
    for (size_t i : e.partitions) add_bytes(i < table.partition_locations.size() ? table.partition_locations[i] : "");
  }
  const auto cost = settings.tables.find(e.table);
  e.column_fraction = column_fraction(table, scan, cost != settings.tables.end() ? cost->second : TableCost{});
  e.bytes = static_cast<int64_t>(std::ceil(static_cast<double>(e.file_bytes) * e.column_fraction));
  return e;
}

StatementEstimate estimate_statement(const rewrite::StatementFacts& statement, const Catalog& catalog,
                                     const PartitionSizes& sizes, const CostSettings& settings,
                                     const std::vector<rewrite::ParamValue>* params) {
  StatementEstimate out;
  bool reads = false;
  for (const auto& scan : statement.scans) {
    const ExternalTable* table = catalog.find_external(scan.table.qualified());
    if (table == nullptr) continue;  // not a Spectrum table: not billed by bytes scanned
    std::optional<rewrite::Scan> bound;
    if (params) bound = rewrite::substitute_params(scan, *params);
    const rewrite::Scan pruned = rewrite::pruning_scan(bound ? *bound : scan);
    ScanEstimate e = estimate_scan(*table, pruned, sizes, settings);
    reads = reads || e.partitions_matched > 0;
    out.bytes += e.bytes;
    out.partitions_unknown += e.partitions_unknown;
    out.scans.push_back(std::move(e));
  }
  out.billed_bytes = billed_bytes(out.bytes, reads, settings);
  out.usd = cost_usd(out.billed_bytes, settings);
  return out;
}

StatementEstimate estimate_text(const rewrite::QueryFacts& facts, const Catalog& catalog, const PartitionSizes& sizes,
                                const CostSettings& settings, const std::vector<rewrite::ParamValue>* params) {
  StatementEstimate out;
  for (const auto& st : facts.statements) {
    StatementEstimate e = estimate_statement(st, catalog, sizes, settings, params);
    out.bytes += e.bytes;
    out.billed_bytes += e.billed_bytes;
    out.usd += e.usd;
    out.partitions_unknown += e.partitions_unknown;
    for (auto& s : e.scans) out.scans.push_back(std::move(s));
  }
  return out;
}

}  // namespace blueshift::policies
