#include "proxy/conversation.h"

#include "proxy/bind_routing.h"
#include "proxy/block_begun.h"
#include "proxy/expectation.h"
#include "proxy/plan_retry.h"
#include "proxy/plan_script.h"
#include "proxy/sql_steps_checked.h"
#include "proxy/upsert_batch.h"

#include <utility>

#include "protocol/cursor.h"
#include "protocol/peek.h"
#include "rewrite/identifiers.h"
#include "rewrite/proxy_statement.h"
#include "rewrite/sql_prepared.h"

namespace blueshift::proxy {

namespace {

using protocol::Frame;
using protocol::ProxyError;

// Names no client may use: the proxy's own protocol objects (refusal substitutes, plan steps).
constexpr std::string_view kReservedPrefix = "__blueshift";
constexpr const char* kRefusedStatementName = "__blueshift_refused__";
constexpr const char* kStepName = "__blueshift_step__";
// A simple-protocol text that fails in the parser, before anything runs or is billed.
constexpr const char* kRefusedQueryText = "/* blueshift: statement refused by policy */ blueshift_refused";

rewrite::PlanStep swallowed_step(std::string sql) {
  rewrite::PlanStep s;
  s.sql = std::move(sql);
  return s;
}

bool reserved(std::string_view name) { return name.substr(0, kReservedPrefix.size()) == kReservedPrefix; }

ProxyError to_error(const policies::Verdict& v) { return ProxyError{"ERROR", v.sqlstate, v.message, v.detail, v.hint}; }

// A refusal of a routed text says so: the policies saw the routed statement.
ProxyError to_error(const policies::Verdict& v, const std::optional<rewrite::RoutedText>& routed) {
  ProxyError e = to_error(v);
  if (!routed) return e;
  std::string routes;
  for (const auto& r : routed->routes) routes += (routes.empty() ? "" : "; ") + r;
  e.detail += std::string(e.detail.empty() ? "" : "\n") + "Checked as routed by Blueshift: " + routes + ".";
  return e;
}

// A plan that refuses: the statement runs nowhere. In a failed block PostgreSQL would not
// have looked at it: the client gets the failed block's error, as from the server.
ProxyError plan_refusal(const rewrite::Plan& plan, char transaction_status) {
  if (transaction_status == 'E')
    return ProxyError{"ERROR", "25P02", "current transaction is aborted, commands ignored until end of transaction block",
                      "", ""};
  return ProxyError{"ERROR", plan.refusal->sqlstate, plan.refusal->message, "", plan.refusal->hint};
}

ProxyError reserved_name_error(std::string_view name) {
  return ProxyError{"ERROR", "42939", "blueshift: the name \"" + std::string(name) + "\" is reserved for the proxy",
                    "", "Prepared statement and portal names starting with \"__blueshift\" are the proxy's own."};
}

void encode_to(protocol::FrontendMessage m, std::string* out) { protocol::encode(m, *out); }

}  // namespace

Conversation::Conversation(Options options) : Conversation(std::make_shared<const Options>(std::move(options))) {}

Conversation::Conversation(std::shared_ptr<const Options> options)
    : options_(std::move(options)), budget_(options_->budgets) {}

ProxySettings::Sources Conversation::setting_sources() {
  policies::Governor* governor = options_->governor;
  return {[this, governor]() {
            std::vector<std::array<std::string, 4>> rows;
            if (governor == nullptr) return rows;
            for (auto& r : governor->rules_for(identity_)) rows.push_back({r.name, r.type, r.mode, r.tables});
            return rows;
          },
          [this, governor]() { return budget_.spend(governor, identity_); }};
}

Conversation::~Conversation() = default;

InProgress::InProgress() = default;
InProgress::~InProgress() = default;
const InProgress Conversation::kIdle;

InProgress& Conversation::progress() {
  if (!progress_) progress_ = std::make_unique<InProgress>();
  return *progress_;
}

// ------------------------------------------------------------------ client side

bool Conversation::inspects_client(char code) const {
  if (discarding_until_sync_ || seen().holds_messages()) return true;
  switch (code) {
    case protocol::Query::kCode: case protocol::Parse::kCode: case protocol::Bind::kCode:
    case protocol::Describe::kCode: case protocol::Execute::kCode: case protocol::Close::kCode:
    case protocol::FunctionCall::kCode:
      return true;
    default:
      return false;
  }
}

void Conversation::on_client_streamed(char code) { positions_.on_forward(code); }

Conversation::Verdict Conversation::forward(char code) {
  positions_.on_forward(code);
  return Verdict::Forward;
}

Conversation::Verdict Conversation::on_client(const Frame& f, std::string* out) {
  // Nothing may go upstream between a retryable run's attempts (proxy/plan_retry.cc).
  if (seen().retryable_run) return Verdict::Wait;
  if (seen().cut_message) {  // upsert_batch.cc: the message that cut a run goes before this one
    if (const Verdict v = resume_cut(); v != Verdict::Replace) return v;
  }
  // A folded upsert run is held until a message that does not continue it (upsert_batch.h).
  if (seen().batch && batch_takes(f)) return Verdict::Replace;
  if (seen().batch && flush_batch(&progress().unsent, f.code)) {
    hold_cut(f);  // it waits for the run's outcome, and goes up before the next message
    return with_unsent(f, Verdict::Replace, out);
  }
  if (seen().retry_hold) release_hold(f.code);  // plan_retry.cc
  const Verdict v = dispatch(f, out);
  note_batch(f.code);  // plan_retry.cc
  if (v != Verdict::Wait && v != Verdict::Analyse) note_block(f);  // upsert_batch.cc
  return with_unsent(f, v, out);
}

Conversation::Verdict Conversation::dispatch(const Frame& f, std::string* out) {
  if (discarding_until_sync_) {
    // After a refusal in the extended protocol everything up to Sync is discarded, as a
    // server does after an error (the server, seeing the substitute fail, would too).
    if (f.code != protocol::Sync::kCode) return Verdict::Replace;
    discarding_until_sync_ = false;
    return forward(f.code);
  }
  switch (f.code) {
    case protocol::Query::kCode: return on_query(f, out);
    case protocol::Parse::kCode: return on_parse(f, out);
    case protocol::Bind::kCode: return on_bind(f, out);
    case protocol::Describe::kCode: return on_describe(f, out);
    case protocol::Execute::kCode: return on_execute(f, out);
    case protocol::Close::kCode: return on_close(f, out);
    case protocol::FunctionCall::kCode: return on_function_call(out);
    case protocol::CopyDoneF::kCode: case protocol::CopyFail::kCode:
      if (!seen().copy_in_run.expired()) return copy_in_end(f, out);
      return forward(f.code);
    default: return forward(f.code);
  }
}

Conversation::Verdict Conversation::malformed(std::string_view postgres_reason, bool extended, std::string* out) {
  // What the proxy cannot decode it cannot vouch for: none of it goes upstream. The client
  // gets the server's own ERROR for it, and the session goes on (in the extended protocol
  // after skipping to Sync), as on PostgreSQL.
  return refuse(ProxyError{"ERROR", "08P01", "blueshift: " + std::string(postgres_reason), "", ""}, extended, out);
}

Conversation::Verdict Conversation::on_query(const Frame& f, std::string* out) {
  if (seen().held_plan) return plan_query(std::exchange(progress().held_plan, nullptr), out);
  const auto names = protocol::leading_names(f.code, f.body);
  if (!names) return malformed(protocol::kInvalidString, false, out);
  const auto proxy = rewrite::scan_proxy_statement(names->first);
  if (proxy.kind == rewrite::ProxyStatementScan::Kind::Single) return answer_query(proxy.statement, out);
  if (proxy.kind == rewrite::ProxyStatementScan::Kind::Mixed)
    return refuse(ProxyError{"ERROR", "0A000", proxy.error, "", ""}, false, out);
  if (dry_running()) {
    if (auto answered = dry_run_query(names->first, out)) return *answered;
  }
  if (untouched(names->first)) return forward(f.code);
  const auto routed = route(names->first);
  const std::string_view sql = routed ? std::string_view(routed->sql) : names->first;
  // Every statement is checked, whatever the transaction state: a failed block still runs
  // ROLLBACK and what follows it in the same text.
  std::optional<TextAnalysis> done;
  if (seen().held_check) {
    done = std::move(*progress().held_check);  // presented again after a budget wait
    progress().held_check.reset();
  } else {
    done = analyse(sql, nullptr);
    if (!done) return hold_route(names->first, routed, Verdict::Analyse);
  }
  const TextAnalysis analysis = std::move(*done);
  const auto& steps = analysis.steps;
  const bool lone = lone_prepare(steps.get()) != nullptr;
  const policies::Checked& checked = analysis.checked;
  const policies::Verdict& v = checked.verdict;
  if (v.outcome == policies::Verdict::Outcome::Refuse) return refuse(to_error(v, routed), false, out);
  std::optional<SqlStepsChecked> sql_checked;
  if (steps) {
    sql_checked = check_sql_steps(*steps, nullptr, &analysis.prepares);
    if (sql_checked->refusal) return refuse(to_error(*sql_checked->refusal, routed), false, out);
  }
  ProxyError budget_error;
  std::vector<ProxyError> budget_notices;
  std::shared_ptr<policies::BudgetReservation> hold;
  // The text's SQL EXECUTEs are charged with it (not a copy of v for other texts).
  const auto executes = sql_checked ? std::optional(with_execute_charges(v, *sql_checked)) : std::nullopt;
  switch (budget_.admit(executes ? *executes : v, identity_.user, &budget_error, &budget_notices, &hold)) {
    case BudgetGate::Step::Wait:
      progress().held_check = std::make_unique<TextAnalysis>(analysis);
      return hold_route(names->first, routed, Verdict::Wait);
    case BudgetGate::Step::Refuse: return refuse(budget_error, false, out);
    case BudgetGate::Step::Go: break;
  }
  const GovernedPlan governed = plan_of(sql, nullptr);
  if (const rewrite::PlanPtr& plan = governed.plan) {
    if (plan->refusal) return refuse(plan_refusal(*plan, transaction_status_), false, out);
    // The statement's warnings, its own and its steps', before the plan's replies (a held
    // plan is the next thing sent).
    for (const auto* w : {&v, &governed.notice})
      if (w->outcome == policies::Verdict::Outcome::Notice) notice(*w, positions_.next_send());
    if (positions_.awaiting_reply()) {
      progress().held_plan = std::move(plan);  // decided once: the check is not run again
      return Verdict::Wait;
    }
    return plan_query(plan, out);
  }
  const ReplyPosition at = positions_.on_forward(f.code);
  search_path_effect(checked.effect, at);
  if (sql_checked) record_sql_steps(*steps, *sql_checked, at, true);
  if (v.outcome == policies::Verdict::Outcome::Notice && !lone) notice(v, at);
  hold_budget(std::move(hold), budget_notices, at);
  explain_routing(routed, at);
  if (!routed) return Verdict::Forward;
  encode_to(protocol::Query{routed->sql}, out);
  return Verdict::Replace;
}

bool Conversation::untouched(std::string_view sql) {
  // A text presented again was read already: its decisions stand.
  if (seen().held_check || seen().held_route || seen().analysed) return false;
  // Each part's own first test, which its full answer starts with: none can drift from it.
  const Options& o = *options_;
  if (routing() && (!o.may_route || o.may_route(sql))) return false;
  const bool planners = o.planner || o.copy_planner;
  if (!planners && o.governor == nullptr) return true;
  const rewrite::StatementWords words = rewrite::statement_words(sql);  // one pass for the planners and steps
  if (planners && (!o.may_plan || o.may_plan(words, identity_))) return false;
  // SQL PREPARE/EXECUTE are read for the governor (analyse_text); its test comes last, as
  // a false answer from it counts as its check.
  return o.governor == nullptr || (!rewrite::may_use_sql_prepared(words) && !o.governor->may_matter(sql, identity_));
}

std::optional<rewrite::RoutedText> Conversation::route(std::string_view sql) {
  // Presented again after a wait: routed once.
  if (seen().held_route) {
    const auto held = std::exchange(progress().held_route, nullptr);
    if (!held->statement && held->sql == sql) return held->routed;
  }
  if (!routing()) return std::nullopt;
  return options_->router(sql, identity_, settings_.view("blueshift.tier"), nullptr);
}

std::optional<TextAnalysis> Conversation::analyse(std::string_view sql, const std::vector<uint32_t>* parse_types) {
  if (seen().analysed) {
    TextAnalysis done = std::move(*progress().analysed);
    progress().analysed.reset();
    return done;
  }
  policies::Governor* governor = options_->governor;
  if (governor == nullptr) return TextAnalysis{};
  if (options_->offload_bytes == 0 || sql.size() < options_->offload_bytes) {
    return analyse_text(*governor, sql, identity_, parse_types, false);
  }
  // A long text may take seconds to analyse: not on the I/O thread, where every other
  // session of the thread would wait for it. The task owns copies of all it reads. A
  // Query's PREPARE bodies are checked there too; a Parse's wait for its Execute.
  std::optional<std::vector<uint32_t>> types;
  if (parse_types) types = *parse_types;
  progress().analysis = [governor, text = std::string(sql), session = identity_, types = std::move(types)] {
    return analyse_text(*governor, text, session, types ? &*types : nullptr, !types);
  };
  return std::nullopt;
}

void Conversation::search_path_effect(const policies::SessionEffect& v, ReplyPosition at) {
  if (!v.new_search_path && !v.search_path_uncertain) return;
  const bool was_certain = !identity_.search_path_uncertain;
  // Until the server says the text ran, the path may be either: resolve governed first.
  identity_.search_path_uncertain = true;
  ++search_path_effects_;
  Expectation e;
  e.kind = Expectation::Kind::SearchPath;
  e.at = at;
  e.whole_batch = true;
  e.new_search_path = v.new_search_path;
  e.path_uncertain = v.search_path_uncertain;
  e.was_certain = was_certain;
  expect(std::move(e));
}

void Conversation::hold_budget(std::shared_ptr<policies::BudgetReservation> hold,
                               const std::vector<ProxyError>& notices, ReplyPosition at) {
  for (const auto& n : notices) notice(n, at);
  if (!hold) return;
  Expectation e;
  e.kind = Expectation::Kind::Budget;
  e.at = at;
  e.reservation = std::move(hold);
  expect(std::move(e));
}

void Conversation::notice(const policies::Verdict& v, ReplyPosition at) {
  notice(ProxyError{"WARNING", v.sqlstate, v.message, v.detail, v.hint}, at);
}

void Conversation::notice(const ProxyError& n, ReplyPosition at) {
  Expectation e;
  e.kind = Expectation::Kind::Notice;
  e.at = at;
  e.whole_batch = true;
  protocol::encode(protocol::BackendMessage{protocol::make_notice(n)}, e.bytes);
  expect(std::move(e));
}

void Conversation::explain_routing(const std::optional<rewrite::RoutedText>& routed, ReplyPosition at) {
  if (!routed || !settings_.enabled("blueshift.explain_routing")) return;
  std::string routes;
  for (const auto& r : routed->routes) routes += (routes.empty() ? "" : "; ") + r;
  notice(ProxyError{"NOTICE", "00000", "blueshift: routed: " + routed->sql, routes, ""}, at);
}

Conversation::Verdict Conversation::refuse(const ProxyError& error, bool extended, std::string* out) {
  // The server is sent a message that fails at once with no side effect, so its own
  // transaction state (failed block, rolled-back implicit transaction) is exactly what it
  // would be had the statement failed there; its error is replaced by the refusal.
  Expectation e;
  e.kind = Expectation::Kind::Refusal;
  e.bytes = protocol::encode_error(error);
  if (extended) {
    encode_to(protocol::Bind{"", kRefusedStatementName, {}, {}, {}}, out);
    e.at = positions_.on_forward(protocol::Bind::kCode);
    discarding_until_sync_ = true;
  } else {
    encode_to(protocol::Query{kRefusedQueryText}, out);
    e.at = positions_.on_forward(protocol::Query::kCode);
  }
  expect(std::move(e));
  return Verdict::Replace;
}

Conversation::Verdict Conversation::answer_query(const rewrite::ProxyStatement& statement, std::string* out) {
  auto answer = settings_.answer(statement, setting_sources());
  if (auto* error = std::get_if<ProxyError>(&answer)) return refuse(*error, false, out);
  // An empty query runs nothing and answers EmptyQueryResponse and ReadyForQuery, whose
  // status says whether the session is in a failed block (then PostgreSQL refuses SHOW).
  encode_to(protocol::Query{""}, out);
  Expectation e;
  e.kind = Expectation::Kind::AnswerQuery;
  e.at = positions_.on_forward(protocol::Query::kCode);
  e.whole_batch = true;
  e.answer = std::make_shared<const rewrite::ProxyStatement>(statement);
  expect(std::move(e));
  return Verdict::Replace;
}

Conversation::Verdict Conversation::on_parse(const Frame& f, std::string* out) {
  const auto names = protocol::leading_names(f.code, f.body);
  if (!names) return malformed(protocol::kInvalidString, true, out);
  if (reserved(names->first)) return refuse(reserved_name_error(names->first), true, out);
  const auto proxy = rewrite::scan_proxy_statement(names->second);
  if (proxy.kind == rewrite::ProxyStatementScan::Kind::Single) return answer_parse(names->first, proxy.statement, out);
  if (proxy.kind == rewrite::ProxyStatementScan::Kind::Mixed)
    return refuse(ProxyError{"ERROR", "0A000", proxy.error, "", ""}, true, out);
  const bool tracked = statements_.tracks(names->first);
  const bool dry = dry_running();
  if (!dry && untouched(names->second)) {
    if (!tracked) return forward(f.code);
    const ReplyPosition at = positions_.on_forward(f.code);
    Expectation e;
    e.kind = Expectation::Kind::Statement;
    e.at = at;
    e.name = names->first;
    e.ticket = statements_.request(names->first, nullptr, at.batch);
    expect(std::move(e));
    return Verdict::Forward;
  }
  auto decoded = protocol::decode_frontend(f.code, f.body);
  if (!decoded.ok()) return malformed(protocol::postgres_reason(decoded.status()), true, out);
  const auto& p = std::get<protocol::Parse>(*decoded);
  if (dry) {
    if (auto answered = dry_run_parse(p, out)) return *answered;
  }
  const auto routed = route(p.query);
  const std::string& query = routed ? routed->sql : p.query;
  // The parameter types let binary Bind values be read at Bind time.
  const std::vector<uint32_t> types(p.param_types.begin(), p.param_types.end());
  // SQL PREPARE/EXECUTE in the statement run at its Execute; a lone PREPARE's body is
  // checked now as a Parse, and its $n wait for the EXECUTEs of it.
  auto done = analyse(query, &types);
  if (!done) return hold_route(p.query, routed, Verdict::Analyse);
  const auto steps = std::move(done->steps);
  const bool lone = lone_prepare(steps.get()) != nullptr;
  policies::Checked checked = std::move(done->checked);
  const policies::Verdict& v = checked.verdict;
  std::shared_ptr<const policies::PreparedCheck> deferred = lone ? nullptr : std::move(checked.deferred);
  // Routed by its $n at each Bind: each Bind checks the text it runs (proxy/bind_routing.h).
  auto bind_route = steps ? nullptr : bind_route_of(p.query, routed);
  if (v.outcome == policies::Verdict::Outcome::Refuse && !bind_route) return refuse(to_error(v, routed), true, out);
  InfoPtr info;
  GovernedPlan governed = plan_of(query, &types);
  const rewrite::PlanPtr& plan = governed.plan;
  if (plan && plan->refusal) return refuse(plan_refusal(*plan, transaction_status_), true, out);
  if (plan && bind_route) {
    if (v.outcome == policies::Verdict::Outcome::Refuse) return refuse(to_error(v, routed), true, out);
    bind_route = nullptr;
  }
  if (deferred || plan || dry || steps || bind_route) {
    auto i = std::make_shared<ObjectInfo>();
    i->dry_run_runs = dry;  // prepared during a dry run, and runs as usual
    i->check = std::move(deferred);
    i->plan = plan;
    i->steps_check = std::move(governed.at_bind);
    i->sql_steps = steps;
    i->bind_route = std::move(bind_route);
    i->param_types = p.param_types;
    info = std::move(i);
  }
  if (plan) {
    // Upstream the statement is empty; its Execute runs the plan's steps.
    encode_to(protocol::Parse{p.statement, "", {}}, out);
  } else if (routed) {
    encode_to(protocol::Parse{p.statement, routed->sql, p.param_types}, out);
  }
  const ReplyPosition at = positions_.on_forward(f.code);
  if (info || tracked) {
    Expectation e;
    e.kind = Expectation::Kind::Statement;
    e.at = at;
    e.name = p.statement;
    e.ticket = statements_.request(p.statement, info, at.batch);
    expect(std::move(e));
  }
  if (checked.effect.new_search_path || checked.effect.search_path_uncertain) {
    // Parse runs nothing: whether and when the SET executes is the client's choice.
    if (checked.effect.new_search_path) identity_.search_path = *checked.effect.new_search_path;
    identity_.search_path_uncertain = true;
  }
  if (v.outcome == policies::Verdict::Outcome::Notice) notice(v, at);
  if (governed.notice.outcome == policies::Verdict::Outcome::Notice) notice(governed.notice, at);
  explain_routing(routed, at);
  return plan || routed ? Verdict::Replace : Verdict::Forward;
}

Conversation::Verdict Conversation::answer_parse(std::string_view name, const rewrite::ProxyStatement& statement,
                                                 std::string* out) {
  auto answer = settings_.answer(statement, setting_sources());
  if (auto* error = std::get_if<ProxyError>(&answer)) return refuse(*error, true, out);
  // Upstream the statement is empty: Bind, Describe and Execute of it then behave as the
  // server would (failed block, parameter count), and their replies carry the answer.
  encode_to(protocol::Parse{std::string(name), "", {}}, out);
  auto info = std::make_shared<ObjectInfo>();
  info->answer = std::make_shared<const rewrite::ProxyStatement>(statement);
  Expectation e;
  e.kind = Expectation::Kind::Statement;
  e.at = positions_.on_forward(protocol::Parse::kCode);
  e.name = name;
  e.ticket = statements_.request(name, std::move(info), e.at.batch);
  expect(std::move(e));
  return Verdict::Replace;
}

InfoPtr Conversation::latest(const std::vector<ObjectTable::Candidate>& candidates) {
  // Inside a batch the latest request is what the server has when the next message runs
  // (had it failed, the server would skip that message too); the checks of every
  // candidate still apply at Bind.
  for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
    if (it->ticket != 0 || it + 1 == candidates.rend()) return it->info;
  }
  return nullptr;
}

