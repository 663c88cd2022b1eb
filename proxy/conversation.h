// The session's logic apart from its sockets (DESIGN.md, "One session, one pipeline"):
// what the server reported, what to do with each client message, and how each server
// reply folds into what the client gets. `proxy/session.cc` keeps the sockets, TLS, the
// login relay, the pumps and timers, and hands every logged-in message to this class;
// unit tests drive it with message sequences and no sockets.
//
// Each client message becomes one action:
//   Forward   the very bytes received go upstream (the fast path);
//   Answer    the proxy answers (a refusal, SET/SHOW blueshift.*): upstream gets a message
//             that runs nothing (an empty statement, or one that fails at once), so the
//             server's transaction state stays exact and replies stay in order; its reply
//             is replaced by the proxy's;
//   Plan      one client statement runs upstream as several (rewrite::Plan), whose
//             replies fold into the one reply the client expects.
// Every message written upstream that needs more than passing its replies carries an
// Expectation at its reply position (PgBouncer pairs each request with forward / skip /
// fake; Odyssey applies a step's state change only when it succeeds: so does this).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policies/governor.h"
#include "proxy/text_analysis.h"
#include "proxy/budget_gate.h"
#include "protocol/codec.h"
#include "protocol/error_builder.h"
#include "proxy/in_progress.h"
#include "proxy/object_table.h"
#include "proxy/plan_governed.h"
#include "proxy/proxy_settings.h"
#include "proxy/reply_positions.h"
#include "rewrite/plan.h"
#include "rewrite/routed_text.h"
#include "rewrite/statement_words.h"

namespace blueshift::rewrite {
struct ParamValue;
}

namespace blueshift::proxy {

// Asks whether a statement is to be run as a plan (null: forward it). Routing and staged
// upserts provide one; none is set while no rewrite is configured.
using Planner = std::function<rewrite::PlanPtr(std::string_view sql, const policies::SessionContext&)>;

// Asks whether a statement runs upstream as another text (routing: partition predicates
// added to external scans): nullopt runs it as written. Unlike a plan, a routed text is
// one statement whose replies all pass, so it takes the client's own message's place
// (Query or Parse, so Describe and Bind behave as for the client's text), and it is the
// routed text that the policies check and the planner sees. `tier`: the session's
// SET blueshift.tier (auto, local, external). `params`: a Bind's values, by which $n dates
// route (null: at Parse, where a $n date spans both tiers).
using Router = std::function<std::optional<rewrite::RoutedText>(std::string_view sql, const policies::SessionContext&,
                                                                std::string_view tier,
                                                                const std::vector<rewrite::ParamValue>* params)>;

// The plan of an upsert COPY (rewrite/copy_upsert.h), whose key may come from the
// session's SET blueshift.copy_upsert_key (null: not one).
using CopyPlanner =
    std::function<rewrite::PlanPtr(std::string_view sql, const policies::SessionContext&, std::string_view key)>;

// The planners' and the router's first tests, without a parse: false only when every
// planner, or the router, would answer null for the text (Conversation::untouched).
using PlanGate = std::function<bool(rewrite::StatementWords words, const policies::SessionContext&)>;
using RouteGate = std::function<bool(std::string_view sql)>;

class BlockBegun;
struct Expectation;
struct HeldRoute;
struct PlanRun;
struct Rebound;
struct RetryHold;
struct SqlStepsChecked;
struct UpsertBatch;

class Conversation {
 public:
  struct Options {
    policies::Governor* governor = nullptr;  // null: nothing governed
    Planner planner;                         // empty: no rewrites
    Router router;                           // empty: nothing routed
    CopyPlanner copy_planner;                // empty: no upsert COPY
    policies::Budgets* budgets = nullptr;    // null: no budgets
    // A governed Query or Parse text at least this long is analysed off the I/O thread
    // (Verdict::Analyse); 0: never.
    size_t offload_bytes = 0;
    // With a router: whether it routes anything now (a reload may turn it on); null: always.
    const std::atomic<bool>* routing_on = nullptr;
    PlanGate may_plan;    // for planner and copy_planner; empty: ask them
    RouteGate may_route;  // for router; empty: ask it
  };
  explicit Conversation(Options options);
  // Options shared by the sessions of one configuration: a Conversation keeps 16 bytes of
  // them, not a copy each (an idle session's memory counts, issue 15).
  explicit Conversation(std::shared_ptr<const Options> options);
  ~Conversation();
  Conversation(const Conversation&) = delete;
  Conversation& operator=(const Conversation&) = delete;

  // Who the session is (set at login); search_path follows what the session runs.
  policies::SessionContext& identity() { return identity_; }
  // Between statements: the options of a reloaded configuration (session_reload.cc).
  void set_options(std::shared_ptr<const Options> options) { options_ = std::move(options); }

