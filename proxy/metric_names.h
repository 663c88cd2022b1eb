// Blueshift's metric names in one place: the code that registers or collects a metric, the
// stats line and (later) dashboards and alerts all spell them from here.
#pragma once

#include <string_view>

namespace blueshift::proxy::metric_names {

// proxy/: connections, cancels, upstream.
inline constexpr std::string_view kConnectionsActive = "blueshift_connections_active";
inline constexpr std::string_view kConnections = "blueshift_connections_total";
inline constexpr std::string_view kConnectionsRejected = "blueshift_connections_rejected_total";
inline constexpr std::string_view kCancelRequests = "blueshift_cancel_requests_total";  // label result
inline constexpr std::string_view kUpstreamFailures = "blueshift_upstream_failures_total";
inline constexpr std::string_view kUpstreamConnects = "blueshift_upstream_connects_total";
inline constexpr std::string_view kQueries = "blueshift_queries_total";
inline constexpr std::string_view kQueryDuration = "blueshift_query_duration_seconds";
inline constexpr std::string_view kBytes = "blueshift_bytes_total";  // label direction
inline constexpr std::string_view kParkedTasks = "blueshift_parked_session_tasks";

// The control plane.
inline constexpr std::string_view kReloads = "blueshift_reloads_total";  // label result
inline constexpr std::string_view kDraining = "blueshift_draining";

// policies/, read from the governor's own counters at collection time.
inline constexpr std::string_view kPolicyChecks = "blueshift_policy_statements_checked_total";
inline constexpr std::string_view kPolicyParses = "blueshift_policy_statements_parsed_total";
inline constexpr std::string_view kPolicyCacheHits = "blueshift_policy_cache_hits_total";
inline constexpr std::string_view kPolicyRefusals = "blueshift_policy_refusals_total";
inline constexpr std::string_view kPolicyWarnings = "blueshift_policy_warnings_total";
inline constexpr std::string_view kPolicyAuditLines = "blueshift_policy_audit_lines_total";
inline constexpr std::string_view kRuleDecisions = "blueshift_rule_decisions_total";
// Cost estimates of the statements that ran, by group (policies/scan_spend.h).
inline constexpr std::string_view kEstimatedScans = "blueshift_estimated_scans_total";            // label group
inline constexpr std::string_view kEstimatedScanBytes = "blueshift_estimated_scan_bytes_total";   // label group
inline constexpr std::string_view kEstimatedScanUsd = "blueshift_estimated_scan_usd_total";       // label group
// Reconcile (policies/reconcile_stats.h): estimates against what the warehouse recorded.
inline constexpr std::string_view kReconciled = "blueshift_reconcile_statements_total";     // label result
inline constexpr std::string_view kReconciledBytes = "blueshift_reconcile_bytes_total";     // label source
inline constexpr std::string_view kReconcileError = "blueshift_reconcile_error_ratio";      // histogram

}  // namespace blueshift::proxy::metric_names