std::span<const ObjectTable::Candidate> Conversation::in_effect_at_bind(
    const std::vector<ObjectTable::Candidate>& candidates) const {
  // A request in the Bind's own batch is what the server has when the Bind runs: had it
  // failed, the server would skip the Bind too (until Sync). Across batches, any candidate
  // may still be the server's, so all are checked.
  const ObjectTable::Candidate& last = candidates.back();
  if (last.ticket != 0 && last.batch == positions_.next_send().batch) return {&last, 1};
  return candidates;
}

Conversation::Verdict Conversation::on_bind(const Frame& f, std::string* out) {
  const auto names = protocol::leading_names(f.code, f.body);
  if (!names) return malformed(protocol::kInvalidString, true, out);
  if (reserved(names->first) || reserved(names->second))
    return refuse(reserved_name_error(reserved(names->first) ? names->first : names->second), true, out);
  const auto* candidates = statements_.find(names->second);
  const bool portal_tracked = portals_.tracks(names->first);
  const InfoPtr kind = candidates != nullptr ? latest(*candidates) : nullptr;
  const bool dry = dry_running() || (kind && kind->dry_run);
  if (candidates == nullptr && !portal_tracked && !dry) return forward(f.code);

  auto decoded = protocol::decode_frontend(f.code, f.body);
  if (!decoded.ok()) return malformed(protocol::postgres_reason(decoded.status()), true, out);
  auto& b = std::get<protocol::Bind>(*decoded);
  if (dry) {
    if (auto answered = dry_run_bind(b, kind, out)) return *answered;
  }
  std::optional<Rebound> rebound;  // the text a statement routed by its $n runs with these values
  if (candidates != nullptr) {
    // Every check of every statement the name may be on the server now.
    const auto in_effect = in_effect_at_bind(*candidates);
    for (const auto& c : in_effect) {
      const auto held = take_held_bind(c.info);  // presented again after a budget wait
      rebound = held ? held->rebound : c.info ? route_bind(*c.info, b, in_effect.size() == 1) : std::nullopt;
      if (rebound && rebound->verdict.outcome == policies::Verdict::Outcome::Refuse)
        return refuse(to_error(rebound->verdict, rebound->routed), true, out);
      const auto& check = rebound ? rebound->check : c.info ? c.info->check : nullptr;
      // A plan's steps may read what the statement does not: checked with the values too,
      // in one check with the statement's own (once: a Bind presented again after a
      // budget wait passed them).
      policies::Verdict v;
      const bool steps_now = c.info && c.info->steps_check && options_->governor != nullptr && !held;
      if (steps_now) {
        const auto steps = bound_steps(*options_->governor, *c.info->steps_check, b.params, b.param_formats, identity_,
                                       check.get(), &v);
        if (steps.plan) return refuse(plan_refusal(*steps.plan, transaction_status_), true, out);
        if (steps.notice.outcome == policies::Verdict::Outcome::Notice) notice(steps.notice, positions_.next_send());
      }
      if (!check || options_->governor == nullptr) continue;
      if (!steps_now)
        v = held && held->verdict ? *held->verdict
                                  : options_->governor->check_bind(*check, b.params, b.param_formats, identity_);
      if (v.outcome == policies::Verdict::Outcome::Refuse)
        return refuse(rebound ? to_error(v, rebound->routed) : to_error(v), true, out);
      ProxyError budget_error;
      std::vector<ProxyError> budget_notices;
      std::shared_ptr<policies::BudgetReservation> hold;
      switch (budget_.admit(v, identity_.user, &budget_error, &budget_notices, &hold)) {
        case BudgetGate::Step::Wait: return hold_bind(c.info, rebound, v);
        case BudgetGate::Step::Refuse: return refuse(budget_error, true, out);
        case BudgetGate::Step::Go: break;
      }
      if (v.outcome == policies::Verdict::Outcome::Notice) notice(v, positions_.next_send());
      hold_budget(std::move(hold), budget_notices, positions_.next_send());
    }
  }
  if (progress_) progress_->held_route.reset();  // one no candidate took (the candidates changed during the wait)
  InfoPtr portal_info;
  Verdict verdict = Verdict::Forward;
  if (kind && kind->plan) {
    auto i = std::make_shared<ObjectInfo>(*kind);
    i->check = nullptr;
    i->steps_check = nullptr;
    i->bind = std::make_shared<const protocol::Bind>(b);
    portal_info = std::move(i);
    // The empty statement upstream takes no parameters: the plan's steps get them.
    encode_to(protocol::Bind{b.portal, b.statement, {}, {}, b.result_formats}, out);
    verdict = Verdict::Replace;
  } else if (kind && kind->answer) {
    portal_info = kind;
  } else if (kind && kind->sql_steps) {
    auto i = std::make_shared<ObjectInfo>(*kind);
    i->check = nullptr;
    i->bind = std::make_shared<const protocol::Bind>(b);  // its $n, for the EXECUTE's arguments
    portal_info = std::move(i);
  }
  if (rebound && !rebound->rebind) rebound.reset();
  const ReplyPosition at = rebound ? bind_rebound(b, *rebound, out) : positions_.on_forward(f.code);
  if (portal_info || portal_tracked) {
    Expectation e;
    e.kind = Expectation::Kind::Portal;
    e.at = at;
    e.name = b.portal;
    e.ticket = portals_.request(b.portal, std::move(portal_info), at.batch);
    expect(std::move(e));
  }
  if (!rebound) return verdict;
  close_rebound(out);
  explain_routing(rebound->routed, at);
  return Verdict::Replace;
}

