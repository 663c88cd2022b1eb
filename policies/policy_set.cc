#include "policies/policy_set.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <stdexcept>
#include <utility>

namespace blueshift::policies {
namespace {

using rewrite::StatementKind;

struct KindName {
  const char* name;
  StatementKind kind;
};
constexpr std::array<KindName, 21> kKindNames = {{
    {"select", StatementKind::Select},
    {"insert", StatementKind::Insert},
    {"update", StatementKind::Update},
    {"delete", StatementKind::Delete},
    {"merge", StatementKind::Merge},
    {"copy", StatementKind::Copy},
    {"unload", StatementKind::Unload},
    {"create_table_as", StatementKind::CreateTableAs},
    {"create_table", StatementKind::CreateTable},
    {"create_external", StatementKind::CreateExternal},
    {"drop", StatementKind::Drop},
    {"truncate", StatementKind::Truncate},
    {"alter", StatementKind::Alter},
    {"other_ddl", StatementKind::OtherDdl},
    {"explain", StatementKind::Explain},
    {"transaction", StatementKind::Transaction},
    {"set", StatementKind::Set},
    {"show", StatementKind::Show},
    {"utility", StatementKind::Utility},
    {"other", StatementKind::Other},
    {"unparsed", StatementKind::Unparsed},
}};

// Shorthands an operator reaches for first; each expands to the kinds it covers.
struct KindAlias {
  const char* name;
  std::vector<StatementKind> kinds;
};
const std::vector<KindAlias>& kind_aliases() {
  static const std::vector<KindAlias> aliases = {
      {"create", {StatementKind::CreateTable, StatementKind::CreateTableAs, StatementKind::CreateExternal}},
      {"ddl",
       {StatementKind::CreateTable, StatementKind::CreateTableAs, StatementKind::CreateExternal,
        StatementKind::Drop, StatementKind::Truncate, StatementKind::Alter, StatementKind::OtherDdl}},
      {"write",
       {StatementKind::Insert, StatementKind::Update, StatementKind::Delete, StatementKind::Merge,
        StatementKind::Copy}},
  };
  return aliases;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

[[noreturn]] void fail(const std::string& path, const YAML::Node& node, const std::string& what) {
  std::string where = path;
  if (node.IsDefined() && node.Mark().line >= 0) {
    where += " (line " + std::to_string(node.Mark().line + 1) + ", column " +
             std::to_string(node.Mark().column + 1) + ")";
  }
  throw std::runtime_error(where + ": " + what);
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "\"" + node.Scalar() + "\"";
    default: return "an undefined value";
  }
}

void check_keys(const YAML::Node& map, const std::string& path, const std::vector<std::string>& allowed) {
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail(path + "." + key, kv.first, "unknown key (allowed here: " + list + ")");
    }
  }
}

std::string scalar(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar() || node.Scalar().empty()) fail(path, node, "expected a non-empty string, got " + describe_node(node));
  return node.Scalar();
}

bool boolean(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    const std::string v = lower(node.Scalar());
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
  }
  fail(path, node, "expected true or false, got " + describe_node(node));
}

