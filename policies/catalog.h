// What the warehouse says about its tables and users, as one immutable snapshot:
// external tables with their partition columns and partitions (svv_external_*), every
// user relation with its columns (pg_catalog, to resolve unqualified names through
// search_path), and group membership per user. Loaded over libpq by catalog_loader.h, or
// built by hand in tests. Names are lower case, as Redshift folds identifiers.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace blueshift::policies {

struct ExternalTable {
  std::string schema;
  std::string name;
  std::vector<std::string> columns;            // in column order
  std::vector<std::string> partition_columns;  // in part_key order
  // One entry per partition: its values, in partition_columns order.
  std::vector<std::vector<std::string>> partitions;
  // Where each partition's files are (svv_external_partitions.location), in the order of
  // `partitions`; empty when not loaded (tables built by hand). Pricing looks sizes up by it.
  std::vector<std::string> partition_locations;
  std::string location;      // the table's own (svv_external_tables.location)
  std::string input_format;  // svv_external_tables.input_format: says whether it is columnar
  [[nodiscard]] std::string qualified() const { return schema + "." + name; }
};

struct Catalog {
  // False when there is no catalog connection or it has never loaded: partitions, groups
  // and the relation list are then unknown rather than empty.
  bool loaded = false;
  // A catalog is configured but has not loaded yet: any table may be an external one the
  // catalog would list (see Governor::catalog_ready for how governed scopes fail closed).
  bool pending = false;
  std::map<std::string, ExternalTable> external;                 // by "schema.name"
  std::map<std::string, std::set<std::string>> relations;        // schema -> relation names
  std::set<std::string> schemas;  // every schema, also those without relations (for "$user")
  std::map<std::string, std::vector<std::string>> columns;       // "schema.name" -> columns
  std::map<std::string, std::vector<std::string>> user_groups;   // user -> groups (direct and inherited)
  // search_path defaults set by ALTER ROLE/DATABASE ... SET search_path (PostgreSQL's
  // pg_db_role_setting, Redshift's pg_user.useconfig), by (database, role); "" = any.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> search_path_defaults;

  [[nodiscard]] bool relation_exists(std::string_view schema, std::string_view name) const;
  [[nodiscard]] const std::vector<std::string>* columns_of(std::string_view schema, std::string_view name) const;
  [[nodiscard]] const ExternalTable* find_external(std::string_view qualified) const;
  // The search_path a new session of `role` on `database` starts with, as the server picks
  // it (role in database, then role, then database); null when none is set.
  [[nodiscard]] const std::vector<std::string>* default_search_path(const std::string& database,
                                                                    const std::string& role) const;
  // Adds an external table and registers it as a relation with its columns.
  void add_external(ExternalTable table);
};

}  // namespace blueshift::policies
