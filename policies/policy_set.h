// The policy configuration as the operator wrote it (the `policies:` YAML node), parsed
// and validated into plain values. Parsing happens at start-up and on reload only, so a
// bad configuration throws std::runtime_error naming the key path and line; everything
// after that (evaluate(), the Governor) works on these immutable values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/budget_settings.h"
#include "policies/cost_settings.h"
#include "policies/networks.h"
#include "rewrite/facts.h"
#include "yaml-cpp/yaml.h"

namespace blueshift::policies {

enum class RuleType { RequirePartitionFilter, MaxPartitions, DenySelectStar, DenyStatements, MaxScanBytes, MaxCostUsd };
enum class Mode { Enforce, Warn, Audit };

[[nodiscard]] const char* to_string(RuleType type);  // as written in YAML
[[nodiscard]] const char* to_string(Mode mode);
// YAML name of a statement kind ("delete", "create_table_as", ...).
[[nodiscard]] const char* kind_name(rewrite::StatementKind kind);

// Who a rule is for. Every name entry is a glob (* and ?), matched case-sensitively, as
// PostgreSQL and Redshift compare role and database names; client_addresses are CIDR
// networks matched against the real client address (after the PROXY protocol header).
//   scope:  (users OR groups) AND applications AND databases AND client_addresses; an
//           empty list does not restrict, so an empty scope is everyone.
//   exempt: any one entry that matches exempts the session.
struct Scope {
  std::vector<std::string> users;
  std::vector<std::string> groups;
  std::vector<std::string> applications;  // application_name
  std::vector<std::string> databases;
  std::vector<Cidr> client_addresses;
  [[nodiscard]] bool empty() const {
    return users.empty() && groups.empty() && applications.empty() && databases.empty() && client_addresses.empty();
  }
};

struct Rule {
  std::string name;
  RuleType type = RuleType::RequirePartitionFilter;
  Mode mode = Mode::Enforce;
  Scope scope;
  Scope exempt;
  // Table rules: lower-case "schema.table" globs over governed tables; empty = every
  // governed table.
  std::vector<std::string> tables;
  // require_partition_filter: which partition columns must be bounded.
  enum class Columns { All, Any, Listed } columns = Columns::All;
  std::vector<std::string> column_list;  // Listed (lower case)
  // max_partitions
  int64_t max_partitions = 0;
  // max_scan_bytes, max_cost_usd: the most one statement may scan of the tables the rule
  // covers, as estimated (scan_estimate.h): bytes read, or dollars billed.
  int64_t max_scan_bytes = 0;
  double max_cost_usd = 0;
  // deny_statements: kinds refused, and the schemas (globs, lower case) whose tables the
  // statement must touch for the rule to apply; empty = any statement of those kinds.
  std::vector<rewrite::StatementKind> kinds;
  std::vector<std::string> schemas;

  [[nodiscard]] bool is_table_rule() const { return type != RuleType::DenyStatements; }
  [[nodiscard]] bool uses_groups() const { return !scope.groups.empty() || !exempt.groups.empty(); }
};

// A table declared in YAML. Partition columns, when given, override the catalog's
// part_key order; when omitted they come from the catalog.
struct DeclaredTable {
  std::string schema;  // lower case
  std::string name;    // lower case
  std::vector<std::string> partition_columns;
  [[nodiscard]] std::string qualified() const { return schema + "." + name; }
};

// Functions that run SQL text or read a table named in text (query_to_xml, dblink, ...):
// what they scan is out of the proxy's sight, so a statement calling one is refused by
// every table rule in scope, as code building SQL at run time is. PostgreSQL's own and
// dblink's; Redshift has none of them (no XML functions, no dblink).
[[nodiscard]] const std::vector<std::string>& default_sql_text_functions();

struct PolicySet {
  // Govern every external table the catalog lists (svv_external_tables).
  bool catalog_tables = false;
  // Function names (lower case, no schema) that run SQL text; `sql_text_functions:`
  // replaces the default list.
  std::vector<std::string> sql_text_functions = default_sql_text_functions();
  // A text longer than this (bytes) that may concern a rule is not analysed but treated as
  // unparsed text (fail closed): analysis costs about a microsecond a byte, on the
  // session's I/O thread. `max_statement_bytes:`, 0 for no limit.
  size_t max_statement_bytes = 1u << 20;
  // What the analysis cache may hold (texts and an estimate of their facts), in bytes;
  // `analysis_cache_bytes:`, 0 for no cache.
  size_t analysis_cache_bytes = 64u << 20;
  std::vector<DeclaredTable> tables;
  std::vector<Rule> rules;
  CostSettings cost;  // `cost:`
  BudgetSettings budgets;  // `budgets:` (policies/budget_settings.h)
  [[nodiscard]] bool empty() const { return rules.empty(); }
};

// Parses the `policies:` node. A null or missing node yields an empty set (nothing is
// governed). Throws std::runtime_error("policies.rules[2].mode: ...") on any error.
[[nodiscard]] PolicySet parse_policy_set(const YAML::Node& node);

// Parses a `scope:` map (users, groups, applications, databases, client_addresses) found at `path`, for
// other sections that scope by the same rules (e.g. upserts:). Throws like parse_policy_set.
[[nodiscard]] Scope parse_scope_at(const YAML::Node& node, const std::string& path);

// fnmatch-style glob with * and ? (no character classes), whole-string match.
[[nodiscard]] bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace blueshift::policies