// A list of strings; a single string is accepted as a list of one.
std::vector<std::string> string_list(const YAML::Node& node, const std::string& path) {
  std::vector<std::string> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (node.IsScalar()) {
    out.push_back(scalar(node, path));
    return out;
  }
  if (!node.IsSequence()) fail(path, node, "expected a list of strings, got " + describe_node(node));
  for (size_t i = 0; i < node.size(); ++i) out.push_back(scalar(node[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

// "schema.table" with exactly one dot and both parts non-empty; globs allowed.
std::pair<std::string, std::string> split_table(const std::string& text, const YAML::Node& node,
                                                const std::string& path, bool allow_glob) {
  const auto dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size() || text.find('.', dot + 1) != std::string::npos) {
    fail(path, node, "expected schema.table" + std::string(allow_glob ? " (globs allowed, e.g. spectrum_schema.*)" : "") +
                         ", got \"" + text + "\"");
  }
  if (!allow_glob && text.find_first_of("*?") != std::string::npos) {
    fail(path, node, "a declared table is one table, not a pattern: \"" + text + "\"");
  }
  return {lower(text.substr(0, dot)), lower(text.substr(dot + 1))};
}

// CIDR networks, IPv4 or IPv6 ("10.0.0.0/8", "fd00::/8", "192.0.2.7").
std::vector<Cidr> network_list(const YAML::Node& node, const std::string& path) {
  std::vector<Cidr> out;
  const auto texts = string_list(node, path);
  for (size_t i = 0; i < texts.size(); ++i) {
    auto cidr = parse_cidr(texts[i]);
    if (!cidr) {
      const bool listed = node.IsSequence();  // else one string, a list of one
      fail(listed ? path + "[" + std::to_string(i) + "]" : path, listed ? node[i] : node,
           "expected an IPv4 or IPv6 network such as 10.0.0.0/8 or fd00::/8, got \"" + texts[i] + "\"");
    }
    out.push_back(std::move(*cidr));
  }
  return out;
}

Scope parse_scope(const YAML::Node& node, const std::string& path) {
  Scope scope;
  if (!node.IsDefined() || node.IsNull()) return scope;
  if (!node.IsMap())
    fail(path, node, "expected a map with users, groups, applications, databases, client_addresses; got " +
                         describe_node(node));
  check_keys(node, path, {"users", "groups", "applications", "databases", "client_addresses"});
  scope.users = string_list(node["users"], path + ".users");
  scope.groups = string_list(node["groups"], path + ".groups");
  scope.applications = string_list(node["applications"], path + ".applications");
  scope.databases = string_list(node["databases"], path + ".databases");
  scope.client_addresses = network_list(node["client_addresses"], path + ".client_addresses");
  return scope;
}

RuleType parse_type(const YAML::Node& node, const std::string& path) {
  constexpr const char* kTypes =
      "require_partition_filter, max_partitions, deny_select_star, deny_statements, max_scan_bytes, max_cost_usd";
  if (!node.IsDefined()) fail(path, node, std::string("missing (one of ") + kTypes + ")");
  const std::string v = scalar(node, path);
  for (RuleType t : {RuleType::RequirePartitionFilter, RuleType::MaxPartitions, RuleType::DenySelectStar,
                     RuleType::DenyStatements, RuleType::MaxScanBytes, RuleType::MaxCostUsd}) {
    if (v == to_string(t)) return t;
  }
  fail(path, node, std::string("expected one of ") + kTypes + "; got \"" + v + "\"");
}

Mode parse_mode(const YAML::Node& node, const std::string& path) {
  if (!node.IsDefined()) return Mode::Enforce;
  const std::string v = scalar(node, path);
  for (Mode m : {Mode::Enforce, Mode::Warn, Mode::Audit}) {
    if (v == to_string(m)) return m;
  }
  fail(path, node, "expected one of enforce, warn, audit; got \"" + v + "\"");
}

void add_kinds(const std::string& name, const YAML::Node& node, const std::string& path,
               std::vector<StatementKind>* out) {
  const std::string v = lower(name);
  auto add = [out](StatementKind k) {
    if (std::find(out->begin(), out->end(), k) == out->end()) out->push_back(k);
  };
  for (const auto& kn : kKindNames) {
    if (v == kn.name) return add(kn.kind);
  }
  for (const auto& alias : kind_aliases()) {
    if (v == alias.name) {
      for (auto k : alias.kinds) add(k);
      return;
    }
  }
  std::string list;
  for (const auto& kn : kKindNames) list += std::string(list.empty() ? "" : ", ") + kn.name;
  for (const auto& alias : kind_aliases()) list += std::string(", ") + alias.name;
  fail(path, node, "unknown statement kind \"" + name + "\" (known: " + list + ")");
}

// A number > 0 (a cap), or a clear error saying what it is.
double positive_number(const YAML::Node& node, const std::string& path, const std::string& what) {
  if (!node.IsDefined()) fail(path, node, "missing: the most " + what);
  double v = 0;
  try {
    v = node.as<double>();
  } catch (const YAML::Exception&) {
    fail(path, node, "expected a number, got " + describe_node(node));
  }
  if (!(v > 0) || v > 9e18) fail(path, node, "must be a number above 0, got " + describe_node(node));
  return v;
}

// A table or view name the reconcile job puts in its SQL: [schema.]name, plain words only.
std::string sql_name(const YAML::Node& node, const std::string& path) {
  const std::string name = scalar(node, path);
  const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
  if (!plain) fail(path, node, "expected a [schema.]name of letters, digits and _, got \"" + name + "\"");
  return name;
}

// `cost.reconcile:` (cost_settings.h, ReconcileSettings).
ReconcileSettings parse_reconcile(const YAML::Node& node, const std::string& path) {
  ReconcileSettings r;
  if (!node.IsDefined() || node.IsNull()) return r;
  if (!node.IsMap()) fail(path, node, "expected a map, got " + describe_node(node));
  check_keys(node, path, {"view", "table", "interval_seconds", "slack_seconds", "max_wait_seconds"});
  r.view = sql_name(node["view"], path + ".view");
  if (node["table"].IsDefined()) r.table = sql_name(node["table"], path + ".table");
  const auto seconds = [&](const char* key, int64_t* out) {
    if (node[key].IsDefined()) *out = static_cast<int64_t>(positive_number(node[key], path + "." + key, "seconds"));
  };
  seconds("interval_seconds", &r.interval_seconds);
  seconds("slack_seconds", &r.slack_seconds);
  seconds("max_wait_seconds", &r.max_wait_seconds);
  return r;
}

// `cost:` (cost_settings.h).
CostSettings parse_cost(const YAML::Node& node, const std::string& path) {
  CostSettings c;
  if (!node.IsDefined() || node.IsNull()) return c;
  if (!node.IsMap()) fail(path, node, "expected a map, got " + describe_node(node));
  check_keys(node, path, {"price_per_tb_usd", "min_billed_mb", "default_partition_mb", "sizes_file",
                          "sizes_from_warehouse", "tables", "reconcile"});
  c.reconcile = parse_reconcile(node["reconcile"], path + ".reconcile");
  if (node["price_per_tb_usd"].IsDefined()) c.usd_per_tb = positive_number(node["price_per_tb_usd"], path + ".price_per_tb_usd", "dollars per TB");
  if (node["min_billed_mb"].IsDefined()) {
    c.min_billed_bytes = static_cast<int64_t>(positive_number(node["min_billed_mb"], path + ".min_billed_mb", "MB") * kMiB);
  }
  if (node["default_partition_mb"].IsDefined()) {
    c.default_partition_bytes = static_cast<int64_t>(
        positive_number(node["default_partition_mb"], path + ".default_partition_mb", "MB") * kMiB);
  }
  if (node["sizes_file"].IsDefined()) c.sizes_file = scalar(node["sizes_file"], path + ".sizes_file");
  if (node["sizes_from_warehouse"].IsDefined()) c.sizes_from_warehouse = boolean(node["sizes_from_warehouse"], path + ".sizes_from_warehouse");
  if (!c.sizes_file.empty() && c.sizes_from_warehouse) {
    fail(path + ".sizes_file", node["sizes_file"], "give sizes_file or sizes_from_warehouse, not both");
  }
  const YAML::Node tables = node["tables"];
  if (!tables.IsDefined() || tables.IsNull()) return c;
  if (!tables.IsMap()) fail(path + ".tables", tables, "expected a map of schema.table to {format, columns}, got " + describe_node(tables));
  for (const auto& kv : tables) {
    const std::string name = kv.first.as<std::string>();
    const std::string tpath = path + ".tables." + name;
    const auto [schema, table] = split_table(name, kv.first, tpath, false);
    const YAML::Node t = kv.second;
    if (!t.IsMap()) fail(tpath, t, "expected a map with format, columns, got " + describe_node(t));
    check_keys(t, tpath, {"format", "columns"});
    TableCost tc;
    if (t["format"].IsDefined()) {
      const std::string f = lower(scalar(t["format"], tpath + ".format"));
      if (f == "text") {
        tc.format = TableCost::Format::Text;
      } else if (f == "columnar") {
        tc.format = TableCost::Format::Columnar;
      } else if (f != "auto") {
        fail(tpath + ".format", t["format"], "expected one of auto, text, columnar; got \"" + f + "\"");
      }
    }
    const YAML::Node cols = t["columns"];
    if (cols.IsDefined() && !cols.IsNull()) {
      if (!cols.IsMap()) fail(tpath + ".columns", cols, "expected a map of column to fraction, got " + describe_node(cols));
      double sum = 0;
      for (const auto& col : cols) {
        const std::string cpath = tpath + ".columns." + col.first.as<std::string>();
        const double f = positive_number(col.second, cpath, "share of the table's bytes");
        if (f > 1) fail(cpath, col.second, "a column's share is at most 1, got " + describe_node(col.second));
        sum += f;
        tc.column_fractions[lower(col.first.as<std::string>())] = f;
      }
      if (sum > 1.000001) fail(tpath + ".columns", cols, "the shares add up to more than 1");
    }
    c.tables[schema + "." + table] = std::move(tc);
  }
  return c;
}

Rule parse_rule(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) fail(path, node, "expected a rule (a map with name, type, ...), got " + describe_node(node));
  Rule rule;
  rule.type = parse_type(node["type"], path + ".type");

  std::vector<std::string> allowed = {"name", "type", "mode", "scope", "exempt", "description", "enabled"};
  switch (rule.type) {
    case RuleType::RequirePartitionFilter: allowed.insert(allowed.end(), {"tables", "columns"}); break;
    case RuleType::MaxPartitions: allowed.insert(allowed.end(), {"tables", "max"}); break;
    case RuleType::DenySelectStar: allowed.insert(allowed.end(), {"tables"}); break;
    case RuleType::DenyStatements: allowed.insert(allowed.end(), {"kinds", "schemas"}); break;
    case RuleType::MaxScanBytes:
    case RuleType::MaxCostUsd: allowed.insert(allowed.end(), {"tables", "max"}); break;
  }
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    fail(path + "." + key, kv.first,
         "not a key of a " + std::string(to_string(rule.type)) + " rule (allowed: " + list + ")");
  }

  if (!node["name"].IsDefined()) fail(path + ".name", node, "missing: every rule needs a name (it appears in refusals and audit lines)");
  rule.name = scalar(node["name"], path + ".name");
  rule.mode = parse_mode(node["mode"], path + ".mode");
  rule.scope = parse_scope(node["scope"], path + ".scope");
  rule.exempt = parse_scope(node["exempt"], path + ".exempt");

  const auto tables = string_list(node["tables"], path + ".tables");
  for (size_t i = 0; i < tables.size(); ++i) {
    const auto [schema, table] = split_table(tables[i], node["tables"], path + ".tables[" + std::to_string(i) + "]", true);
    rule.tables.push_back(schema + "." + table);
  }

  switch (rule.type) {
    case RuleType::RequirePartitionFilter: {
      const YAML::Node cols = node["columns"];
      if (!cols.IsDefined() || cols.IsNull()) break;
      if (cols.IsScalar() && (lower(cols.Scalar()) == "all" || lower(cols.Scalar()) == "any")) {
        rule.columns = lower(cols.Scalar()) == "all" ? Rule::Columns::All : Rule::Columns::Any;
        break;
      }
      if (!cols.IsSequence() || cols.size() == 0) {
        fail(path + ".columns", cols, "expected all, any, or a non-empty list of partition columns; got " + describe_node(cols));
      }
      rule.columns = Rule::Columns::Listed;
      for (const auto& c : string_list(cols, path + ".columns")) rule.column_list.push_back(lower(c));
      break;
    }
    case RuleType::MaxPartitions: {
      const YAML::Node max = node["max"];
      if (!max.IsDefined()) fail(path + ".max", node, "missing: max_partitions needs max (the most partitions one scan may match)");
      int64_t v = 0;
      try {
        v = max.as<int64_t>();
      } catch (const YAML::Exception&) {
        fail(path + ".max", max, "expected a whole number, got " + describe_node(max));
      }
      if (v < 1) fail(path + ".max", max, "must be at least 1, got " + std::to_string(v));
      rule.max_partitions = v;
      break;
    }
    case RuleType::DenySelectStar: break;
    case RuleType::MaxScanBytes:
      rule.max_scan_bytes = static_cast<int64_t>(positive_number(node["max"], path + ".max", "bytes one statement may scan"));
      break;
    case RuleType::MaxCostUsd:
      rule.max_cost_usd = positive_number(node["max"], path + ".max", "dollars one statement may cost");
      break;
    case RuleType::DenyStatements: {
      const YAML::Node kinds = node["kinds"];
      if (!kinds.IsDefined() || kinds.IsNull() || (kinds.IsSequence() && kinds.size() == 0)) {
        fail(path + ".kinds", node, "missing: deny_statements needs kinds (e.g. [delete, drop, truncate, alter, create])");
      }
      const auto names = string_list(kinds, path + ".kinds");
      for (size_t i = 0; i < names.size(); ++i) {
        add_kinds(names[i], kinds.IsSequence() ? kinds[i] : kinds, path + ".kinds[" + std::to_string(i) + "]", &rule.kinds);
      }
      for (const auto& s : string_list(node["schemas"], path + ".schemas")) {
        if (s.find('.') != std::string::npos) fail(path + ".schemas", node["schemas"], "expected schema names, got \"" + s + "\"");
        rule.schemas.push_back(lower(s));
      }
      break;
    }
  }
  return rule;
}

// A size in bytes under node[key], if given (0: no limit, to the caller).
void read_bytes(const YAML::Node& node, const std::string& root, const char* key, size_t* out) {
  const YAML::Node m = node[key];
  if (!m.IsDefined()) return;
  const std::string path = root + "." + key;
  try {
    const long long v = m.as<long long>();
    if (v < 0) fail(path, m, "expected a size in bytes (0 or more), got " + describe_node(m));
    *out = static_cast<size_t>(v);
  } catch (const YAML::Exception&) {
    fail(path, m, "expected a size in bytes (0 or more), got " + describe_node(m));
  }
}

}  // namespace

