// The `upserts:` section: which sessions and tables get INSERT ... ON CONFLICT rewritten
// into staged transactions (rewrite/upsert_plan.h), and the Conversation's planner for it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "policies/policy_set.h"
#include "proxy/conversation.h"
#include "proxy/upsert_keys.h"
#include "rewrite/merge_plan.h"
#include "rewrite/upsert_plan.h"
#include "yaml-cpp/yaml.h"

namespace blueshift::proxy {

struct UpsertSettings {
  bool enabled = false;
  policies::Scope scope;            // as policies' scopes; groups not yet (no look-up here)
  std::vector<std::string> tables;  // globs: "schema.table" or "table"; empty: every table
  // What the upstream is: the staged statements' spelling differs (Redshift by default;
  // "postgresql" for the dev warehouse and the differential tests).
  rewrite::Warehouse warehouse = rewrite::Warehouse::Redshift;
  // `merge:` native (the forms Redshift runs pass through, the others are staged), staged
  // (every MERGE), off (every MERGE passes through untouched).
  rewrite::MergeMode merge = rewrite::MergeMode::Native;
  // `retry: {attempts, backoff_ms}`: a staged transaction of the proxy's own that the
  // warehouse aborts as a serialization failure is run again (proxy/plan_retry.h).
  rewrite::Plan::Retry retry;
};

// Parses the section (null or missing: disabled). Throws std::runtime_error naming the key.
[[nodiscard]] UpsertSettings parse_upsert_settings(const YAML::Node& node);

// The planner for these settings; empty when they are disabled. `keys` resolves the forms
// without a key column list (null: no catalog, they are refused).
[[nodiscard]] Planner upsert_planner(std::shared_ptr<const UpsertSettings> settings,
                                     std::shared_ptr<UpsertKeys> keys = nullptr);

// The upsert COPY planner for these settings (rewrite/copy_upsert.h); empty when disabled.
[[nodiscard]] CopyPlanner copy_upsert_planner(std::shared_ptr<const UpsertSettings> settings);

// The two planners' first tests in one (false: both answer null); empty when disabled.
[[nodiscard]] PlanGate upsert_plan_gate(std::shared_ptr<const UpsertSettings> settings);

// At a session's login: starts reading its database's keys when its upserts may need them,
// so that they are there by its first upsert.
void prefetch_upsert_keys(const UpsertSettings* settings, UpsertKeys* keys, const policies::SessionContext& session);

}  // namespace blueshift::proxy
