// Conversation, Bind-time routing (proxy/bind_routing.h).
#include "proxy/bind_routing.h"

#include "proxy/conversation.h"
#include "proxy/expectation.h"
#include "rewrite/bounds.h"

namespace blueshift::proxy {

namespace {

// The statement the rebound portal is made from, closed once the portal is bound.
constexpr const char* kBoundName = "__blueshift_bound__";

}  // namespace

std::shared_ptr<const BindRoute> bind_route_of(std::string_view client_sql,
                                               const std::optional<rewrite::RoutedText>& routed) {
  // A text without `$` has no parameter to route by; one with `$` only in a string or a
  // dollar quote costs a routing per Bind that changes nothing.
  if (!routed || client_sql.find('$') == std::string_view::npos) return nullptr;
  return std::make_shared<const BindRoute>(BindRoute{std::string(client_sql), routed->sql});
}

std::optional<Rebound> Conversation::route_bind(const ObjectInfo& kind, const protocol::Bind& b, bool may_rebind) {
  if (!kind.bind_route || kind.plan || kind.sql_steps || !options_->router) return std::nullopt;
  const std::vector<uint32_t> types(kind.param_types.begin(), kind.param_types.end());
  Rebound r;
  r.sql = kind.bind_route->parsed_sql;
  if (may_rebind) {
    const auto values = rewrite::bind_values(b.params, b.param_formats, types);
    r.routed = options_->router(kind.bind_route->client_sql, identity_, settings_.view("blueshift.tier"), &values);
    r.sql = r.routed ? r.routed->sql : kind.bind_route->client_sql;
    r.rebind = r.sql != kind.bind_route->parsed_sql;
  }
  r.param_types = kind.param_types;
  if (options_->governor != nullptr) {
    // The policies see the text that runs; check_bind then sees it with the values.
    policies::Checked checked = options_->governor->check_parse(r.sql, identity_, types);
    r.verdict = std::move(checked.verdict);
    r.check = std::move(checked.deferred);
    if (r.verdict.outcome == policies::Verdict::Outcome::Notice) notice(r.verdict, positions_.next_send());
  }
  return r;
}

Conversation::Verdict Conversation::hold_route(std::string_view sql, const std::optional<rewrite::RoutedText>& routed,
                                               Verdict v) {
  if (!routing()) return v;  // the router was not asked
  progress().held_route = std::make_unique<HeldRoute>(HeldRoute{std::string(sql), routed, nullptr, std::nullopt, std::nullopt});
  return v;
}

Conversation::Verdict Conversation::hold_bind(InfoPtr statement, const std::optional<Rebound>& rebound,
                                              const policies::Verdict& verdict) {
  progress().held_route = std::make_unique<HeldRoute>(HeldRoute{"", std::nullopt, std::move(statement), rebound, verdict});
  return Verdict::Wait;
}

std::unique_ptr<HeldRoute> Conversation::take_held_bind(const InfoPtr& statement) {
  if (!seen().held_route || !statement || seen().held_route->statement != statement) return nullptr;
  return std::move(progress().held_route);
}

void Conversation::send_swallowed(const protocol::FrontendMessage& m, std::string* out) {
  protocol::encode(m, *out);
  // A plan step's replies are swallowed, and its error, the first, is the client's.
  Expectation e;
  e.kind = Expectation::Kind::PlanStep;
  e.at = positions_.on_forward(protocol::code_of(m));
  e.run = std::make_shared<PlanRun>();
  expect(std::move(e));
}

ReplyPosition Conversation::bind_rebound(const protocol::Bind& b, const Rebound& r, std::string* out) {
  // The Close drops one left by a batch whose error made the server skip its Close.
  send_swallowed(protocol::Close{'S', kBoundName}, out);
  send_swallowed(protocol::Parse{kBoundName, r.sql, r.param_types}, out);
  protocol::encode(protocol::Bind{b.portal, kBoundName, b.param_formats, b.params, b.result_formats}, *out);
  return positions_.on_forward(protocol::Bind::kCode);
}

void Conversation::close_rebound(std::string* out) { send_swallowed(protocol::Close{'S', kBoundName}, out); }

}  // namespace blueshift::proxy
