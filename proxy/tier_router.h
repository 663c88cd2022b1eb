// The routing of a running proxy: the Conversation's Router (conversation.h) for the
// `routing:` section, reloaded with the policies (SIGHUP). Per statement that names a
// routed table: one cached analysis, the tier decisions and partition predicates
// (rewrite/tier_routing.h), a log line and an audit line per routed statement, and the
// rewritten SQL at debug level. Texts naming no configured table are answered after one
// prefilter pass, without parsing.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "proxy/conversation.h"
#include "proxy/reloadable.h"

namespace blueshift::policies {
class AuditLog;
class Governor;
class SessionGroups;
}
namespace blueshift::rewrite {
class AnalysisCache;
struct AnalysisContext;
}

namespace blueshift::proxy {

struct RoutingSettings;

struct RoutingSources {
  std::string catalog_conninfo;  // where watermark queries run ("": never read, so all external)
  std::string audit_file;        // one JSON line per routed statement ("": none)
  // The policies' governor (null: none), so that router and policies share its one look-up
  // of a session's groups and its one analysis of a text. Without it the router keeps
  // analyses of its own, and looks groups up itself on catalog_conninfo (groups(); without
  // a catalog a group-scoped tier rule holds every session, which errs towards the lake).
  std::shared_ptr<policies::Governor> governor;
  int groups_max_age_seconds = 300;  // without a governor: a user's groups are asked again after this
};

class Routing {
 public:
  Routing(std::shared_ptr<const RoutingSettings> settings, RoutingSources sources);
  ~Routing();
  Routing(const Routing&) = delete;
  Routing& operator=(const Routing&) = delete;

  // The section of a reloaded file: every session routes with it from its next statement.
  void reload(std::shared_ptr<const RoutingSettings> settings);
  // The sessions' router, present even while the section routes nothing, so that a reload
  // turns routing on for open sessions too; on() says whether it routes anything now, so
  // that sessions keep their fast path while it does not.
  [[nodiscard]] Router router();
  // route()'s first test, without a parse (false: it answers nullopt), as a session asks it.
  [[nodiscard]] bool may_route(std::string_view sql) const;
  [[nodiscard]] RouteGate route_gate() const;
  [[nodiscard]] const std::atomic<bool>* on() const { return &on_; }
  // Where sessions' groups come from for tier rules: the governor, else the router's own
  // look-up (null: no catalog to ask). Sessions await its look-up before their statements.
  [[nodiscard]] policies::SessionGroups* groups() const;

  // What router() calls: the routed text of sql, or nullopt (run it as written). params:
  // a Bind's values, read for the $n dates (null: none, a $n date bounds nothing).
  std::optional<rewrite::RoutedText> route(std::string_view sql, const policies::SessionContext& session,
                                           std::string_view tier,
                                           const std::vector<rewrite::ParamValue>* params = nullptr);

  struct State;  // one loaded section (tier_router.cc)

 private:
  // The analysis of sql: the governor's, so that its check of the same text reuses it.
  std::shared_ptr<const rewrite::QueryFacts> analysis(std::string_view sql, const policies::SessionContext& session,
                                                     const rewrite::AnalysisContext& ctx);

  const RoutingSources sources_;
  std::atomic<bool> on_{false};
  Reloadable<State> state_;
  std::unique_ptr<policies::AuditLog> audit_;
  std::unique_ptr<rewrite::AnalysisCache> cache_;
  std::unique_ptr<policies::SessionGroups> own_groups_;  // without a governor
};

}  // namespace blueshift::proxy