Conversation::Verdict Conversation::on_describe(const Frame& f, std::string* out) {
  const auto names = protocol::leading_names(f.code, f.body);
  if (!names) return malformed(protocol::kInvalidString, true, out);
  if (reserved(names->first)) return refuse(reserved_name_error(names->first), true, out);
  const auto* candidates = (names->kind == 'S' ? statements_ : portals_).find(names->first);
  if (candidates == nullptr) return forward(f.code);
  const InfoPtr info = latest(*candidates);
  const ReplyPosition at = positions_.on_forward(f.code);
  if (info && info->dry_run) {
    dry_run_describe(*info, names->kind, at);
    return Verdict::Forward;
  }
  if (!info || (!info->answer && !info->plan)) return Verdict::Forward;
  Expectation e;
  e.at = at;
  if (info->answer) {
    auto answer = settings_.answer(*info->answer, setting_sources());
    if (auto* a = std::get_if<ProxyAnswer>(&answer)) e.bytes = a->row_description;
    e.kind = Expectation::Kind::AnswerDescribe;
  } else {
    // The plan's statement takes the parameters its Parse declared (unspecified: text).
    protocol::ParameterDescription d;
    for (const int32_t t : info->param_types) d.type_oids.push_back(t == 0 ? 25 : t);
    if (names->kind == 'S') e.bytes = encode_backend(std::move(d));
    e.kind = Expectation::Kind::PlanDescribe;
  }
  expect(std::move(e));
  return Verdict::Forward;
}

