// The tables the admin console shows, built from what sessions and the server report
// (console_rows.h, the governor's rule tallies, the configuration). Asio-free: each is a
// plain function from values to a ConsoleResult, unit-tested without sockets.
#pragma once

#include <map>
#include <vector>

#include "policies/governor.h"
#include "proxy/config.h"
#include "proxy/console_result.h"
#include "proxy/console_rows.h"
#include "proxy/thread_placement.h"

namespace blueshift::proxy {

// SHOW CLIENTS: one row per session, console sessions included.
[[nodiscard]] ConsoleResult clients_result(const std::vector<ClientRow>& sessions);
// SHOW SERVERS: one row per upstream connection (sessions past login, not the console's).
[[nodiscard]] ConsoleResult servers_result(const std::vector<ClientRow>& sessions);
// SHOW STATS: per (database, user), the live sessions' traffic plus that of ended ones.
[[nodiscard]] ConsoleResult stats_result(const std::vector<ClientRow>& sessions,
                                         const std::map<ConsoleTotals::Key, SessionTraffic>& ended);
// SHOW RULES: each rule of the running policies with its counts by outcome.
[[nodiscard]] ConsoleResult rules_result(const std::vector<policies::RuleTally>& rules);
// SHOW CONFIG: key, value, and whether a reload changes it or it takes a restart.
[[nodiscard]] ConsoleResult config_result(const Config& config, const IoThreadPlan& threads);
// SHOW VERSION.
[[nodiscard]] ConsoleResult version_result();

}  // namespace blueshift::proxy
