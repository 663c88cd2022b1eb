#include "proxy/tier_settings.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "absl/strings/numbers.h"
#include "rewrite/identifiers.h"

namespace blueshift::proxy {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& what) { routing_error(key, what); }
std::string name_at(const YAML::Node& node, const std::string& key) { return routing_name(node, key); }

void only_keys(const YAML::Node& node, const std::string& key, const std::set<std::string>& allowed) {
  if (!node.IsMap()) fail(key, "must be a mapping");
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    if (allowed.count(k) == 0) fail(key + "." + k, "unknown key");
  }
}

int positive_at(const YAML::Node& node, const std::string& key, int fallback) {
  if (!node.IsDefined()) return fallback;
  int v = 0;
  if (!node.IsScalar() || !absl::SimpleAtoi(node.as<std::string>(), &v) || v <= 0) fail(key, "expected a positive integer");
  return v;
}

absl::CivilDay day_at(const YAML::Node& node, const std::string& key) {
  absl::CivilDay day;
  if (!node.IsScalar() || !absl::ParseCivilTime(node.as<std::string>(), &day)) fail(key, "expected a date YYYY-MM-DD");
  return day;
}

LocalFrom parse_local_from(const YAML::Node& node, const std::string& key) {
  only_keys(node, key, {"date", "days", "months", "watermark", "refresh_seconds", "max_age_seconds"});
  LocalFrom f;
  int kinds = 0;
  if (node["date"]) kinds++, f.kind = LocalFrom::Kind::Date, f.date = day_at(node["date"], key + ".date");
  if (node["days"]) kinds++, f.kind = LocalFrom::Kind::DaysBack, f.count = positive_at(node["days"], key + ".days", 0);
  if (node["months"])
    kinds++, f.kind = LocalFrom::Kind::MonthsBack, f.count = positive_at(node["months"], key + ".months", 0);
  if (node["watermark"]) {
    kinds++;
    f.kind = LocalFrom::Kind::Watermark;
    if (!node["watermark"].IsScalar() || node["watermark"].as<std::string>().empty())
      fail(key + ".watermark", "expected a query returning the local table's first date");
    f.query = node["watermark"].as<std::string>();
  }
  if (kinds != 1) fail(key, "expected exactly one of date, days, months, watermark");
  f.refresh_seconds = positive_at(node["refresh_seconds"], key + ".refresh_seconds", f.refresh_seconds);
  f.max_age_seconds = positive_at(node["max_age_seconds"], key + ".max_age_seconds", f.max_age_seconds);
  if (f.max_age_seconds < f.refresh_seconds) fail(key + ".max_age_seconds", "must be at least refresh_seconds");
  return f;
}

std::vector<std::string> columns_at(const YAML::Node& node, const std::string& key) {
  if (!node.IsSequence() || node.size() == 0) fail(key, "expected the local table's columns, in its order");
  std::vector<std::string> out;
  for (size_t i = 0; i < node.size(); ++i) out.push_back(name_at(node[i], key + "[" + std::to_string(i) + "]"));
  return out;
}

TierSettings parse_tier(const YAML::Node& node, const std::string& key,
                        const std::vector<rewrite::DatePartitionedTable>& external_tables) {
  only_keys(node, key, {"local", "external", "date_column", "columns", "external_columns", "local_from"});
  TierSettings t;
  auto& p = t.pair;
  split_qualified(name_at(node["local"], key + ".local"), key + ".local", &p.local_schema, &p.local_name);
  split_qualified(name_at(node["external"], key + ".external"), key + ".external", &p.external_schema,
                  &p.external_name);
  p.date_column = name_at(node["date_column"], key + ".date_column");
  p.columns = columns_at(node["columns"], key + ".columns");
  if (std::find(p.columns.begin(), p.columns.end(), p.date_column) == p.columns.end())
    fail(key + ".columns", "must list the date column");
  if (const YAML::Node map = node["external_columns"]) {
    only_keys(map, key + ".external_columns", std::set<std::string>(p.columns.begin(), p.columns.end()));
    for (const auto& kv : map) p.external_columns[name_at(kv.first, key)] = name_at(kv.second, key + ".external_columns");
  }
  for (const auto& e : external_tables) {
    if (e.schema == p.external_schema && e.name == p.external_name) p.partitions = e.partitions;
  }
  if (!node["local_from"]) fail(key + ".local_from", "expected where the local table's data begins");
  t.from = parse_local_from(node["local_from"], key + ".local_from");
  return t;
}

}  // namespace

void routing_error(const std::string& key, const std::string& what) {
  throw std::runtime_error("config: routing." + key + ": " + what);
}

std::string routing_name(const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || !node.IsScalar() || node.as<std::string>().empty()) fail(key, "expected a name");
  return rewrite::ascii_lower(node.as<std::string>());
}

void split_qualified(const std::string& name, const std::string& key, std::string* schema, std::string* table) {
  const auto dot = name.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == name.size() || name.find('.', dot + 1) != std::string::npos) {
    fail(key, "expected schema.table");
  }
  *schema = name.substr(0, dot);
  *table = name.substr(dot + 1);
}

std::vector<TierSettings> parse_tiers(const YAML::Node& node,
                                      const std::vector<rewrite::DatePartitionedTable>& external_tables) {
  std::vector<TierSettings> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) fail("tiers", "must be a list of local/external pairs");
  for (size_t i = 0; i < node.size(); ++i) {
    out.push_back(parse_tier(node[i], "tiers[" + std::to_string(i) + "]", external_tables));
  }
  return out;
}

std::vector<TierRule> parse_tier_rules(const YAML::Node& node) {
  std::vector<TierRule> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) fail("tier_rules", "must be a list of rules");
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string key = "tier_rules[" + std::to_string(i) + "]";
    only_keys(node[i], key, {"name", "scope", "tier"});
    TierRule r;
    r.name = node[i]["name"] ? node[i]["name"].as<std::string>() : key;
    if (!node[i]["scope"]) fail(key + ".scope", "expected a scope (users, groups, applications, databases)");
    r.scope = policies::parse_scope_at(node[i]["scope"], "routing." + key + ".scope");
    const auto tier = rewrite::parse_tier(node[i]["tier"].IsScalar() ? node[i]["tier"].as<std::string>() : "");
    if (!tier) fail(key + ".tier", "expected external, local or auto");
    r.tier = *tier;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace blueshift::proxy