Conversation::Verdict Conversation::on_execute(const Frame& f, std::string* out) {
  const auto names = protocol::leading_names(f.code, f.body);
  if (!names) return malformed(protocol::kInvalidString, true, out);
  if (reserved(names->first)) return refuse(reserved_name_error(names->first), true, out);
  const auto* candidates = portals_.find(names->first);
  if (candidates == nullptr) return forward(f.code);
  const InfoPtr info = latest(*candidates);
  if (info && info->plan) {
    const Verdict v = plan_execute(*info, names->first, out);
    hold_steps(out);  // plan_retry.cc: a retryable run waits for the message after it
    return v;
  }
  if (info && info->sql_steps) {
    // Decided now, not at Bind: the names it executes may have changed since.
    SqlStepsChecked checked = check_sql_steps(*info->sql_steps, info->bind.get(), nullptr);
    if (checked.refusal) return refuse(to_error(*checked.refusal), true, out);
    ProxyError budget_error;
    std::vector<ProxyError> budget_notices;
    std::shared_ptr<policies::BudgetReservation> hold;
    switch (budget_.admit(with_execute_charges({}, checked), identity_.user, &budget_error, &budget_notices, &hold)) {
      case BudgetGate::Step::Wait: return Verdict::Wait;
      case BudgetGate::Step::Refuse: return refuse(budget_error, true, out);
      case BudgetGate::Step::Go: break;
    }
    const ReplyPosition at = positions_.on_forward(f.code);
    record_sql_steps(*info->sql_steps, checked, at, false);
    hold_budget(std::move(hold), budget_notices, at);
    return Verdict::Forward;
  }
  const ReplyPosition at = positions_.on_forward(f.code);
  if (info && (info->answer || info->dry_run_reply)) {
    Expectation e;
    e.kind = Expectation::Kind::AnswerExecute;
    e.at = at;
    e.answer = info->answer;
    if (info->dry_run_reply) e.bytes = *info->dry_run_reply;
    expect(std::move(e));
  }
  return Verdict::Forward;
}

