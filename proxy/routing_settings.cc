#include "proxy/routing_settings.h"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>

#include "policies/log_text.h"
#include "rewrite/analyzer.h"
#include "rewrite/identifiers.h"
#include "rewrite/prefilter.h"

namespace blueshift::proxy {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& what) {
  throw std::runtime_error("config: routing." + key + ": " + what);
}

std::string scalar(const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || !node.IsScalar() || node.as<std::string>().empty()) fail(key, "expected a name");
  return rewrite::ascii_lower(node.as<std::string>());
}

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
  const auto dot = name.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == name.size() || name.find('.', dot + 1) != std::string::npos) {
    fail(key, "expected schema.table");
  }
  if (!node.IsMap()) fail(key, "must be a mapping (date_column, partitions)");
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    if (k != "date_column" && k != "partitions") fail(key + "." + k, "unknown key (date_column, partitions)");
  }
  rewrite::DatePartitionedTable t;
  t.schema = rewrite::ascii_lower(name.substr(0, dot));
  t.name = rewrite::ascii_lower(name.substr(dot + 1));
  t.date_column = scalar(node["date_column"], key + ".date_column");
  t.partitions = parse_partitions(node["partitions"], key + ".partitions");
  return t;
}

// The session's search_path for analysis, and whether unqualified names may resolve
// elsewhere: a path the session did not set is its role's or database's default, which
// the router does not know.
rewrite::AnalysisContext analysis_context(const policies::SessionContext& session, bool* uncertain) {
  rewrite::AnalysisContext ctx;
  ctx.max_bytes = 1u << 20;
  *uncertain = session.search_path_uncertain || session.search_path.empty();
  if (session.search_path.empty()) return ctx;
  ctx.search_path.clear();
  for (const auto& entry : session.search_path) ctx.search_path.push_back(entry == "$user" ? session.user : entry);
  return ctx;
}

class PartitionRouter {
 public:
  explicit PartitionRouter(std::shared_ptr<const RoutingSettings> settings)
      : settings_(std::move(settings)), prefilter_(names(*settings_)) {}

  std::optional<rewrite::RoutedText> route(std::string_view sql, const policies::SessionContext& session) {
    if (!prefilter_.may_reference(sql)) return std::nullopt;
    rewrite::PartitionFilterOptions options;
    const rewrite::AnalysisContext ctx = analysis_context(session, &options.search_path_uncertain);
    const auto facts = cache_.analyze(sql, ctx);
    auto routed = rewrite::add_partition_filters(sql, *facts, [this](std::string_view schema, std::string_view name) {
      return find(schema, name);
    }, options);
    if (routed) {
      for (const auto& r : routed->routes) {
        // The route line is built from the configuration and dates, not client text.
        spdlog::info("routed user={} application_name={} route: {}", policies::log_text(session.user),
                     policies::log_text(session.application_name), r);
      }
      spdlog::debug("routed text: {}", policies::log_text(routed->sql));
    }
    return routed;
  }

 private:
  static std::vector<std::string> names(const RoutingSettings& s) {
    std::vector<std::string> out;
    for (const auto& t : s.external_tables) out.push_back(t.qualified());
    return out;
  }

  const rewrite::DatePartitionedTable* find(std::string_view schema, std::string_view name) const {
    for (const auto& t : settings_->external_tables) {
      if (t.schema == schema && t.name == name) return &t;
    }
    return nullptr;
  }

  std::shared_ptr<const RoutingSettings> settings_;
  rewrite::Prefilter prefilter_;
  rewrite::AnalysisCache cache_{2000, 16u << 20};
};

}  // namespace

RoutingSettings parse_routing_settings(const YAML::Node& node) {
  RoutingSettings s;
  if (!node.IsDefined() || node.IsNull()) return s;
  if (!node.IsMap()) fail("", "must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key != "external_tables") fail(key, "unknown key (external_tables)");
  }
  const YAML::Node tables = node["external_tables"];
  if (!tables.IsDefined() || tables.IsNull()) return s;
  if (!tables.IsMap()) fail("external_tables", "must be a mapping of schema.table to its settings");
  for (const auto& kv : tables) {
    const std::string name = kv.first.as<std::string>();
    s.external_tables.push_back(parse_table(name, kv.second, "external_tables." + name));
  }
  return s;
}

Router make_router(std::shared_ptr<const RoutingSettings> settings) {
  if (!settings || settings->empty()) return {};
  auto router = std::make_shared<PartitionRouter>(std::move(settings));
  return [router](std::string_view sql, const policies::SessionContext& session) { return router->route(sql, session); };
}

}  // namespace blueshift::proxy
