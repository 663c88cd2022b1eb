// How a Governor is put together beyond the policy YAML: where the catalog and group
// membership come from, where audit lines go, and which clock stamps them. The defaults
// read the warehouse over libpq; tests inject a hand-built catalog and a fixed clock.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "policies/audit_log.h"
#include "policies/catalog.h"
#include "policies/cost_settings.h"
#include "policies/partition_sizes.h"

namespace blueshift::policies {

struct GovernorOptions {
  // libpq connection string of the service connection ("" = no catalog).
  std::string catalog_conninfo;
  // File receiving one JSON line per non-pass decision ("" = log them with spdlog).
  std::string audit_path;
  // The audit log itself, when the caller opened it (tests flush it); overrides audit_path.
  std::shared_ptr<AuditLog> audit_log;
  // Stamps audit lines and times the backoff of failed group look-ups. Default:
  // std::chrono::system_clock::now.
  Clock clock;
  // Loads the whole catalog. Default: load_catalog(catalog_conninfo) when conninfo is set.
  std::function<absl::StatusOr<Catalog>()> load_catalog;
  // Groups of a user the loaded catalog does not know (logged in after the last load);
  // nullopt = no such user. Default: load_user_groups(catalog_conninfo, user) when
  // conninfo is set. Called by Governor::lookup_groups only (never from a check), once
  // per user per catalog snapshot, again after a failure once its backoff has passed.
  std::function<absl::StatusOr<std::optional<std::vector<std::string>>>(const std::string& user)> load_user_groups;
  // Partition sizes for the cost caps, per the policies' cost settings. Called at start-up
  // and with every catalog refresh (off the I/O threads). Default: the settings' sizes_file,
  // or with sizes_from_warehouse load_partition_file_sizes(catalog_conninfo), else none.
  std::function<absl::StatusOr<PartitionSizes>(const CostSettings&)> load_sizes;
  // Simple-protocol literals are lifted into $n so that statements differing only in their
  // values share one cached analysis (rewrite/literal_template.h). Tests turn it off to
  // check that lifting never changes a verdict.
  bool lift_literals = true;
};

}  // namespace blueshift::policies