Scope parse_scope_at(const YAML::Node& node, const std::string& path) { return parse_scope(node, path); }

const char* to_string(RuleType type) {
  switch (type) {
    case RuleType::RequirePartitionFilter: return "require_partition_filter";
    case RuleType::MaxPartitions: return "max_partitions";
    case RuleType::DenySelectStar: return "deny_select_star";
    case RuleType::DenyStatements: return "deny_statements";
    case RuleType::MaxScanBytes: return "max_scan_bytes";
    case RuleType::MaxCostUsd: return "max_cost_usd";
  }
  return "?";
}

const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::Enforce: return "enforce";
    case Mode::Warn: return "warn";
    case Mode::Audit: return "audit";
  }
  return "?";
}

const char* kind_name(rewrite::StatementKind kind) {
  for (const auto& kn : kKindNames) {
    if (kn.kind == kind) return kn.name;
  }
  return "other";
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative matcher with single-star backtracking: linear in practice, no recursion
  // depth to worry about for hostile application names.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

const std::vector<std::string>& default_sql_text_functions() {
  static const std::vector<std::string> names = {
      // PostgreSQL: the XML mappings of a query, cursor, table, schema or database
      "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema",
      "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema", "schema_to_xml", "schema_to_xmlschema",
      "schema_to_xml_and_xmlschema", "database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema",
      // PostgreSQL: text search statistics and rewrites over a query's rows
      "ts_stat", "ts_rewrite",
      // the dblink extension: any SQL, over a connection to this or another database
      "dblink", "dblink_exec", "dblink_open", "dblink_fetch", "dblink_send_query", "dblink_get_result"};
  return names;
}

PolicySet parse_policy_set(const YAML::Node& node) {
  PolicySet set;
  const std::string root = "policies";
  if (!node.IsDefined() || node.IsNull()) return set;
  if (!node.IsMap()) fail(root, node, "expected a map with catalog_tables, tables, rules; got " + describe_node(node));
  check_keys(node, root, {"catalog_tables", "tables", "rules", "sql_text_functions", "max_statement_bytes",
                          "analysis_cache_bytes", "cost", "budgets"});
  set.cost = parse_cost(node["cost"], root + ".cost");
  set.budgets = parse_budget_settings(node["budgets"], root + ".budgets");
  read_bytes(node, root, "max_statement_bytes", &set.max_statement_bytes);
  read_bytes(node, root, "analysis_cache_bytes", &set.analysis_cache_bytes);

  if (node["catalog_tables"].IsDefined()) set.catalog_tables = boolean(node["catalog_tables"], root + ".catalog_tables");
  if (node["sql_text_functions"].IsDefined()) {
    set.sql_text_functions.clear();
    for (const auto& f : string_list(node["sql_text_functions"], root + ".sql_text_functions")) {
      set.sql_text_functions.push_back(lower(f));
    }
  }

  const YAML::Node tables = node["tables"];
  if (tables.IsDefined() && !tables.IsNull()) {
    if (!tables.IsSequence()) fail(root + ".tables", tables, "expected a list of tables, got " + describe_node(tables));
    std::set<std::string> seen;
    for (size_t i = 0; i < tables.size(); ++i) {
      const std::string path = root + ".tables[" + std::to_string(i) + "]";
      const YAML::Node t = tables[i];
      DeclaredTable decl;
      // Never assign one YAML::Node to another: yaml-cpp's operator= overwrites the
      // node it refers to, not the handle.
      const YAML::Node name_node = t.IsMap() ? t["name"] : t;
      if (t.IsMap()) {
        check_keys(t, path, {"name", "partition_columns"});
        if (!name_node.IsDefined()) fail(path + ".name", t, "missing: the table's schema.name");
        for (const auto& c : string_list(t["partition_columns"], path + ".partition_columns")) {
          decl.partition_columns.push_back(lower(c));
        }
      }
      const std::string name = scalar(name_node, t.IsMap() ? path + ".name" : path);
      std::tie(decl.schema, decl.name) = split_table(name, name_node, t.IsMap() ? path + ".name" : path, false);
      if (!seen.insert(decl.qualified()).second) fail(path, t, "table " + decl.qualified() + " is declared twice");
      set.tables.push_back(std::move(decl));
    }
  }

  const YAML::Node rules = node["rules"];
  if (rules.IsDefined() && !rules.IsNull()) {
    if (!rules.IsSequence()) fail(root + ".rules", rules, "expected a list of rules, got " + describe_node(rules));
    std::set<std::string> names;
    for (size_t i = 0; i < rules.size(); ++i) {
      const std::string path = root + ".rules[" + std::to_string(i) + "]";
      Rule rule = parse_rule(rules[i], path);
      if (!names.insert(rule.name).second) fail(path + ".name", rules[i]["name"], "rule name \"" + rule.name + "\" is used twice");
      const YAML::Node enabled = rules[i]["enabled"];
      if (enabled.IsDefined() && !boolean(enabled, path + ".enabled")) continue;
      set.rules.push_back(std::move(rule));
    }
  }
  return set;
}

}  // namespace blueshift::policies
