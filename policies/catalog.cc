#include "policies/catalog.h"

namespace blueshift::policies {

bool Catalog::relation_exists(std::string_view schema, std::string_view name) const {
  const auto it = relations.find(std::string(schema));
  return it != relations.end() && it->second.count(std::string(name)) > 0;
}

const std::vector<std::string>* Catalog::columns_of(std::string_view schema, std::string_view name) const {
  std::string key(schema);
  key += '.';
  key += name;
  const auto it = columns.find(key);
  return it == columns.end() ? nullptr : &it->second;
}

const ExternalTable* Catalog::find_external(std::string_view qualified) const {
  const auto it = external.find(std::string(qualified));
  return it == external.end() ? nullptr : &it->second;
}

const std::vector<std::string>* Catalog::default_search_path(const std::string& database,
                                                              const std::string& role) const {
  if (search_path_defaults.empty()) return nullptr;  // the common case: no copies of the names
  for (const auto& key : {std::pair{database, role}, std::pair{std::string(), role}, std::pair{database, std::string()}}) {
    if (const auto it = search_path_defaults.find(key); it != search_path_defaults.end()) return &it->second;
  }
  return nullptr;
}

void Catalog::add_external(ExternalTable table) {
  schemas.insert(table.schema);
  relations[table.schema].insert(table.name);
  columns[table.qualified()] = table.columns;
  std::string key = table.qualified();
  external[key] = std::move(table);
}

}  // namespace blueshift::policies
