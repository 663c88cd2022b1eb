#include "policies/governed_table.h"

#include <algorithm>
#include <map>

namespace blueshift::policies {

std::optional<GovernedTable> find_governed(const PolicySet& policy, const Catalog& catalog, std::string_view schema,
                                           std::string_view name) {
  const std::string qualified = std::string(schema) + "." + std::string(name);
  const ExternalTable* ext = catalog.find_external(qualified);
  for (const auto& decl : policy.tables) {
    if (decl.schema != schema || decl.name != name) continue;
    GovernedTable t{decl.schema, decl.name, decl.partition_columns, ext};
    if (t.partition_columns.empty() && ext) t.partition_columns = ext->partition_columns;
    return t;
  }
  if (policy.catalog_tables && ext) return GovernedTable{ext->schema, ext->name, ext->partition_columns, ext};
  return std::nullopt;
}

std::vector<GovernedTable> governed_tables(const PolicySet& policy, const Catalog& catalog) {
  std::map<std::string, GovernedTable> all;
  for (const auto& decl : policy.tables) {
    if (auto t = find_governed(policy, catalog, decl.schema, decl.name)) all.emplace(t->qualified(), *t);
  }
  if (policy.catalog_tables) {
    for (const auto& [key, ext] : catalog.external) {
      if (all.count(key)) continue;
      if (auto t = find_governed(policy, catalog, ext.schema, ext.name)) all.emplace(key, *t);
    }
  }
  std::vector<GovernedTable> out;
  out.reserve(all.size());
  for (auto& [key, t] : all) out.push_back(std::move(t));
  return out;
}

bool rule_covers(const Rule& rule, const GovernedTable& table) { return rule_covers(rule, table.qualified()); }

bool rule_covers(const Rule& rule, std::string_view qualified) {
  if (!rule.is_table_rule()) return false;
  if (rule.tables.empty()) return true;
  return std::any_of(rule.tables.begin(), rule.tables.end(),
                     [&](const std::string& p) { return glob_match(p, qualified); });
}

bool rule_may_cover_name(const Rule& rule, std::string_view name) {
  if (!rule.is_table_rule()) return false;
  if (rule.tables.empty()) return true;
  // Each glob is schema.table with one dot (policy_set.cc): match its table part alone.
  return std::any_of(rule.tables.begin(), rule.tables.end(), [&](const std::string& p) {
    const auto dot = p.find('.');
    return dot != std::string::npos && glob_match(std::string_view(p).substr(dot + 1), name);
  });
}

}  // namespace blueshift::policies