Conversation::Verdict Conversation::on_close(const Frame& f, std::string* out) {
  const auto names = protocol::leading_names(f.code, f.body);
  if (!names) return malformed(protocol::kInvalidString, true, out);
  if (reserved(names->first)) return refuse(reserved_name_error(names->first), true, out);
  ObjectTable& table = names->kind == 'S' ? statements_ : portals_;
  if (!table.tracks(names->first)) return forward(f.code);
  // The object is gone only once the server says CloseComplete: a Close skipped after an
  // earlier error leaves it, and its checks, in place.
  Expectation e;
  e.kind = names->kind == 'S' ? Expectation::Kind::Statement : Expectation::Kind::Portal;
  e.at = positions_.on_forward(f.code);
  e.name = names->first;
  e.ticket = table.request(names->first, nullptr, e.at.batch);
  expect(std::move(e));
  return Verdict::Forward;
}

Conversation::Verdict Conversation::on_function_call(std::string* out) {
  // A FunctionCall's arguments may be SQL text (query_to_xml): nothing the proxy can
  // analyse, so sessions that policies govern may not use the message at all.
  if (options_->governor != nullptr && options_->governor->governs(identity_)) {
    return refuse(ProxyError{"ERROR", "42501",
                             "blueshift: the FunctionCall protocol message is not allowed for sessions that policies "
                             "govern",
                             "", "Call the function in a SELECT statement instead."},
                  false, out);
  }
  return forward(protocol::FunctionCall::kCode);
}

