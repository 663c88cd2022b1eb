#include "proxy/upsert_settings.h"

#include <stdexcept>
#include <utility>

#include "policies/evaluate.h"
#include "rewrite/copy_upsert.h"
#include "rewrite/upsert_plan.h"

namespace blueshift::proxy {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& what) {
  throw std::runtime_error("config: upserts." + key + ": " + what);
}

std::vector<std::string> strings(const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || node.IsNull()) return {};
  if (!node.IsSequence()) fail(key, "expected a list of strings");
  std::vector<std::string> out;
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) fail(key, "expected a list of strings");
    out.push_back(item.as<std::string>());
  }
  return out;
}

bool in_scope(const policies::Scope& scope, const policies::SessionContext& session) {
  if (scope.empty()) return true;  // as scope_matches says, without copying the session's facts
  policies::SessionFacts facts;
  facts.user = session.user;
  facts.database = session.database;
  facts.application_name = session.application_name;
  facts.client_address = session.client_address;
  return policies::scope_matches(scope, facts);
}

// A glob with a dot names schema.table; one without names the table in any schema.
bool table_listed(const std::vector<std::string>& globs, std::string_view schema, std::string_view table) {
  if (globs.empty()) return true;
  const std::string qualified = std::string(schema.empty() ? "*" : schema) + "." + std::string(table);
  for (const std::string& g : globs) {
    const bool dotted = g.find('.') != std::string::npos;
    if (policies::glob_match(g, dotted ? std::string_view(qualified) : table)) return true;
  }
  return false;
}

uint32_t whole_number(const YAML::Node& node, const std::string& key, uint32_t max) {
  if (!node.IsDefined() || node.IsNull()) return 0;
  int64_t v = -1;
  try {
    v = node.as<int64_t>();
  } catch (const YAML::Exception&) {
  }
  if (v < 0 || v > max) fail(key, "expected a whole number from 0 to " + std::to_string(max));
  return static_cast<uint32_t>(v);
}

rewrite::Plan::Retry parse_retry(const YAML::Node& node) {
  if (!node.IsMap()) fail("retry", "expected a mapping {attempts, backoff_ms}");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key != "attempts" && key != "backoff_ms") fail("retry." + key, "unknown key (attempts, backoff_ms)");
  }
  rewrite::Plan::Retry r;
  r.attempts = whole_number(node["attempts"], "retry.attempts", 10);
  r.backoff_ms = whole_number(node["backoff_ms"], "retry.backoff_ms", 5000);
  return r;
}

// The plan to run, with the configured retry (a copy: plans are shared immutable values).
rewrite::PlanPtr with_retry(rewrite::PlanPtr plan, const rewrite::Plan::Retry& retry) {
  if (!plan || plan->refusal || retry.attempts == 0) return plan;
  auto retried = std::make_shared<rewrite::Plan>(*plan);
  retried->retry = retry;
  return retried;
}

}  // namespace

UpsertSettings parse_upsert_settings(const YAML::Node& node) {
  UpsertSettings s;
  if (!node.IsDefined() || node.IsNull()) return s;
  if (!node.IsMap()) fail("", "must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key != "enabled" && key != "scope" && key != "tables" && key != "warehouse" && key != "merge" &&
        key != "retry")
      fail(key, "unknown key (enabled, scope, tables, warehouse, merge, retry)");
  }
  if (const YAML::Node r = node["retry"]) s.retry = parse_retry(r);
  if (const YAML::Node mode = node["merge"]) {
    const std::string name = mode.IsScalar() ? mode.as<std::string>() : "";
    if (name != "native" && name != "staged" && name != "off") fail("merge", "expected native, staged or off");
    s.merge = name == "native" ? rewrite::MergeMode::Native
              : name == "staged" ? rewrite::MergeMode::Staged
                                 : rewrite::MergeMode::Off;
  }
  if (const YAML::Node w = node["warehouse"]) {
    const std::string name = w.IsScalar() ? w.as<std::string>() : "";
    if (name != "redshift" && name != "postgresql") fail("warehouse", "expected redshift or postgresql");
    s.warehouse = name == "redshift" ? rewrite::Warehouse::Redshift : rewrite::Warehouse::PostgreSQL;
  }
  if (const YAML::Node e = node["enabled"]) {
    try {
      s.enabled = e.as<bool>();
    } catch (const YAML::Exception&) {
      fail("enabled", "expected true or false");
    }
  }
  s.scope = policies::parse_scope_at(node["scope"], "upserts.scope");
  if (!s.scope.groups.empty()) fail("scope.groups", "not supported yet: scope upserts by users");
  s.tables = strings(node["tables"], "tables");
  return s;
}

Planner upsert_planner(std::shared_ptr<const UpsertSettings> settings, std::shared_ptr<UpsertKeys> keys) {
  if (!settings || !settings->enabled) return {};
  return [settings, keys](std::string_view sql, const policies::SessionContext& session) -> rewrite::PlanPtr {
    if (!in_scope(settings->scope, session)) return nullptr;
    rewrite::KeyLookup lookup;
    if (keys) lookup = [&](std::string_view schema, std::string_view table) { return keys->lookup(session, schema, table); };
    const rewrite::UpsertTargets listed = [&](std::string_view schema, std::string_view table) {
      return table_listed(settings->tables, schema, table);
    };
    if (rewrite::PlanPtr merge = rewrite::plan_merge(sql, settings->merge, listed, settings->warehouse))
      return with_retry(std::move(merge), settings->retry);
    return with_retry(rewrite::plan_upsert(sql, listed, lookup, settings->warehouse), settings->retry);
  };
}

CopyPlanner copy_upsert_planner(std::shared_ptr<const UpsertSettings> settings) {
  if (!settings || !settings->enabled) return {};
  return [settings](std::string_view sql, const policies::SessionContext& session,
                    std::string_view key) -> rewrite::PlanPtr {
    if (!in_scope(settings->scope, session)) return nullptr;
    const rewrite::UpsertTargets listed = [&](std::string_view schema, std::string_view table) {
      return table_listed(settings->tables, schema, table);
    };
    return rewrite::plan_copy_upsert(sql, listed, key, settings->warehouse);
  };
}

PlanGate upsert_plan_gate(std::shared_ptr<const UpsertSettings> settings) {
  if (!settings || !settings->enabled) return {};
  return [settings](rewrite::StatementWords words, const policies::SessionContext& session) {
    return (rewrite::may_plan_merge(words, settings->merge) || rewrite::may_plan_upsert(words) ||
            rewrite::may_plan_copy_upsert(words)) &&
           in_scope(settings->scope, session);
  };
}

void prefetch_upsert_keys(const UpsertSettings* settings, UpsertKeys* keys, const policies::SessionContext& session) {
  if (settings != nullptr && keys != nullptr && settings->enabled && in_scope(settings->scope, session))
    keys->prefetch(session.database);
}

}  // namespace blueshift::proxy
