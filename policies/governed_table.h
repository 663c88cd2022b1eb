// Which tables policies govern: those declared under policies.tables plus, with
// catalog_tables: true, every external table of the catalog. A governed table's partition
// columns come from YAML when declared there, else from the catalog's part_key order;
// its partitions are known only when the catalog lists it as an external table.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/catalog.h"
#include "policies/policy_set.h"

namespace blueshift::policies {

struct GovernedTable {
  std::string schema;
  std::string name;
  std::vector<std::string> partition_columns;
  const ExternalTable* external = nullptr;  // points into the Catalog; null = partitions unknown
  [[nodiscard]] std::string qualified() const { return schema + "." + name; }
};

[[nodiscard]] std::optional<GovernedTable> find_governed(const PolicySet& policy, const Catalog& catalog,
                                                         std::string_view schema, std::string_view name);
// Every governed table, sorted by qualified name.
[[nodiscard]] std::vector<GovernedTable> governed_tables(const PolicySet& policy, const Catalog& catalog);

// Whether a table rule covers this table (its `tables` globs, or every governed table).
[[nodiscard]] bool rule_covers(const Rule& rule, const GovernedTable& table);
// The same for the table's qualified() name, for callers that test several rules on one
// table and need not spell its name for each.
[[nodiscard]] bool rule_covers(const Rule& rule, std::string_view qualified);
// Whether a table rule may cover a table of this name in some schema (an unqualified name
// whose schema is unknown).
[[nodiscard]] bool rule_may_cover_name(const Rule& rule, std::string_view name);

}  // namespace blueshift::policies