// ------------------------------------------------------------------ plans

Conversation::Verdict Conversation::plan_query(const rewrite::PlanPtr& plan, std::string* out) {
  // Outside a block the steps run in one transaction of their own; inside one they are
  // part of the client's, which a failing step fails, as PostgreSQL would leave it.
  if (plan->copy_in) return copy_in_query(plan, out);
  auto run = start_run(plan);
  run->own_transaction = plan->atomic && transaction_status_ == 'I';
  if (run->own_transaction && retries(*plan)) progress().retryable_run = run;
  send_script(run, out);
  return Verdict::Replace;
}

void Conversation::send_script(const std::shared_ptr<PlanRun>& run, std::string* out) {
  const rewrite::PlanPtr& plan = run->plan;
  const bool wrap = run->own_transaction;
  static const rewrite::PlanStep begin = swallowed_step("BEGIN"), commit = swallowed_step("COMMIT"),
                                 rollback = swallowed_step("ROLLBACK");
  std::vector<const rewrite::PlanStep*> steps;
  if (wrap) steps.push_back(&begin);
  for (const auto& s : plan->steps)
    if ((wrap || !s.own_transaction_only) && !s.implicit_only) steps.push_back(&s);
  if (wrap) steps.push_back(&commit);
  run->script = plan_script(steps);
  encode_to(protocol::Query{run->script.text}, out);
  Expectation e;
  e.kind = Expectation::Kind::PlanStep;
  e.at = positions_.on_forward(protocol::Query::kCode);
  e.whole_batch = true;
  e.run = run;
  e.replies = steps.front()->replies;
  e.step = steps.front();
  e.script = true;
  e.last = !wrap;
  expect(e);
  if (!wrap) return;
  // An error leaves the script's own block failed: this ends it (after COMMIT, it warns).
  encode_to(protocol::Query{rollback.sql}, out);
  e.at = positions_.on_forward(protocol::Query::kCode);
  e.replies = rollback.replies;
  e.step = &rollback;
  e.script = false;
  e.last = true;
  expect(std::move(e));
}

