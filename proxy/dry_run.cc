// Conversation, dry runs (SET blueshift.dry_run = on): a text that would scan answers what
// it would scan instead of running (policies/dry_run.h), through the same Answer path as
// SET/SHOW blueshift.*: upstream gets an empty statement, which runs nothing and keeps the
// server's transaction state exact, and its reply is replaced by the dry-run rows.
//
// What still runs during a dry run: texts made only of transaction control (BEGIN, COMMIT,
// ROLLBACK, SAVEPOINT, ...), SET/RESET and SHOW, which scan nothing and keep the session's
// transactions and settings as the client expects. Everything else, whether it scans a
// table or not, is answered (zero rows when it scans no external table), so that nothing
// a dry run sends is scanned or billed. A text mixing both is answered whole.
//
// Extended protocol: a statement prepared during a dry run is empty upstream; its Bind
// carries no values upstream (the estimate takes them), Describe answers the dry-run
// columns, and Execute the rows. It stays a dry-run statement for its life. A statement
// prepared before the dry run began is refused at Bind during it: its text is not known.
#include "proxy/conversation.h"
#include "proxy/dry_run_answer.h"
#include "proxy/expectation.h"

#include "rewrite/analyzer.h"

namespace blueshift::proxy {
namespace {

using protocol::ProxyError;

constexpr std::string_view kDryRun = "blueshift.dry_run";
// Without a governor (and its max_statement_bytes), a longer text is not parsed: it is
// answered, never run, with no rows.
constexpr size_t kMaxUngovernedBytes = size_t{1} << 20;

// What a dry run of the text finds; without a governor nothing is governed or priced, but
// the text still only runs when it is transaction control, SET or SHOW.
policies::DryRun dry_run_of(policies::Governor* governor, std::string_view sql,
                            const policies::SessionContext& session, const std::vector<int32_t>& types,
                            const protocol::Bind* bind) {
  if (governor == nullptr) {
    rewrite::AnalysisContext context;
    context.max_bytes = kMaxUngovernedBytes;
    const rewrite::QueryFacts facts = rewrite::analyze(sql, context);
    return policies::DryRun{policies::runs_in_dry_run(facts), facts.max_param, {}};
  }
  const std::vector<uint32_t> oids(types.begin(), types.end());
  static const std::vector<int16_t> kNoFormats;
  return governor->dry_run(sql, session, oids, bind ? &bind->params : nullptr,
                           bind ? bind->param_formats : kNoFormats);
}

std::string reply_of(const ProxyAnswer& a) {
  return a.rows + encode_backend(protocol::CommandComplete{a.tag});
}

}  // namespace

bool Conversation::dry_running() const { return settings_.enabled(kDryRun); }

std::optional<Conversation::Verdict> Conversation::dry_run_query(std::string_view sql, std::string* out) {
  const auto routed = route(sql);
  const auto dry = dry_run_of(options_->governor, routed ? std::string_view(routed->sql) : sql, identity_, {}, nullptr);
  if (dry.runs) return std::nullopt;
  const ProxyAnswer a = dry_run_answer(dry.rows);
  protocol::encode(protocol::Query{""}, *out);
  Expectation e;
  e.kind = Expectation::Kind::AnswerQuery;
  e.at = positions_.on_forward(protocol::Query::kCode);
  e.whole_batch = true;
  e.bytes = a.row_description + reply_of(a);
  expect(std::move(e));
  return Verdict::Replace;
}

std::optional<Conversation::Verdict> Conversation::dry_run_parse(const protocol::Parse& p, std::string* out) {
  const auto routed = route(p.query);
  const std::string& sql = routed ? routed->sql : p.query;
  const auto dry = dry_run_of(options_->governor, sql, identity_, p.param_types, nullptr);
  if (dry.runs) return std::nullopt;
  protocol::encode(protocol::Parse{p.statement, "", {}}, *out);
  auto info = std::make_shared<ObjectInfo>();
  info->dry_run = std::make_shared<const DryRunStatement>(DryRunStatement{sql, dry.params});
  info->param_types = p.param_types;
  track(true, p.statement, std::move(info), protocol::Parse::kCode);
  return Verdict::Replace;
}

std::optional<Conversation::Verdict> Conversation::dry_run_bind(const protocol::Bind& b, const InfoPtr& statement,
                                                                std::string* out) {
  if (!statement || !statement->dry_run) {
    // Statements the proxy answers (SET blueshift.dry_run = off) run as usual.
    if (!dry_running() || (statement && (statement->dry_run_runs || statement->answer))) return std::nullopt;
    return refuse(ProxyError{"ERROR", "55000",
                             "blueshift: prepared statement \"" + b.statement + "\" was prepared before the dry run began",
                             "During SET blueshift.dry_run = on, only statements prepared in the dry run may be bound.",
                             "Prepare it again, or SET blueshift.dry_run = off."},
                  true, out);
  }
  for (const int16_t f : b.result_formats) {
    if (f != 0)
      return refuse(ProxyError{"ERROR", "0A000", "blueshift: a dry run answers in text format only", "",
                               "Request text result format for dry-run statements."},
                    true, out);
  }
  const auto dry = dry_run_of(options_->governor, statement->dry_run->sql, identity_, statement->param_types, &b);
  auto portal = std::make_shared<ObjectInfo>();
  portal->dry_run = statement->dry_run;
  portal->dry_run_reply = std::make_shared<const std::string>(reply_of(dry_run_answer(dry.rows)));
  // The empty statement upstream takes no parameters and has no columns.
  protocol::encode(protocol::Bind{b.portal, b.statement, {}, {}, {}}, *out);
  track(false, b.portal, std::move(portal), protocol::Bind::kCode);
  return Verdict::Replace;
}

void Conversation::track(bool statement, const std::string& name, InfoPtr info, char code) {
  Expectation e;
  e.kind = statement ? Expectation::Kind::Statement : Expectation::Kind::Portal;
  e.at = positions_.on_forward(code);
  e.name = name;
  e.ticket = (statement ? statements_ : portals_).request(name, std::move(info), e.at.batch);
  expect(std::move(e));
}

void Conversation::dry_run_describe(const ObjectInfo& info, char kind, ReplyPosition at) {
  if (kind == 'S') {  // the empty statement's ParameterDescription: the dry-run statement's
    Expectation p;
    p.kind = Expectation::Kind::PlanDescribe;
    p.at = at;
    p.bytes = dry_run_parameters(info.param_types, info.dry_run->params);
    expect(std::move(p));
  }
  Expectation e;
  e.kind = Expectation::Kind::AnswerDescribe;
  e.at = at;
  e.bytes = dry_run_row_description();
  expect(std::move(e));
}

}  // namespace blueshift::proxy
