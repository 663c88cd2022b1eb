#include "policies/catalog_loader.h"

#include <libpq-fe.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "rewrite/array_value.h"
#include "rewrite/identifiers.h"

namespace blueshift::policies {

namespace catalog_sql {
const char* const kExternalTables =
    "SELECT schemaname, tablename, location, input_format FROM svv_external_tables ORDER BY 1, 2";
const char* const kExternalColumns =
    "SELECT schemaname, tablename, columnname, columnnum, part_key FROM svv_external_columns "
    "ORDER BY 1, 2, 4";
const char* const kExternalPartitions =
    "SELECT schemaname, tablename, \"values\", location FROM svv_external_partitions ORDER BY 1, 2";
const char* const kPartitionFileSizes =
    "SELECT location, sum(size_bytes)::bigint FROM blueshift_external_partition_files GROUP BY 1";
const char* const kRelations =
    "SELECT n.nspname, c.relname, a.attname "
    "FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
    "WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p') "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_internal') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' "
    "ORDER BY n.nspname, c.relname, a.attnum";
const char* const kSchemas = "SELECT nspname FROM pg_catalog.pg_namespace";
// Session defaults (ALTER ROLE/DATABASE ... SET): database, role ("" = any), settings array.
const char* const kSettingsPostgres =
    "SELECT coalesce(d.datname, ''), coalesce(r.rolname, ''), s.setconfig FROM pg_catalog.pg_db_role_setting s "
    "LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole";
const char* const kSettingsRedshift =
    "SELECT '', usename, useconfig FROM pg_catalog.pg_user WHERE useconfig IS NOT NULL";
// Recursive: a member of a role that is itself a member of analysts is an analyst too.
const char* const kGroupsPostgres =
    "WITH RECURSIVE m(member, roleid) AS ("
    "  SELECT member, roleid FROM pg_catalog.pg_auth_members"
    "  UNION"
    "  SELECT m.member, a.roleid FROM m JOIN pg_catalog.pg_auth_members a ON a.member = m.roleid) "
    "SELECT u.rolname, g.rolname FROM m "
    "JOIN pg_catalog.pg_roles u ON u.oid = m.member JOIN pg_catalog.pg_roles g ON g.oid = m.roleid "
    "ORDER BY 1, 2";
const char* const kGroupsRedshift =
    "SELECT u.usename, g.groname FROM pg_catalog.pg_group g "
    "JOIN pg_catalog.pg_user u ON u.usesysid = ANY(g.grolist) ORDER BY 1, 2";
const char* const kUsersPostgres = "SELECT rolname FROM pg_catalog.pg_roles WHERE rolcanlogin";
const char* const kUsersRedshift = "SELECT usename FROM pg_catalog.pg_user";
const char* const kUserGroupsPostgres =
    "WITH RECURSIVE m(member, roleid) AS ("
    "  SELECT member, roleid FROM pg_catalog.pg_auth_members"
    "  WHERE member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)"
    "  UNION"
    "  SELECT m.member, a.roleid FROM m JOIN pg_catalog.pg_auth_members a ON a.member = m.roleid) "
    "SELECT true, g.rolname FROM pg_catalog.pg_roles u "
    "LEFT JOIN m ON m.member = u.oid LEFT JOIN pg_catalog.pg_roles g ON g.oid = m.roleid "
    "WHERE u.rolname = $1";
const char* const kUserGroupsRedshift =
    "SELECT true, g.groname FROM pg_catalog.pg_user u "
    "LEFT JOIN pg_catalog.pg_group g ON u.usesysid = ANY(g.grolist) WHERE u.usename = $1";
// Declared primary keys and unique constraints (informational on Redshift), with every
// table, keyed or not: an unqualified name resolves to the first schema that has it.
const char* const kTableKeys =
    "SELECT n.nspname, c.relname, k.conname, a.attname "
    "FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid AND k.contype IN ('p', 'u') "
    "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (k.conkey) "
    "WHERE c.relkind IN ('r', 'p') "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_internal') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' "
    "ORDER BY n.nspname, c.relname, k.conname, a.attnum";
}  // namespace catalog_sql

namespace {

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;
using Result = std::unique_ptr<PGresult, ResultCloser>;

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

// `database`, when given, replaces the conninfo's own (libpq expands only the first
// dbname; a later one is a plain database name and wins).
absl::StatusOr<Conn> connect(const std::string& conninfo, const std::string& database = "") {
  // connect_timeout and application_name come first so the operator's conninfo (expanded
  // from dbname) overrides them.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", database.empty() ? nullptr : "dbname",
                        nullptr};
  const char* values[] = {"10", "blueshift-catalog", conninfo.c_str(), database.c_str(), nullptr};
  Conn conn(PQconnectdbParams(keys, values, 1));
  if (!conn) return absl::ResourceExhaustedError("libpq could not allocate a connection");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError("catalog connection failed: " + one_line(PQerrorMessage(conn.get())));
  }
  return conn;
}