void Conversation::send_query_steps(const std::shared_ptr<PlanRun>& run,
                                    const std::vector<const rewrite::PlanStep*>& steps, std::string* out) {
  for (size_t i = 0; i < steps.size(); ++i) {
    encode_to(protocol::Query{steps[i]->sql}, out);
    Expectation e;
    e.kind = Expectation::Kind::PlanStep;
    e.at = positions_.on_forward(protocol::Query::kCode);
    e.whole_batch = true;
    e.run = run;
    e.replies = steps[i]->replies;
    e.step = steps[i];
    e.last = i + 1 == steps.size();
    expect(std::move(e));
  }
}

std::shared_ptr<PlanRun> Conversation::run_plan(const ObjectInfo& portal,
                                                std::span<const std::shared_ptr<const protocol::Bind>> rows,
                                                std::string held, std::string* out, bool unnamed_rows) {
  // In the extended protocol everything up to Sync is one implicit transaction (or part
  // of the client's block): the steps need no BEGIN/COMMIT of their own, and after an
  // error the server skips the rest, as it would the client's own statement.
  auto run = start_run(portal.plan);
  run->held = std::move(held);
  run->extended = true;
  run->param_types = portal.param_types;
  run->bound.assign(rows.begin(), rows.end());
  run->unnamed_rows = unnamed_rows;
  send_plan_steps(run, out);
  note_extended_run(run);  // plan_retry.cc: retried if the client's Sync follows at once
  return run;
}