  enum class Verdict : uint8_t {
    Forward,  // the message's own bytes go on
    Replace,  // *out goes on in its place (possibly nothing)
    Wait,     // call again with the same message once !awaiting_reply()
    Analyse,  // run take_analysis() off the I/O thread, give its result to analysed(), then
              // call again with the same message
  };

  // ---- client -> server, every logged-in message in order.
  // A whole client message (frame.body complete).
  [[nodiscard]] Verdict on_client(const protocol::Frame& frame, std::string* out);
  // Whether a message with this code must arrive whole (it is inspected); others larger
  // than the session's buffer may stream through, announced by on_client_streamed.
  [[nodiscard]] bool inspects_client(char code) const;
  void on_client_streamed(char code);

  // ---- server -> client, every logged-in message in order.
  [[nodiscard]] Verdict on_server(const protocol::Frame& frame, std::string* out);
  // Whether a large server message may stream through to the client unseen.
  [[nodiscard]] bool may_stream_server(char code) const;
  void on_server_streamed(char code);

  // Budgets: a Wait verdict with budget().waiting() set waits for a lease, not the server.
  [[nodiscard]] BudgetGate& budget() { return budget_; }

  // ---- what the server said.
  // A run the client's messages wait for counts too: one cut before its Sync (upsert_batch.h)
  // has replies due that no Sync announced.
  [[nodiscard]] bool awaiting_reply() const {
    return positions_.awaiting_reply() || seen().retry_due != nullptr || seen().retryable_run != nullptr;
  }
  [[nodiscard]] char transaction_status() const { return transaction_status_; }
  void set_transaction_status(char status) { transaction_status_ = status; }  // login's ReadyForQuery
  [[nodiscard]] bool upstream_sent_fatal() const { return upstream_sent_fatal_; }
  // A ParameterStatus (login or later).
  void on_parameter_status(std::span<const uint8_t> body);

  // ---- a staged transaction tried again (proxy/plan_retry.cc): after retry_wait(), the
  // bytes of retry() go upstream; client messages wait until then.
  [[nodiscard]] bool retry_due() const { return seen().retry_due != nullptr; }
  [[nodiscard]] std::chrono::milliseconds retry_wait() const;
  void retry(std::string* out);

  // ---- long analysis, after an Analyse verdict. The task owns copies of what it reads
  // (the text, the session's facts) and may run on any thread while the session goes on.
  [[nodiscard]] bool analysis_pending() const { return static_cast<bool>(seen().analysis); }
  [[nodiscard]] std::function<TextAnalysis()> take_analysis() { return std::exchange(progress().analysis, {}); }
  void analysed(TextAnalysis analysis) { progress().analysed = std::make_unique<TextAnalysis>(std::move(analysis)); }

 private:
  // What SHOW blueshift.rules / blueshift.spend list for this session.
  ProxySettings::Sources setting_sources();
  // The boxed state, made at its first use; read through seen(), which makes nothing.
  InProgress& progress();
  [[nodiscard]] const InProgress& seen() const { return progress_ ? *progress_ : kIdle; }
  static const InProgress kIdle;