absl::StatusOr<Result> query(PGconn* conn, const char* sql, const std::vector<std::string>& params = {}) {
  std::vector<const char*> p;
  for (const auto& s : params) p.push_back(s.c_str());
  Result r(PQexecParams(conn, sql, static_cast<int>(p.size()), nullptr, p.empty() ? nullptr : p.data(), nullptr,
                        nullptr, 0));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return absl::UnavailableError("catalog query failed (" + std::string(sql).substr(0, 60) + "...): " +
                                  one_line(PQerrorMessage(conn)));
  }
  return r;
}

std::string cell(const PGresult* r, int row, int col) {
  return PQgetisnull(r, row, col) ? std::string() : std::string(PQgetvalue(r, row, col));
}

// The search_path in a settings array as text ('{search_path=spectrum_schema,TimeZone=UTC}',
// an element quoted when it holds a comma: '{"search_path=\\"$user\\", public"}').
std::optional<std::vector<std::string>> search_path_setting(const std::string& array_text) {
  auto elements = rewrite::parse_array_text(array_text);
  if (!elements) return std::nullopt;
  for (const auto& e : *elements) {
    if (!e) continue;
    const size_t eq = e->find('=');
    if (eq != std::string::npos && rewrite::ascii_lower(e->substr(0, eq)) == "search_path") {
      return rewrite::parse_search_path(e->substr(eq + 1));
    }
  }
  return std::nullopt;
}

absl::StatusOr<bool> is_redshift(PGconn* conn) {
  auto r = query(conn, "SELECT version()");
  if (!r.ok()) return r.status();
  return cell(r->get(), 0, 0).find("Redshift") != std::string::npos;
}

}  // namespace

std::optional<std::vector<std::string>> parse_partition_values(const std::string& text) {
  if (!text.empty() && text.front() == '[') {
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& v : json) {
      if (v.is_string()) {
        out.push_back(v.get<std::string>());
      } else if (v.is_number() || v.is_boolean()) {
        out.push_back(v.dump());
      } else {
        return std::nullopt;
      }
    }
    return out;
  }
  // {2024,01} or {"a b",c}: the PostgreSQL array literal, one level.
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return std::nullopt;
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, in_quotes = false;
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '\\' && i + 2 < text.size()) {
        cur += text[++i];
      } else if (c == '"') {
        in_quotes = false;
      } else {
        cur += c;
      }
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
      quoted = false;
    } else if (quoted || (c == '"' && !cur.empty())) {
      return std::nullopt;  // text after a closing quote, or a quote inside a bare element
    } else if (c == '"') {
      in_quotes = quoted = true;
    } else {
      cur += c;
    }
  }
  if (in_quotes) return std::nullopt;
  if (!cur.empty() || quoted || !out.empty()) out.push_back(cur);
  return out;
}

absl::StatusOr<Catalog> load_catalog(const std::string& conninfo) {
  auto conn = connect(conninfo);
  if (!conn.ok()) return conn.status();
  PGconn* c = conn->get();
  const auto redshift = is_redshift(c);
  if (!redshift.ok()) return redshift.status();

  Catalog catalog;
  std::map<std::string, ExternalTable> ext;
  {
    auto r = query(c, catalog_sql::kExternalTables);
    if (!r.ok()) return r.status();
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      ExternalTable t;
      t.schema = cell(r->get(), i, 0);
      t.name = cell(r->get(), i, 1);
      t.location = cell(r->get(), i, 2);
      t.input_format = cell(r->get(), i, 3);
      ext[t.qualified()] = t;
    }
  }
  {
    auto r = query(c, catalog_sql::kExternalColumns);
    if (!r.ok()) return r.status();
    std::map<std::string, std::map<int, std::string>> part_keys;  // table -> part_key -> column
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      const std::string key = cell(r->get(), i, 0) + "." + cell(r->get(), i, 1);
      auto& t = ext[key];
      t.schema = cell(r->get(), i, 0);
      t.name = cell(r->get(), i, 1);
      const std::string column = cell(r->get(), i, 2);
      t.columns.push_back(column);
      const int part_key = std::atoi(cell(r->get(), i, 4).c_str());
      if (part_key > 0) part_keys[key][part_key] = column;
    }
    for (auto& [key, keys] : part_keys) {
      for (auto& [pos, column] : keys) ext[key].partition_columns.push_back(column);
    }
  }
  {
    auto r = query(c, catalog_sql::kExternalPartitions);
    if (!r.ok()) return r.status();
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      const std::string key = cell(r->get(), i, 0) + "." + cell(r->get(), i, 1);
      const auto it = ext.find(key);
      if (it == ext.end()) continue;
      auto values = parse_partition_values(cell(r->get(), i, 2));
      if (!values) {
        return absl::DataLossError("svv_external_partitions.values of " + key + " is not a list: " +
                                   cell(r->get(), i, 2));
      }
      it->second.partitions.push_back(std::move(*values));
      it->second.partition_locations.push_back(cell(r->get(), i, 3));
    }
  }
  {
    auto r = query(c, catalog_sql::kRelations);
    if (!r.ok()) return r.status();
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      const std::string schema = cell(r->get(), i, 0), name = cell(r->get(), i, 1);
      catalog.relations[schema].insert(name);
      auto& cols = catalog.columns[schema + "." + name];
      if (!PQgetisnull(r->get(), i, 2)) cols.push_back(cell(r->get(), i, 2));
    }
  }
  {
    auto r = query(c, catalog_sql::kSchemas);
    if (!r.ok()) return r.status();
    for (int i = 0; i < PQntuples(r->get()); ++i) catalog.schemas.insert(cell(r->get(), i, 0));
  }
  {
    auto r = query(c, *redshift ? catalog_sql::kSettingsRedshift : catalog_sql::kSettingsPostgres);
    if (!r.ok()) return r.status();
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      if (auto path = search_path_setting(cell(r->get(), i, 2))) {
        catalog.search_path_defaults[{cell(r->get(), i, 0), cell(r->get(), i, 1)}] = std::move(*path);
      }
    }
  }
  {
    auto users = query(c, *redshift ? catalog_sql::kUsersRedshift : catalog_sql::kUsersPostgres);
    if (!users.ok()) return users.status();
    for (int i = 0; i < PQntuples(users->get()); ++i) catalog.user_groups[cell(users->get(), i, 0)];
    auto r = query(c, *redshift ? catalog_sql::kGroupsRedshift : catalog_sql::kGroupsPostgres);
    if (!r.ok()) return r.status();
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      catalog.user_groups[cell(r->get(), i, 0)].push_back(cell(r->get(), i, 1));
    }
  }
  for (auto& [key, t] : ext) catalog.add_external(std::move(t));
  catalog.loaded = true;
  return catalog;
}

