// What every session shares: the configuration snapshot, TLS contexts, the cancel-key
// registry, the policy governor and the metrics. Owned by Server, outlives all sessions.
#pragma once

#include <atomic>
#include <memory>

#include "policies/budgets.h"
#include "policies/governor.h"
#include "proxy/asio.h"
#include "proxy/buffer_budget.h"
#include "proxy/cancel_registry.h"
#include "proxy/cancel_throttle.h"
#include "proxy/config.h"
#include "proxy/connection_slots.h"
#include "proxy/console_hooks.h"
#include "proxy/console_rows.h"
#include "proxy/conversation.h"
#include "proxy/log_limiter.h"
#include "proxy/metrics.h"
#include "proxy/proxy_metrics.h"
#include "proxy/reloadable.h"
#include "proxy/session_table.h"
#include "proxy/tier_router.h"
#include "proxy/upsert_keys.h"

namespace blueshift::proxy {

// Startup packets that PostgreSQL drops without a word (session.cc logs them, rate-limited).
enum class DroppedStartup : size_t { InvalidLength, Incomplete, ProxyHeader, kCount };

struct ServerContext {
  // Both replaced by a reload (config_reload.h). A session keeps the TLS context it started
  // with and takes a reloaded configuration between statements (session_reload.h).
  Reloadable<const Config> config;
  Reloadable<ssl::context> client_tls;         // null: no TLS offered to clients
  std::unique_ptr<ssl::context> upstream_tls;  // null: plain upstream
  CancelRegistry cancels;
  ConnectionSlots slots;  // connections not logged in yet, and clients under max_client_connections
  std::shared_ptr<policies::Governor> governor;  // null: nothing governed, nothing parsed
  Router router;                                 // empty: nothing routed (routing_settings.h)
  std::shared_ptr<Routing> routing;              // what `router` routes with; reloaded (tier_router.h)
  metrics::Registry registry;          // everything the stats line and metrics report
  ProxyMetrics metrics{registry};      // the handles sessions update
  // Work a session waits for (group lookups over libpq, long analyses), off the I/O threads.
  asio::thread_pool blocking{2};
  LogLimiter<static_cast<size_t>(DroppedStartup::kCount)> dropped_startups;
  BufferBudget buffered;  // limits.max_buffered_bytes
  CancelThrottle cancel_throttle;
  LogLimiter<1> unknown_cancels;  // one line a second at most, with the count left out
  SessionTable sessions;
  // Set once by a stop signal (drain.h); sessions read it when a query ends.
  std::atomic<bool> draining{false};
  std::atomic<int> cancels_in_flight{0};  // sent for sessions that have ended (session.cc)
  std::shared_ptr<UpsertKeys> upsert_keys;  // null: no catalog connection
  // The admin console's view (admin_console.h): reload/drain hooks, PAUSE, ended sessions.
  ConsoleHooks console;
  ConsoleTotals ended_sessions;
  std::shared_ptr<policies::Budgets> budgets;  // null: no budgets (proxy/budget_wait.h)
  // What each session's Conversation runs with, one per configuration (session_options.h);
  // stored before the configuration it belongs to, so a session that sees a configuration
  // finds its options.
  Reloadable<const Conversation::Options> conversation_options;
};

}  // namespace blueshift::proxy
