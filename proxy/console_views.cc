// The console's tables; see console_views.h.
#include "proxy/console_views.h"

#include <cstdio>
#include <ctime>

#include "policies/rule_counts.h"
#include "proxy/config_reload.h"
#include "proxy/console_settings.h"

namespace blueshift::proxy {
namespace {

using Type = ConsoleResult::Type;

std::string utc(std::chrono::system_clock::time_point at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S+00", &tm);
  return text;
}

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", s);
  return text;
}

std::string number(uint64_t n) { return std::to_string(n); }

std::string yes_no(bool b) { return b ? "yes" : "no"; }

}  // namespace

ConsoleResult clients_result(const std::vector<ClientRow>& sessions) {
  ConsoleResult r({{"id", Type::Int},
                   {"user"},
                   {"database"},
                   {"application_name"},
                   {"addr"},
                   {"tls"},
                   {"state"},
                   {"connect_time"},
                   {"statement_seconds", Type::Float},
                   {"queries", Type::Int}});
  for (const ClientRow& s : sessions) {
    r.add({number(s.id), s.user, s.database, s.application_name, s.address, yes_no(s.tls), s.state,
           utc(s.connected_at), s.statement_seconds < 0 ? std::nullopt : std::optional(seconds(s.statement_seconds)),
           number(s.traffic.queries)});
  }
  return r;
}

ConsoleResult servers_result(const std::vector<ClientRow>& sessions) {
  ConsoleResult r({{"client_id", Type::Int},
                   {"user"},
                   {"database"},
                   {"addr"},
                   {"backend_pid", Type::Int},
                   {"state"},
                   {"connect_time"}});
  for (const ClientRow& s : sessions) {
    if (s.console || s.backend_pid == 0) continue;
    r.add({number(s.id), s.user, s.database, s.upstream, std::to_string(s.backend_pid), s.state,
           utc(s.connected_at)});
  }
  return r;
}

ConsoleResult stats_result(const std::vector<ClientRow>& sessions,
                           const std::map<ConsoleTotals::Key, SessionTraffic>& ended) {
  struct Line {
    uint64_t live = 0;
    SessionTraffic traffic;
  };
  std::map<ConsoleTotals::Key, Line> lines;
  for (const auto& [key, t] : ended) lines[key].traffic = t;
  for (const ClientRow& s : sessions) {
    if (s.console) continue;
    Line& l = lines[{s.database, s.user}];
    ++l.live;
    l.traffic.queries += s.traffic.queries;
    l.traffic.bytes_received += s.traffic.bytes_received;
    l.traffic.bytes_sent += s.traffic.bytes_sent;
    l.traffic.query_seconds += s.traffic.query_seconds;
  }
  ConsoleResult r({{"database"},
                   {"user"},
                   {"clients", Type::Int},
                   {"total_query_count", Type::Int},
                   {"total_received", Type::Int},
                   {"total_sent", Type::Int},
                   {"total_query_seconds", Type::Float},
                   {"avg_query_seconds", Type::Float}});
  for (const auto& [key, l] : lines) {
    const SessionTraffic& t = l.traffic;
    r.add({key.first, key.second, number(l.live), number(t.queries), number(t.bytes_received), number(t.bytes_sent),
           seconds(t.query_seconds), seconds(t.queries ? t.query_seconds / static_cast<double>(t.queries) : 0)});
  }
  return r;
}

ConsoleResult rules_result(const std::vector<policies::RuleTally>& rules) {
  std::vector<ConsoleResult::Column> columns = {{"rule"}, {"type"}, {"mode"}, {"tables"}};
  for (size_t i = 0; i < std::tuple_size_v<policies::RuleOutcomeCounts>; ++i)
    columns.push_back({policies::to_string(static_cast<policies::RuleOutcome>(i)), Type::Int});
  ConsoleResult r(std::move(columns));
  for (const policies::RuleTally& t : rules) {
    std::vector<std::optional<std::string>> row = {t.rule.name, t.rule.type, t.rule.mode, t.rule.tables};
    for (const uint64_t n : t.counts) row.emplace_back(number(n));
    r.add(std::move(row));
  }
  return r;
}

ConsoleResult config_result(const Config& c, const IoThreadPlan& threads) {
  ConsoleResult r({{"key"}, {"value"}, {"changeable"}});
  auto row = [&](const std::string& key, const std::string& value) {
    r.add({key, value, takes_restart(key) ? "restart" : "reload"});
  };
  row("listen", c.listen.to_string());
  row("upstream.host", c.upstream.host);
  row("upstream.port", std::to_string(c.upstream.port));
  row("upstream.tls", c.upstream_tls == UpstreamTls::Disable ? "disable"
                      : c.upstream_tls == UpstreamTls::Require ? "require" : "verify-full");
  row("upstream.connect_timeout_ms", std::to_string(c.connect_timeout_ms));
  row("upstream.read_timeout_ms", std::to_string(c.upstream_read_timeout_ms));
  row("tls.cert_file", c.tls_cert_file);
  row("tls.require", yes_no(c.tls_require));
  row("limits.max_client_connections", std::to_string(c.max_client_connections));
  row("limits.max_message_size", std::to_string(c.max_message_size));
  row("limits.max_buffered_bytes", std::to_string(c.max_buffered_bytes));
  row("limits.login_timeout_ms", std::to_string(c.login_timeout_ms));
  row("limits.idle_client_timeout_ms", std::to_string(c.idle_client_timeout_ms));
  row("limits.query_timeout_ms", std::to_string(c.query_timeout_ms));
  row("io_threads", std::to_string(c.io_threads) + " (running " + std::to_string(threads.threads) + ", " +
                        (threads.pin ? "pinned" : "not pinned") + "): " + threads.why);
  row("pin_io_threads", yes_no(c.pin_io_threads));
  row("io_poll_us", std::to_string(c.io_poll_us) + (threads.poll.count() > 0 ? " (polling)" : " (not polling)"));
  row("peer_id", std::to_string(c.peer_id));
  row("proxy_protocol.trusted", std::to_string(c.proxy_trusted.size()) + " network(s)");
  row("http.listen", c.http_listen.port ? c.http_listen.to_string() : "off");
  row("drain.timeout_ms", std::to_string(c.drain_timeout_ms));
  row("log.level", c.log_level);
  row("log.file", c.log_file.empty() ? "stderr" : c.log_file);
  row("catalog.conninfo", c.catalog_conninfo.empty() ? "" : "(set)");  // may hold a password
  row("audit.file", c.audit_file);
  row("policies", c.policies ? "on" : "off");
  row("console.users", std::to_string(c.console ? c.console->users.size() : 0));
  row("config_file", c.source_path);
  return r;
}

ConsoleResult version_result() {
  ConsoleResult r({{"version"}});
  r.add({std::string("blueshift ") + BLUESHIFT_VERSION});
  return r;
}

}  // namespace blueshift::proxy