absl::StatusOr<PartitionSizes> load_partition_file_sizes(const std::string& conninfo) {
  auto conn = connect(conninfo);
  if (!conn.ok()) return conn.status();
  auto r = query(conn->get(), catalog_sql::kPartitionFileSizes);
  if (!r.ok()) return r.status();
  PartitionSizes sizes;
  for (int i = 0; i < PQntuples(r->get()); ++i) {
    if (PQgetisnull(r->get(), i, 1)) continue;  // a file that could not be measured: unknown
    sizes.add(cell(r->get(), i, 0), std::strtoll(PQgetvalue(r->get(), i, 1), nullptr, 10));
  }
  return sizes;
}

absl::StatusOr<std::optional<std::vector<std::string>>> load_user_groups(const std::string& conninfo,
                                                                        const std::string& user) {
  auto conn = connect(conninfo);
  if (!conn.ok()) return conn.status();
  const auto redshift = is_redshift(conn->get());
  if (!redshift.ok()) return redshift.status();
  auto r = query(conn->get(), *redshift ? catalog_sql::kUserGroupsRedshift : catalog_sql::kUserGroupsPostgres, {user});
  if (!r.ok()) return r.status();
  if (PQntuples(r->get()) == 0) return std::optional<std::vector<std::string>>();
  std::vector<std::string> groups;
  for (int i = 0; i < PQntuples(r->get()); ++i) {
    if (!PQgetisnull(r->get(), i, 1)) groups.push_back(cell(r->get(), i, 1));
  }
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  return std::optional<std::vector<std::string>>(std::move(groups));
}

absl::StatusOr<TableKeys> load_table_keys(const std::string& conninfo, const std::string& database) {
  auto conn = connect(conninfo, database);
  if (!conn.ok()) return conn.status();
  auto r = query(conn->get(), catalog_sql::kTableKeys);
  if (!r.ok()) return r.status();
  TableKeys out;
  for (int i = 0; i < PQntuples(r->get()); ++i) {
    auto& keys = out.tables[cell(r->get(), i, 0) + "." + cell(r->get(), i, 1)];
    if (PQgetisnull(r->get(), i, 2) || PQgetisnull(r->get(), i, 3)) continue;  // a table without keys
    const std::string name = cell(r->get(), i, 2);
    if (keys.empty() || keys.back().name != name) keys.push_back(rewrite::UpsertKey{name, {}});
    keys.back().columns.push_back(cell(r->get(), i, 3));
  }
  return out;
}

}  // namespace blueshift::policies

namespace blueshift::policies {

absl::StatusOr<std::optional<std::string>> load_one_value(const std::string& conninfo, const std::string& sql) {
  auto conn = connect(conninfo);
  if (!conn.ok()) return conn.status();
  auto r = query(conn->get(), sql.c_str());
  if (!r.ok()) return r.status();
  if (PQntuples(r->get()) == 0 || PQnfields(r->get()) == 0 || PQgetisnull(r->get(), 0, 0)) return std::nullopt;
  return cell(r->get(), 0, 0);
}

}  // namespace blueshift::policies
