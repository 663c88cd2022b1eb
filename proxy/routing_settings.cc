#include "proxy/routing_settings.h"

#include <stdexcept>
#include <string>

#include "proxy/tier_router.h"
#include "rewrite/identifiers.h"

namespace blueshift::proxy {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& what) { routing_error(key, what); }
std::string scalar(const YAML::Node& node, const std::string& key) { return routing_name(node, key); }

rewrite::PartitionScheme parse_partitions(const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || !node.IsMap() || node.size() == 0) {
    fail(key, "expected a mapping of partition column to what it holds (year, month, date)");
  }
  rewrite::PartitionScheme scheme;
  bool year = false, month = false, date = false;
  for (const auto& kv : node) {
    const std::string column = scalar(kv.first, key);
    const auto field = rewrite::parse_partition_field(kv.second.IsScalar() ? kv.second.as<std::string>() : "");
    if (!field) fail(key + "." + column, "expected year, month or date");
    year = year || *field == rewrite::PartitionField::Year;
    month = month || *field == rewrite::PartitionField::Month;
    date = date || *field == rewrite::PartitionField::Date;
    scheme.push_back({column, *field});
  }
  if (!year && !date) fail(key, "needs a year or a date partition column");
  if (month && !year) fail(key, "a month partition column needs a year one");
  return scheme;
}

rewrite::DatePartitionedTable parse_table(const std::string& name, const YAML::Node& node, const std::string& key) {
  rewrite::DatePartitionedTable t;
  split_qualified(rewrite::ascii_lower(name), key, &t.schema, &t.name);
  if (!node.IsMap()) fail(key, "must be a mapping (date_column, partitions)");
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    if (k != "date_column" && k != "partitions") fail(key + "." + k, "unknown key (date_column, partitions)");
  }
  t.date_column = scalar(node["date_column"], key + ".date_column");
  t.partitions = parse_partitions(node["partitions"], key + ".partitions");
  return t;
}

}  // namespace

RoutingSettings parse_routing_settings(const YAML::Node& node) {
  RoutingSettings s;
  if (!node.IsDefined() || node.IsNull()) return s;
  if (!node.IsMap()) fail("", "must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key != "external_tables" && key != "tiers" && key != "tier_rules")
      fail(key, "unknown key (external_tables, tiers, tier_rules)");
  }
  const YAML::Node tables = node["external_tables"];
  if (tables.IsDefined() && !tables.IsNull()) {
    if (!tables.IsMap()) fail("external_tables", "must be a mapping of schema.table to its settings");
    for (const auto& kv : tables) {
      const std::string name = kv.first.as<std::string>();
      s.external_tables.push_back(parse_table(name, kv.second, "external_tables." + name));
    }
  }
  s.tiers = parse_tiers(node["tiers"], s.external_tables);
  s.tier_rules = parse_tier_rules(node["tier_rules"]);
  return s;
}

Router make_router(std::shared_ptr<const RoutingSettings> settings) {
  if (!settings || settings->empty()) return {};
  auto routing = std::make_shared<Routing>(std::move(settings), RoutingSources{});
  return [routing](std::string_view sql, const policies::SessionContext& session, std::string_view tier,
                   const std::vector<rewrite::ParamValue>* params) { return routing->route(sql, session, tier, params); };
}

}  // namespace blueshift::proxy
