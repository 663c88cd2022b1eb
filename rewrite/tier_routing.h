// Tier routing: scans of a local table served from the tier that holds the dates asked for.
//
// A tier pair is a local table holding a suffix of the history (every row dated from its
// split day on) and an external twin holding all of it (the ELT design: recent months
// loaded with COPY, the whole history in S3 behind Spectrum). Per scan of the local table,
// from the days its date filter lets through (rewrite/date_bounds.h):
//   every day from the split on      -> left as written (the statement may go byte for byte);
//   every day before the split       -> the external table, with partition predicates;
//   both, or no bound                -> (external before the split UNION ALL local from it),
// spliced at the table reference under the same alias (the table's name when it had none),
// selecting the local table's columns in its order, so `SELECT *`, qualified columns,
// joins and aggregates keep their meaning and no row is lost or counted twice. The
// client's own predicates stay in the statement: the proxy's bounds only choose tiers.
// Only reads change (rewrite/partition_filters.h, reads_only); writes never.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rewrite/partition_filters.h"

namespace blueshift::rewrite {

// Which tier serves a local table's scans: chosen from the dates (Auto), or forced.
enum class Tier : uint8_t { Auto, Local, External };
// "auto", "local", "external" (any case); nullopt for anything else.
[[nodiscard]] std::optional<Tier> parse_tier(std::string_view word);
[[nodiscard]] const char* to_string(Tier tier);

struct TierPair {
  std::string local_schema, local_name;        // folded
  std::string external_schema, external_name;  // folded
  std::string date_column;                     // the local table's, folded
  std::vector<std::string> columns;            // the local table's columns, in its order
  std::map<std::string, std::string> external_columns;  // local -> external name, where they differ
  PartitionScheme partitions;                  // the external table's (empty: no partition predicates)
  [[nodiscard]] std::string local() const { return local_schema + "." + local_name; }
  [[nodiscard]] std::string external() const { return external_schema + "." + external_name; }
  // The external table's name for a local column.
  [[nodiscard]] const std::string& external_column(const std::string& local) const;
};

// The pair whose local table a scan reads, or null.
using TierLookup = std::function<const TierPair*(std::string_view schema, std::string_view name)>;
// The first day the local table holds for sure; nullopt when not known (a watermark not
// read yet, failed or stale): then every scan reads the external table, never less.
using SplitSource = std::function<std::optional<absl::CivilDay>(const TierPair&)>;

struct TierOptions {
  PartitionFilterOptions filters;  // clock, search_path certainty
  Tier tier = Tier::Auto;          // the session's (SET blueshift.tier, a tier rule); a comment overrides
  SplitSource split;
};

// The tier a `/* blueshift:tier=external|local|auto */` comment in sql asks for, nullopt
// when there is none (or the text does not scan). Only comments count, never strings.
[[nodiscard]] std::optional<Tier> tier_comment(const std::string& sql);

// What happened to one scan of a local table, for the audit line.
struct TierRoute {
  const TierPair* pair = nullptr;
  enum class Served : uint8_t { Local, External, Both } served = Served::Local;
  DateInterval interval;                  // the days the scan's filter lets through
  std::optional<absl::CivilDay> split;    // nullopt: unknown
  std::string partition_predicate;        // on the external part, "" if none
  [[nodiscard]] std::string text() const;  // one line, e.g. "public.sales_fact: ... -> external ..."
};

// sql with every scan of a paired local table served from its tiers, and partition
// predicates added to external scans (add_partition_filters); nullopt when the text runs
// as written. *routes (if given) receives every tier decision, also those that change
// nothing (all local), for the audit trail.
[[nodiscard]] std::optional<RoutedText> route_tiers(std::string_view sql, const QueryFacts& facts,
                                                    const TierLookup& tiers, const DatePartitionedLookup& external,
                                                    const TierOptions& options, std::vector<TierRoute>* routes = nullptr);

}  // namespace blueshift::rewrite
