// The `routing:` section: external tables whose partitions derive from a date column
// (rewrite/partition_filters.h), and the Conversation's router that adds their partition
// predicates to the statements that need them.
#pragma once

#include <memory>
#include <vector>

#include "proxy/conversation.h"
#include "rewrite/partition_filters.h"
#include "yaml-cpp/yaml.h"

namespace blueshift::proxy {

struct RoutingSettings {
  std::vector<rewrite::DatePartitionedTable> external_tables;
  [[nodiscard]] bool empty() const { return external_tables.empty(); }
};

// Parses the section (null or missing: nothing routed). Throws std::runtime_error naming
// the key at fault.
[[nodiscard]] RoutingSettings parse_routing_settings(const YAML::Node& node);

// The router for these settings; empty when nothing is routed. Texts naming no configured
// table are answered after one prefilter pass, without parsing.
[[nodiscard]] Router make_router(std::shared_ptr<const RoutingSettings> settings);

}  // namespace blueshift::proxy