  Verdict forward(char code);
  Verdict dispatch(const protocol::Frame& f, std::string* out);
  Verdict on_query(const protocol::Frame& f, std::string* out);
  Verdict on_parse(const protocol::Frame& f, std::string* out);
  Verdict on_bind(const protocol::Frame& f, std::string* out);
  Verdict on_describe(const protocol::Frame& f, std::string* out);
  Verdict on_execute(const protocol::Frame& f, std::string* out);
  Verdict on_close(const protocol::Frame& f, std::string* out);
  Verdict on_function_call(std::string* out);
  Verdict refuse(const protocol::ProxyError& error, bool extended, std::string* out);
  // A message the proxy cannot decode (postgres_reason: PostgreSQL's words for why).
  Verdict malformed(std::string_view postgres_reason, bool extended, std::string* out);
  // Whether a router routes anything now.
  [[nodiscard]] bool routing() const {
    return options_->router && (options_->routing_on == nullptr || options_->routing_on->load(std::memory_order_acquire));
  }
  // Whether nothing would act on a Query or Parse text (it goes up as it is, unread).
  [[nodiscard]] bool untouched(std::string_view sql);
  // The routed text of sql, or nullopt (no router, or nothing to route).
  std::optional<rewrite::RoutedText> route(std::string_view sql);
  // The analysis of a Query (parse_types null) or Parse text: the one made off the thread
  // for this message, or one made now; nullopt, with the analysis set, when the text is long
  // enough to go off the thread.
  std::optional<TextAnalysis> analyse(std::string_view sql, const std::vector<uint32_t>* parse_types);
  Verdict answer_query(const rewrite::ProxyStatement& statement, std::string* out);
  Verdict answer_parse(std::string_view name, const rewrite::ProxyStatement& statement, std::string* out);
  // SET blueshift.dry_run = on (proxy/dry_run.cc); nullopt: the message goes on as usual.
  [[nodiscard]] bool dry_running() const;
  std::optional<Verdict> dry_run_query(std::string_view sql, std::string* out);
  std::optional<Verdict> dry_run_parse(const protocol::Parse& p, std::string* out);
  std::optional<Verdict> dry_run_bind(const protocol::Bind& b, const InfoPtr& statement, std::string* out);
  void dry_run_describe(const ObjectInfo& info, char kind, ReplyPosition at);
  // A Parse (statement) or Bind (portal) sent upstream that gives `name` the state `info`.
  void track(bool statement, const std::string& name, InfoPtr info, char code);
  // Bind-time routing (proxy/bind_routing.cc): the text a statement routed by its $n runs
  // with a Bind's values, and the policies' word on it (nullopt: not such a statement).
  // may_rebind: the name is surely this statement on the server, so its portal may be made
  // from another text; otherwise the parsed text runs, and is what is checked.
  std::optional<Rebound> route_bind(const ObjectInfo& kind, const protocol::Bind& b, bool may_rebind);
  // The client's portal made from the rebound text; returns the Bind's reply position.
  ReplyPosition bind_rebound(const protocol::Bind& b, const Rebound& r, std::string* out);
  // A routed message that waits (Wait, Analyse) keeps its routing, so that presented again it
  // is routed, logged and audited once (bind_routing.cc); each returns v.
  Verdict hold_route(std::string_view sql, const std::optional<rewrite::RoutedText>& routed, Verdict v);
  Verdict hold_bind(InfoPtr statement, const std::optional<Rebound>& rebound, const policies::Verdict& verdict);
  std::unique_ptr<HeldRoute> take_held_bind(const InfoPtr& statement);
  void close_rebound(std::string* out);
  void send_swallowed(const protocol::FrontendMessage& m, std::string* out);
  Verdict plan_query(const rewrite::PlanPtr& plan, std::string* out);
  // A run's steps as one Query script (in its own transaction when run->own_transaction).
  void send_script(const std::shared_ptr<PlanRun>& run, std::string* out);
  // The end of a run's attempt: its retry is due, or the run is done.
  void end_attempt(const std::shared_ptr<PlanRun>& run);
  // A planned portal's Execute: run now, or held as the start of a folded run.
  Verdict plan_execute(const ObjectInfo& portal, std::string_view portal_name, std::string* out);
  // The plan's steps in the extended protocol, those with the client's $n bound once a row
  // (one row but in a folded run); `held`: a folded run's held messages (upsert_batch.h);
  // `unnamed_rows`: the rows bind the unnamed portal, which the client's own rebinds anyway.
  std::shared_ptr<PlanRun> run_plan(const ObjectInfo& portal, std::span<const std::shared_ptr<const protocol::Bind>> rows,
                                    std::string held, std::string* out, bool unnamed_rows = false);
  // The steps of a run in the extended protocol, bound with its rows (sent again on a retry).
  void send_plan_steps(const std::shared_ptr<PlanRun>& run, std::string* out);
  // Retry in the extended protocol (plan_retry.cc): a run whose client's Sync follows its
  // Execute at once, with nothing else run in the batch, is the implicit transaction's only
  // work; it is held until the next message shows that, then retried as the simple path is.
  void note_extended_run(const std::shared_ptr<PlanRun>& run);
  void hold_steps(std::string* out);
  void release_hold(char code);
  void note_batch(char code);
  // Folded upsert runs (proxy/upsert_batch.cc): whether the message continues the held run;
  // the run sent (into *out); a verdict with a run sent before the message.
  bool batch_takes(const protocol::Frame& f);
  bool batch_takes_bind(const protocol::Frame& f);
  // `next`: the message that ended the run; true when it waits for the run's outcome.
  bool flush_batch(std::string* out, char next);
  // How a folded run's failure is undone before its replay row by row: not at all (None:
  // it fails folded), under the proxy's savepoint, alone in its implicit transaction, or
  // not at all in a block on a warehouse without SAVEPOINT (Folded: Redshift).
  enum class Undo : uint8_t { None, Savepoint, Alone, Folded };
  [[nodiscard]] Undo undo_of(const UpsertBatch& b, char next) const;
  // A replayable run cut before its Sync: the message that cut it, held until the run's
  // outcome and sent before the next message; the run's replies (its end, its failure).
  void hold_cut(const protocol::Frame& f);
  Verdict resume_cut();
  void cut_run_reply(const Expectation& e);
  void release_skipped_cut_run(const ReplyPosition& at);
  void run_rows(const UpsertBatch& b, std::string* out);
  void note_block(const protocol::Frame& f);  // proxy/block_begun.h
  // A folded run that failed, rolled back and run again row by row (upsert_batch.h); the
  // end of a replayable run's batch (*swallow_ready: its ReadyForQuery is not the client's).
  void replay_run(const PlanRun& failed, std::string* out);
  void end_replayable(const Expectation& e, bool* swallow_ready);
  void send_statement(const std::string& sql, std::string* out);
  Verdict with_unsent(const protocol::Frame& f, Verdict v, std::string* out);
  void notice(const policies::Verdict& verdict, ReplyPosition at);
  void notice(const protocol::ProxyError& notice, ReplyPosition at);
  // SET blueshift.explain_routing = on: a NOTICE with the routed text, as a policy warning is.
  void explain_routing(const std::optional<rewrite::RoutedText>& routed, ReplyPosition at);
  void search_path_effect(const policies::SessionEffect& effect, ReplyPosition at);
  // A budgeted statement's notices before its replies, and its hold until they are done.
  void hold_budget(std::shared_ptr<policies::BudgetReservation> hold, const std::vector<protocol::ProxyError>& notices,
                   ReplyPosition at);
  // What a name is on the server when the next message runs: its latest request.
  static InfoPtr latest(const std::vector<ObjectTable::Candidate>& candidates);
  // The candidates whose checks apply to a Bind sent now.
  [[nodiscard]] std::span<const ObjectTable::Candidate> in_effect_at_bind(
      const std::vector<ObjectTable::Candidate>& candidates) const;
  void expect(Expectation e);
  // Each step a Query of its own, its replies folded into the run's.
  void send_query_steps(const std::shared_ptr<PlanRun>& run, const std::vector<const rewrite::PlanStep*>& steps,
                        std::string* out);
  // Upsert COPY (proxy/copy_upsert.cc): the plan for a statement (copy's first), the
  // COPY ... FROM STDIN started, and the rest of its steps at the client's CopyDone.
  GovernedPlan plan_of(std::string_view sql, const std::vector<uint32_t>* parse_types);
  // A plan's run, its steps logged at debug level and its audit line due at its end
  // (proxy/rewrite_audit.cc).
  std::shared_ptr<PlanRun> start_run(const rewrite::PlanPtr& plan);
  Verdict copy_in_query(const rewrite::PlanPtr& plan, std::string* out);
  Verdict copy_in_end(const protocol::Frame& f, std::string* out);
  // SQL PREPARE/EXECUTE/DEALLOCATE/DISCARD ALL (conversation_sql_prepared.cc). Each
  // EXECUTE decided after the steps before it (bind: the $n of an extended-protocol
  // statement; prepares: TextAnalysis::prepares, checks already made, or null).
  SqlStepsChecked check_sql_steps(const rewrite::SqlPreparedText& text, const protocol::Bind* bind,
                                  const std::vector<std::optional<policies::Checked>>* prepares);
  // The text's changes of names, as requests confirmed by their CommandComplete.
  void record_sql_steps(const rewrite::SqlPreparedText& text, SqlStepsChecked& checked, ReplyPosition at,
                        bool whole_batch);
  void fold_sql_prepared(Expectation& e, const protocol::Frame& f);
  void finish_sql_prepared(Expectation& e);
  // Server side.
  Verdict fold(const protocol::Frame& f, std::string* out);
  bool fold_one(Expectation& e, const protocol::Frame& f, std::string* out);
  void finish_batch(char status, std::string* prefix, bool* swallow_ready);
  void finish_one(Expectation& e, char status, std::string* prefix, bool* swallow_ready);
  void note_server_state(const protocol::Frame& f);

  std::shared_ptr<const Options> options_;
  policies::SessionContext identity_;
  ProxySettings settings_;
  ReplyPositions positions_;
  ObjectTable statements_;
  ObjectTable portals_;
  std::vector<Expectation> pending_;  // in reply order; rarely non-empty
  size_t fold_from_ = 0;              // pending_ before it are past their position (fold)
  char transaction_status_ = 'I';
  bool discarding_until_sync_ = false;
  bool upstream_sent_fatal_ = false;
  bool batch_ran_ = false;  // something in the batch ran that a retry would not run again
  uint32_t search_path_effects_ = 0;  // SET search_path texts whose outcome is not known yet
  bool upstream_skipping_ = false;  // the server failed this batch: it skips up to its Sync
  BudgetGate budget_{nullptr};
  // Boxed: an idle session carries only the pointer (in_progress.h).
  std::unique_ptr<InProgress> progress_;
};

}  // namespace blueshift::proxy
