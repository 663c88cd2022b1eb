// The tier part of the `routing:` section: pairs of a local table and its external twin
// (rewrite/tier_routing.h), where each local table's data begins, and the rules that send
// a scope's scans to one tier.
//
//   tiers:
//     - local: public.sales_fact
//       external: spectrum_schema.sales
//       date_column: sale_date
//       columns: [sale_id, customer_id, amount, sale_date]   # the local table's, in its order
//       external_columns: {amount: amt}                      # where the twin's names differ
//       local_from: {watermark: "SELECT min(sale_date) FROM public.sales_fact",
//                    refresh_seconds: 60, max_age_seconds: 300}
//       # or local_from: {date: 2024-10-01}, or {days: 90} / {months: 3} back from today
//   tier_rules:
//     - {name: adhoc-to-lake, scope: {applications: ["psql*"]}, tier: external}
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policies/policy_set.h"
#include "rewrite/tier_routing.h"
#include "yaml-cpp/yaml.h"

namespace blueshift::proxy {

// Where a local table's data begins (its split day).
struct LocalFrom {
  enum class Kind : uint8_t { Date, DaysBack, MonthsBack, Watermark } kind = Kind::Date;
  absl::CivilDay date;             // Date
  int count = 0;                   // DaysBack, MonthsBack
  std::string query;               // Watermark: one row, one date (the local table's first day)
  int refresh_seconds = 60;        // Watermark: how often it is read
  int max_age_seconds = 300;       // Watermark: older than this, it is not trusted (all external)
};

struct TierSettings {
  rewrite::TierPair pair;
  LocalFrom from;
};

struct TierRule {
  std::string name;
  policies::Scope scope;
  rewrite::Tier tier = rewrite::Tier::Auto;
};

// `routing.tiers` (a list), with the external tables' partition schemes already read
// (external_tables): a twin configured there gets partition predicates. Throws
// std::runtime_error naming the key at fault.
[[nodiscard]] std::vector<TierSettings> parse_tiers(const YAML::Node& node,
                                                    const std::vector<rewrite::DatePartitionedTable>& external_tables);
[[nodiscard]] std::vector<TierRule> parse_tier_rules(const YAML::Node& node);

// Shared with routing_settings.cc. Throws std::runtime_error "config: routing.<key>: <what>".
[[noreturn]] void routing_error(const std::string& key, const std::string& what);
// A non-empty scalar, folded to lower case; throws naming key otherwise.
[[nodiscard]] std::string routing_name(const YAML::Node& node, const std::string& key);
// "schema.table" (folded already) into its parts; throws naming key otherwise.
void split_qualified(const std::string& name, const std::string& key, std::string* schema, std::string* table);

}  // namespace blueshift::proxy
