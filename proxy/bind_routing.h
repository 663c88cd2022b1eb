// Bind-time tier routing (issue 11). A prepared statement whose routed scans are dated by
// $n parameters is routed at Parse over both tiers, which is right whatever the values;
// each Bind routes the client's text again with its values, and when that routes it
// otherwise (local only, lake only, fewer partitions), the portal is made from that text:
// upstream a Parse of it as a statement of the proxy's, a Bind of the client's portal from
// it with the client's values and formats, and a Close of the statement (a portal outlives
// its statement). The portal is then the server's own, so Describe, an Execute with a row
// limit, PortalSuspended and Close behave as PostgreSQL's, and its replies need no folding
// beyond swallowing the proxy's Parse and Closes. The values never enter the text: it keeps
// the client's $n, and only the dates the proxy reads from them choose tiers and partition
// literals (rewrite/bounds.h substitute_params; what it cannot read spans both tiers).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/governor.h"
#include "proxy/object_table.h"
#include "rewrite/routed_text.h"

namespace blueshift::proxy {

// A statement routed at Parse whose route may depend on its $n.
struct BindRoute {
  std::string client_sql;  // the client's text, routed again at each Bind
  std::string parsed_sql;  // the text its Parse sent upstream
};

// The BindRoute of a Parse's text routed as `routed` (null: its route is fixed).
[[nodiscard]] std::shared_ptr<const BindRoute> bind_route_of(std::string_view client_sql,
                                                             const std::optional<rewrite::RoutedText>& routed);

// A Bind's statement as its values route it.
struct Rebound {
  std::string sql;                             // the text the portal runs
  bool rebind = false;                         // not the parsed one: the portal is made from it
  std::optional<rewrite::RoutedText> routed;   // nullopt: the client's text as written
  std::vector<int32_t> param_types;            // the client's Parse's
  policies::Verdict verdict;                   // the policies' word on sql before the values
  std::shared_ptr<const policies::PreparedCheck> check;  // and with them (null: none needed)
};

// A message's routing kept while it waits (a budget lease, its analysis off the thread), so
// that presented again it is routed, logged and audited once: a Query's or Parse's routed
// text, or a Bind's Rebound and the policies' verdict on it with the values.
struct HeldRoute {
  std::string sql;                            // the Query's or Parse's text as the client sent it
  std::optional<rewrite::RoutedText> routed;  // its routing (nullopt: as written)
  InfoPtr statement;                          // a Bind's: the statement it binds
  std::optional<Rebound> rebound;             // its route with the Bind's values
  std::optional<policies::Verdict> verdict;   // check_bind's, before the wait
};

}  // namespace blueshift::proxy
