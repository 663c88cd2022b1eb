// How Spectrum scans are priced (the `policies.cost:` section): price, billing rules,
// where partition sizes come from, and how each table's files store columns. Plain values,
// parsed with the policy set (policy_set.cc) and used by scan_estimate.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace blueshift::policies {

inline constexpr int64_t kMiB = int64_t{1} << 20;
inline constexpr int64_t kTiB = int64_t{1} << 40;

// Per table: how its files store columns.
struct TableCost {
  enum class Format {
    Auto,      // columnar when the catalog's input_format names Parquet or ORC, else text
    Text,      // CSV, JSON, ...: every byte of every row is read, whatever columns are used
    Columnar,  // Parquet, ORC: only the columns read
  } format = Format::Auto;
  // Columnar: the share of the bytes each column holds (0..1). Columns not listed share
  // what is left equally; with none listed, every column holds an equal share.
  std::map<std::string, double> column_fractions;
};

// Reconcile (policies/reconcile.h): where the warehouse says what statements really
// scanned, how often to compare, and where to record estimate beside actual.
struct ReconcileSettings {
  std::string view;                            // "" = off; svl_s3query_summary on Redshift
  std::string table = "blueshift_reconcile";   // created if missing, over the service connection
  int64_t interval_seconds = 60;
  int64_t slack_seconds = 2;       // how far the proxy's and the warehouse's clocks may differ
  int64_t max_wait_seconds = 900;  // an estimate the view has not matched by then is dropped
};

struct CostSettings {
  double usd_per_tb = 5.0;                 // Spectrum's price (more in some regions); TB = 2^40 bytes
  int64_t min_billed_bytes = 10 * kMiB;    // per query, when it reads anything
  int64_t round_to_bytes = kMiB;           // bytes are billed rounded up to this
  // A partition whose size the statistics do not know is assumed this big (stated as an
  // assumption in every estimate that uses it, never taken as zero).
  int64_t default_partition_bytes = 128 * kMiB;
  std::map<std::string, TableCost> tables;  // by "schema.name"
  // Where partition sizes come from: a file (partition_sizes.h) or the warehouse's own
  // view of its files (the dev warehouse's blueshift_external_partition_files), not both.
  // Neither: every partition is priced at default_partition_bytes.
  std::string sizes_file;
  bool sizes_from_warehouse = false;
  ReconcileSettings reconcile;
};

}  // namespace blueshift::policies