void Conversation::send_plan_steps(const std::shared_ptr<PlanRun>& run, std::string* out) {
  const auto& steps = run->plan->steps;
  const auto& rows = run->bound;
  const bool in_block = transaction_status_ != 'I';
  for (size_t i = 0; i < steps.size(); ++i) {
    if ((steps[i].block_only && !in_block) || (steps[i].implicit_only && in_block) || steps[i].own_transaction_only)
      continue;
    const bool params = steps[i].uses_params;
    // The Close before Parse drops a step statement left by an earlier batch whose error
    // made the server skip its closing Close (closing none is no error).
    std::vector<std::pair<protocol::FrontendMessage, uint32_t>> messages = {
        {protocol::Close{'S', kStepName}, 0},
        {protocol::Parse{kStepName, steps[i].sql, params ? run->param_types : std::vector<int32_t>{}}, 0}};
    // A named portal must be closed before it is bound again; the unnamed one is replaced.
    const char* portal_name = params && run->unnamed_rows ? "" : kStepName;
    for (uint32_t r = 0; r < (params ? rows.size() : 1); ++r) {
      const protocol::Bind& b = *rows[r];
      messages.push_back({protocol::Bind{portal_name, kStepName, params ? b.param_formats : std::vector<int16_t>{},
                                         params ? b.params : std::vector<std::optional<std::string>>{}, {}},
                          r});
      messages.push_back({protocol::Execute{portal_name, 0}, r});
      if (*portal_name != '\0') messages.push_back({protocol::Close{'P', kStepName}, r});
    }
    messages.push_back({protocol::Close{'S', kStepName}, 0});
    for (const auto& [m, row] : messages) {
      encode_to(m, out);
      Expectation e;
      e.kind = Expectation::Kind::PlanStep;
      e.at = positions_.on_forward(protocol::code_of(m));
      e.run = run;
      e.replies = steps[i].replies;
      e.step = &steps[i];
      e.execute = std::holds_alternative<protocol::Execute>(m);
      e.last = e.execute && i + 1 == steps.size();
      e.row = row;
      expect(std::move(e));
    }
  }
}

void Conversation::expect(Expectation e) { pending_.push_back(std::move(e)); }

}  // namespace blueshift::proxy
