#include "policies/cost_caps.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "policies/governed_table.h"

namespace blueshift::policies {

StatementEstimate covered_estimate(const StatementEstimate& estimate, const Rule& rule, const CostSettings& settings) {
  StatementEstimate out;
  bool reads = false;
  for (const auto& scan : estimate.scans) {
    if (!rule_covers(rule, scan.table)) continue;
    reads = reads || scan.partitions_matched > 0;
    out.bytes += scan.bytes;
    out.partitions_unknown += scan.partitions_unknown;
    out.scans.push_back(scan);
  }
  out.billed_bytes = billed_bytes(out.bytes, reads, settings);
  out.usd = cost_usd(out.billed_bytes, settings);
  return out;
}

bool breaks_cap(const Rule& rule, const StatementEstimate& covered) {
  switch (rule.type) {
    case RuleType::MaxScanBytes: return covered.bytes > rule.max_scan_bytes;
    case RuleType::MaxCostUsd: return covered.usd > rule.max_cost_usd;
    default: return false;
  }
}

std::string bytes_text(int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  const char* units[] = {"KB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes) / 1024;
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  return absl::StrFormat("%.3g %s", v, units[u]);
}

std::string usd_text(double usd) {
  if (usd == 0) return "$0";
  // Two significant digits, without an exponent: $0.000048, $0.38, $5, $120.
  std::string s = absl::StrFormat("$%.*f", usd >= 1 ? 2 : std::max(2, 1 - static_cast<int>(std::floor(std::log10(usd)))), usd);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string cap_detail(const Rule& rule, const StatementEstimate& covered, const CostSettings& settings) {
  std::string out;
  for (const auto& s : covered.scans) {
    out += (out.empty() ? "" : ", ") + s.table + ": " + std::to_string(s.partitions_matched) + " of " +
           std::to_string(s.partitions_total) + (s.partitions_total == 1 ? " partition, " : " partitions, ") +
           bytes_text(s.bytes);
    if (s.column_fraction < 1) out += absl::StrFormat(" (%.0f%% of the columns' bytes)", s.column_fraction * 100);
  }
  out += "; estimated " + bytes_text(covered.bytes) + " (" + std::to_string(covered.bytes) + " bytes), billed " +
         bytes_text(covered.billed_bytes) + ", " + usd_text(covered.usd) + " at " + usd_text(settings.usd_per_tb) + "/TB";
  out += rule.type == RuleType::MaxScanBytes ? "; the limit is " + bytes_text(rule.max_scan_bytes)
                                             : "; the limit is " + usd_text(rule.max_cost_usd);
  if (covered.partitions_unknown > 0) {
    out += "; the sizes of " + std::to_string(covered.partitions_unknown) + " partitions are unknown, assumed " +
           bytes_text(settings.default_partition_bytes) + " each";
  }
  return out;
}

std::string cap_hint(const rewrite::StatementFacts& statement, const StatementEstimate& covered, const Catalog& catalog) {
  std::string out;
  bool star = false;
  for (const auto& e : covered.scans) {
    const ExternalTable* t = catalog.find_external(e.table);
    if (t == nullptr || t->partition_columns.empty() || out.find(e.table) != std::string::npos) continue;
    std::string cols;
    for (const auto& c : t->partition_columns) cols += (cols.empty() ? "" : ", ") + c;
    out += (out.empty() ? "filter on the partition columns of " : "; of ") + e.table + " (" + cols + ")";
  }
  for (const auto& scan : statement.scans) {
    star = star || (scan.select_star && std::any_of(covered.scans.begin(), covered.scans.end(), [&](const ScanEstimate& e) {
                      return e.table == scan.table.qualified();
                    }));
  }
  if (star) out += std::string(out.empty() ? "" : "; ") + "name the columns you need instead of *";
  return out.empty() ? "read fewer partitions" : out;
}

}  // namespace blueshift::policies
