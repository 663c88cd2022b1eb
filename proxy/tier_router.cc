#include "proxy/tier_router.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "nlohmann/json.hpp"
#include "policies/audit_log.h"
#include "policies/catalog_loader.h"
#include "policies/evaluate.h"
#include "policies/governor.h"
#include "policies/log_text.h"
#include "policies/session_groups.h"
#include "proxy/routing_settings.h"
#include "proxy/tier_splits.h"
#include "rewrite/analyzer.h"
#include "rewrite/bounds.h"
#include "rewrite/prefilter.h"

namespace blueshift::proxy {

struct Routing::State {
  State(std::shared_ptr<const RoutingSettings> s, const RoutingSources& sources)
      : settings(std::move(s)),
        prefilter(names(*settings)),
        splits(settings->tiers, [conninfo = sources.catalog_conninfo](const std::string& query)
                   -> absl::StatusOr<std::optional<std::string>> {
          if (conninfo.empty()) return absl::FailedPreconditionError("no catalog connection configured");
          return policies::load_one_value(conninfo, query);
        }) {}

  static std::vector<std::string> names(const RoutingSettings& s) {
    std::vector<std::string> out;
    for (const auto& t : s.external_tables) out.push_back(t.qualified());
    for (const auto& t : s.tiers) out.push_back(t.pair.local());
    return out;
  }
  const rewrite::DatePartitionedTable* external(std::string_view schema, std::string_view name) const {
    for (const auto& t : settings->external_tables) {
      if (t.schema == schema && t.name == name) return &t;
    }
    return nullptr;
  }
  const rewrite::TierPair* pair(std::string_view schema, std::string_view name) const {
    for (const auto& t : settings->tiers) {
      if (t.pair.local_schema == schema && t.pair.local_name == name) return &t.pair;
    }
    return nullptr;
  }

