// The `routing:` section: external tables whose partitions derive from a date column
// (rewrite/partition_filters.h), tier pairs and tier rules (tier_settings.h); the
// Conversation's router for it is proxy/tier_router.h.
#pragma once

#include <memory>
#include <vector>

#include "proxy/conversation.h"
#include "proxy/tier_settings.h"
#include "rewrite/partition_filters.h"
#include "yaml-cpp/yaml.h"

namespace blueshift::proxy {

struct RoutingSettings {
  std::vector<rewrite::DatePartitionedTable> external_tables;
  std::vector<TierSettings> tiers;
  std::vector<TierRule> tier_rules;
  [[nodiscard]] bool empty() const { return external_tables.empty() && tiers.empty(); }
};

// Parses the section (null or missing: nothing routed). Throws std::runtime_error naming
// the key at fault.
[[nodiscard]] RoutingSettings parse_routing_settings(const YAML::Node& node);

// A router for these settings alone (no catalog connection, no audit file, no reload);
// empty when nothing is routed. The proxy's own is a Routing (tier_router.h).
[[nodiscard]] Router make_router(std::shared_ptr<const RoutingSettings> settings);

}  // namespace blueshift::proxy
