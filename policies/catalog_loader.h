// Reads a Catalog from the warehouse over a libpq service connection (blocking: call it
// at start-up, from reload, or from a timer thread, never from a session's I/O thread).
//
// External tables come from Redshift's svv_external_tables / svv_external_columns
// (part_key gives partition column order) / svv_external_partitions ("values" is a JSON
// array such as ["2024","01"], in part_key order); the dev warehouse exposes the same
// views. Relations and columns come from pg_catalog, which both Redshift and PostgreSQL
// have. Group membership: PostgreSQL's pg_auth_members (recursively, so a role inherited
// through another counts), Redshift's pg_group.grolist; chosen by version().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "policies/catalog.h"
#include "policies/partition_sizes.h"
#include "rewrite/upsert_plan.h"

namespace blueshift::policies {

// The SQL each step runs, exposed so the report and tests can show what is asked.
namespace catalog_sql {
extern const char* const kExternalColumns;
extern const char* const kExternalTables;
extern const char* const kExternalPartitions;
extern const char* const kPartitionFileSizes;
extern const char* const kRelations;
extern const char* const kGroupsPostgres;
extern const char* const kGroupsRedshift;
extern const char* const kUsersPostgres;
extern const char* const kUsersRedshift;
extern const char* const kUserGroupsPostgres;  // $1 = user name
extern const char* const kUserGroupsRedshift;  // $1 = user name
extern const char* const kTableKeys;
}  // namespace catalog_sql

[[nodiscard]] absl::StatusOr<Catalog> load_catalog(const std::string& conninfo);

// The partitions' file sizes as the warehouse reports them: the dev warehouse's
// blueshift_external_partition_files (Redshift has no such view; use a sizes file there).
[[nodiscard]] absl::StatusOr<PartitionSizes> load_partition_file_sizes(const std::string& conninfo);

// Groups of one user, for a user who logged in after the last catalog load. nullopt when
// the warehouse has no such user.
[[nodiscard]] absl::StatusOr<std::optional<std::vector<std::string>>> load_user_groups(const std::string& conninfo,
                                                                                      const std::string& user);

// The declared keys of one database's tables, for staged upserts without a conflict target
// (rewrite/upsert_plan.h): "schema.name" of every table -> its primary key and unique
// constraints (none declared: empty).
struct TableKeys {
  std::map<std::string, std::vector<rewrite::UpsertKey>> tables;
};
// Reads them from `database` (the conninfo's own when empty) with the catalog's conninfo.
[[nodiscard]] absl::StatusOr<TableKeys> load_table_keys(const std::string& conninfo, const std::string& database);

// The first column of the first row `sql` returns on the catalog's connection (nullopt:
// no row, or NULL), e.g. a tier's watermark (proxy/tier_splits.h).
[[nodiscard]] absl::StatusOr<std::optional<std::string>> load_one_value(const std::string& conninfo,
                                                                        const std::string& sql);

// Parses svv_external_partitions.values: a JSON array of strings (Redshift), or a
// PostgreSQL array literal {2024,01} as a fallback.
[[nodiscard]] std::optional<std::vector<std::string>> parse_partition_values(const std::string& text);

}  // namespace blueshift::policies