  std::shared_ptr<const RoutingSettings> settings;
  rewrite::Prefilter prefilter;
  TierSplits splits;
};

namespace {

// Whether the section may route a text: it names a table the section routes.
bool may_route_with(const Routing::State& s, std::string_view sql) {
  return !s.settings->empty() && s.prefilter.may_reference(sql);
}

// The session's search_path for analysis, and whether unqualified names may resolve
// elsewhere: a path the session did not set is its role's or database's default, which
// the router does not know.
rewrite::AnalysisContext analysis_context(const policies::SessionContext& session, bool* uncertain) {
  rewrite::AnalysisContext ctx;
  ctx.max_bytes = 1u << 20;
  *uncertain = session.search_path_uncertain || session.search_path.empty();
  if (session.search_path.empty()) return ctx;
  ctx.search_path.clear();
  for (const auto& entry : session.search_path) ctx.search_path.push_back(entry == "$user" ? session.user : entry);
  return ctx;
}

bool any_group_rule(const RoutingSettings& s) {
  return std::any_of(s.tier_rules.begin(), s.tier_rules.end(), [](const TierRule& r) { return !r.scope.groups.empty(); });
}

// The session as tier rules see it: its groups from the one look-up when a rule names groups
// (unknown groups, or nothing to ask: a group scope holds the session, which errs towards
// the external table, whose answers are the same).
policies::SessionFacts session_facts(const RoutingSettings& s, policies::SessionGroups* groups,
                                     const policies::SessionContext& session) {
  if (groups != nullptr && any_group_rule(s)) return groups->session_facts(session);
  return policies::SessionFacts{session.user, session.database, session.application_name, session.client_address,
                                {},           true};
}

// The session's tier: SET blueshift.tier when not auto, else the first tier rule whose
// scope holds the session.
rewrite::Tier session_tier(const RoutingSettings& s, policies::SessionGroups* groups,
                           const policies::SessionContext& session, std::string_view set) {
  if (const auto t = rewrite::parse_tier(set); t && *t != rewrite::Tier::Auto) return *t;
  if (s.tier_rules.empty()) return rewrite::Tier::Auto;
  const policies::SessionFacts facts = session_facts(s, groups, session);
  for (const auto& rule : s.tier_rules) {
    if (policies::scope_matches(rule.scope, facts)) return rule.tier;
  }
  return rewrite::Tier::Auto;
}

// Whether the grammar (or a Redshift dialect rule) took every statement of an analysed text.
bool parsed(const rewrite::QueryFacts& facts) {
  return !facts.statements.empty() &&
         std::none_of(facts.statements.begin(), facts.statements.end(),
                      [](const rewrite::StatementFacts& st) { return st.kind == rewrite::StatementKind::Unparsed; });
}

const char* served_word(rewrite::TierRoute::Served s) {
  switch (s) {
    case rewrite::TierRoute::Served::Local: return "local";
    case rewrite::TierRoute::Served::External: return "external";
    case rewrite::TierRoute::Served::Both: break;
  }
  return "external+local";
}

std::string audit_json(const policies::SessionContext& session, const std::vector<rewrite::TierRoute>& tiers,
                       const std::optional<rewrite::RoutedText>& routed) {
  using nlohmann::json;
  json j;
  j["time"] = policies::iso8601_utc(std::chrono::system_clock::now());
  j["user"] = session.user;
  j["application_name"] = session.application_name;
  j["client_address"] = session.client_address;
  j["database"] = session.database;
  j["outcome"] = "routed";
  json scans = json::array();
  for (const auto& r : tiers) {
    scans.push_back({{"table", r.pair->local()},
                     {"tier", served_word(r.served)},
                     {"external", r.pair->external()},
                     {"split", r.split ? rewrite::day_text(*r.split) : "unknown"},
                     {"dates", rewrite::day_text(r.interval.first) + ".." + rewrite::day_text(r.interval.last)},
                     {"partitions", r.partition_predicate}});
  }
  j["tiers"] = std::move(scans);
  j["routes"] = routed ? json(routed->routes) : json::array();
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

Routing::Routing(std::shared_ptr<const RoutingSettings> settings, RoutingSources sources)
    : sources_(std::move(sources)), cache_(std::make_unique<rewrite::AnalysisCache>(2000, 16u << 20)) {
  if (!sources_.governor && !sources_.catalog_conninfo.empty()) {
    own_groups_ = policies::looked_up_groups(
        [conninfo = sources_.catalog_conninfo](const std::string& user) {
          return policies::load_user_groups(conninfo, user);
        },
        std::chrono::seconds(std::max(0, sources_.groups_max_age_seconds)));
  }
  if (!sources_.audit_file.empty()) {
    auto log = policies::AuditLog::open(sources_.audit_file, [] { return std::chrono::system_clock::now(); });
    if (log.ok()) audit_ = std::move(*log);
    else spdlog::error("routing: {}; routed statements are not audited", log.status().ToString());
  }
  reload(settings ? std::move(settings) : std::make_shared<const RoutingSettings>());
}

Routing::~Routing() = default;

void Routing::reload(std::shared_ptr<const RoutingSettings> settings) {
  auto fresh = std::make_shared<State>(std::move(settings), sources_);
  fresh->splits.start();
  if (State* old = state_.get()) old->splits.stop();  // its last reads age out: all external, never less
  on_.store(!fresh->settings->empty(), std::memory_order_release);
  if (policies::SessionGroups* g = groups()) g->want_groups(any_group_rule(*fresh->settings));
  state_.store(std::move(fresh));
}

std::shared_ptr<const rewrite::QueryFacts> Routing::analysis(std::string_view sql,
                                                             const policies::SessionContext& session,
                                                             const rewrite::AnalysisContext& ctx) {
  if (sources_.governor) {
    if (auto shared = sources_.governor->analysis(sql, session)) return shared;
  }
  return cache_->analyze(sql, ctx);
}

policies::SessionGroups* Routing::groups() const {
  if (sources_.governor) return sources_.governor.get();
  return own_groups_.get();
}

Router Routing::router() {
  return [this](std::string_view sql, const policies::SessionContext& session, std::string_view tier,
                const std::vector<rewrite::ParamValue>* params) { return route(sql, session, tier, params); };
}

bool Routing::may_route(std::string_view sql) const { return may_route_with(*state_, sql); }

RouteGate Routing::route_gate() const {
  return [this](std::string_view sql) { return may_route(sql); };
}

std::optional<rewrite::RoutedText> Routing::route(std::string_view sql, const policies::SessionContext& session,
                                                  std::string_view tier,
                                                  const std::vector<rewrite::ParamValue>* params) {
  const State& s = *state_;
  if (!may_route_with(s, sql)) return std::nullopt;
  rewrite::TierOptions options;
  const rewrite::AnalysisContext ctx = analysis_context(session, &options.filters.search_path_uncertain);
  options.tier = session_tier(*s.settings, groups(), session, tier);
  options.split = [&s](const rewrite::TierPair& pair) { return s.splits.split(pair); };
  if (sql.size() > ctx.max_bytes) return std::nullopt;  // not analysed on the I/O thread; runs as written
  // The routed text is checked by the policies next: its analysis, made here, is theirs.
  options.filters.is_sql = [&](std::string_view text) { return parsed(*analysis(text, session, ctx)); };
  const auto cached = analysis(sql, session, ctx);
  // A Bind's values in place of its $n: the dates they are choose tiers and partitions.
  const std::optional<rewrite::QueryFacts> bound =
      params ? std::make_optional(rewrite::substitute_params(*cached, *params)) : std::nullopt;
  const rewrite::QueryFacts& facts = bound ? *bound : *cached;
  std::vector<rewrite::TierRoute> tiers;
  const rewrite::DatePartitionedLookup external = [&s](std::string_view schema, std::string_view name) {
    return s.external(schema, name);
  };
  auto routed = rewrite::route_tiers(
      sql, facts, [&s](std::string_view schema, std::string_view name) { return s.pair(schema, name); }, external,
      options, &tiers);
  if (!routed && tiers.empty()) {
    // A Parse dating an external scan by $n: its text as written, routed again at each Bind
    // with the values (proxy/bind_routing.h), whether or not it also reads a tier pair.
    if (params == nullptr && rewrite::dated_by_params(facts, external, options.filters))
      return rewrite::RoutedText{std::string(sql), {}};
    return routed;
  }
  // The route lines are built from the configuration and dates, not client text.
  for (const auto& r : tiers) {
    spdlog::info("routed user={} application_name={} tier: {}", policies::log_text(session.user),
                 policies::log_text(session.application_name), r.text());
  }
  if (routed) {
    for (const auto& r : routed->routes) {
      spdlog::info("routed user={} application_name={} route: {}", policies::log_text(session.user),
                   policies::log_text(session.application_name), r);
    }
    spdlog::debug("routed text: {}", policies::log_text(routed->sql));
  }
  if (audit_) audit_->write_line(audit_json(session, tiers, routed));
  return routed;
}

}  // namespace blueshift::proxy
