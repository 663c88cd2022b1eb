// The proxy's single entry point into policies: is this statement allowed for this
// session? Thread-safe, shared by all sessions; holds an immutable snapshot of the policy
// configuration and the catalog (shared_ptr<const ...>), swapped atomically on reload.
//
// Decisions are pure functions of (policy snapshot, QueryFacts, session facts); the
// Governor adds caching, the catalog snapshot, audit lines and counters around them.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/budget.h"
#include "policies/session_groups.h"
#include "yaml-cpp/yaml.h"

namespace blueshift::rewrite {
struct QueryFacts;
}

namespace blueshift::policies {

struct ScopeMemo;  // policies/governor.cc

// Who is asking, as the proxy knows it from the startup packet and the socket.
struct SessionContext {
  std::string user;
  std::string database;
  std::string application_name;
  std::string client_address;
  // The session's search_path as set (startup parameter or SET search_path); may contain
  // "$user". Empty means the server default ("$user", public).
  std::vector<std::string> search_path;
  // True when the server's search_path may differ from search_path (SET LOCAL, SET inside a
  // transaction block that may roll back, set_config(), startup options). Unqualified names
  // then resolve to governed tables first: the proxy never under-governs on a guess.
  bool search_path_uncertain = false;
  // The server process of the session (BackendKeyData): reconcile matches the warehouse's
  // record of what a statement scanned to the estimate by it (policies/reconcile.h).
  int32_t backend_pid = 0;
  // The governor's note of what this session's rules make it look for in a text
  // (policies/governor.cc): it holds what it was made from and is remade when any of that
  // differs, so a change of application name, policies or catalog is never missed.
  mutable std::shared_ptr<const ScopeMemo> scope_memo;
};

// What running a text would do to the session, whatever the decision on it: the proxy
// applies it only when the text runs (a refused statement does not).
struct SessionEffect {
  // Set when the text changes the session's search_path (SET search_path ...).
  std::optional<std::vector<std::string>> new_search_path;
  // The server's search_path may differ from new_search_path (or from the session's, when
  // new_search_path is unset) afterwards: SET LOCAL, set_config(), a SET in a text with
  // other statements (its implicit transaction may roll back), ...
  bool search_path_uncertain = false;
};

// The decision on a statement, and nothing else.
struct Verdict {
  enum class Outcome {
    Pass,    // forward as is
    Notice,  // forward, and send the client a NoticeResponse (warn mode)
    Refuse,  // do not run: the client gets an ErrorResponse (enforce mode)
  };
  Outcome outcome = Outcome::Pass;
  // For Notice and Refuse: the text the client sees.
  // Refuse: 42501 (insufficient_privilege) for every policy refusal; Notice: 01000
  // (warning), sent with severity WARNING.
  std::string sqlstate;
  std::string message;  // one line naming the table and rule
  std::string detail;   // what was found
  std::string hint;     // how to fix the query
  // Not refused, and budgets charge the session: the statement's estimate and the
  // accounts it is charged to (policies/budgets.h); null otherwise.
  std::shared_ptr<const BudgetCharge> budget;
};

// Facts of a Parse'd statement whose decision waits for its $n values at Bind.
struct PreparedCheck;

// A check of a text: the decision, the text's effect on the session, and (Parse only)
// the check to run at each Bind when the decision needs the $n values.
struct Checked {
  Verdict verdict;
  SessionEffect effect;
  std::shared_ptr<const PreparedCheck> deferred;
};

// One argument of SQL EXECUTE name(...) as the server receives it: a constant's text
// (nullopt: NULL), or not known (an expression), which may then match any partition.
struct ExecuteArgument {
  std::optional<std::string> text;
  bool known = true;
};

// One rule that applies to a session, as SHOW blueshift.rules lists it.
struct RuleSummary {
  std::string name;
  std::string type;    // as the config names it: require_partition_filter, max_partitions, ...
  std::string mode;    // enforce, warn, audit
  std::string tables;  // the rule's `tables` globs, comma-separated, as configured ("" = every governed table)
};

// One rule of the running policies with how often it fired (SHOW RULES, /metrics).
struct RuleTally {
  RuleSummary rule;
  std::array<uint64_t, 3> counts{};  // refused, warned, audited (rule_counts.h)
};

// What reconcile paired so far (reconcile_stats.h, /metrics).
struct ReconcileCounts {
  uint64_t matched = 0;    // estimates paired with the query the warehouse recorded
  uint64_t unmatched = 0;  // estimates that waited in vain and were dropped
  uint64_t estimated_bytes = 0, actual_bytes = 0;  // of the matched ones
  // (estimated - actual) / actual of the matched ones that scanned something: counts per
  // bucket of reconcile_error_bounds(), cumulative, the last for +Inf.
  std::vector<uint64_t> error_cumulative;
  double error_sum = 0;
  uint64_t error_count = 0;
};

// The estimated scans of one group's statements that ran (scan_spend.h, /metrics).
struct ScanSpendTally {
  std::string group;
  uint64_t statements = 0;
  uint64_t bytes = 0;        // estimated bytes read (before billing's rounding)
  uint64_t nanodollars = 0;  // estimated dollars billed (rounding and minimum)
};

struct SessionFacts;  // policies/evaluate.h
// Catalog source, audit file and clock; see policies/governor_options.h.
struct GovernorOptions;
struct RewriteRecord;  // policies/rewrite_audit.h

// SET blueshift.dry_run = on: see policies/dry_run.h.
struct DryRun;

// Also the sessions' groups for scopes outside the policies (session_groups.h).
class Governor : public SessionGroups {
 public:
  // policies: the `policies:` node of the config (may be null: nothing is governed).
  // catalog_conninfo: libpq connection string of the service connection used to read
  // svv_external_columns / svv_external_partitions and group membership ("" = no catalog).
  // audit_path: file that receives one JSON line per non-pass decision ("" = none).
  // Throws std::runtime_error on an invalid policy configuration (start-up only).
  static std::shared_ptr<Governor> create(const YAML::Node& policies, std::string catalog_conninfo,
                                          std::string audit_path);
  // The same with every collaborator spelled out (tests inject a catalog and a clock).
  static std::shared_ptr<Governor> create(const YAML::Node& policies, const GovernorOptions& options);
  // Parses and validates only, without connecting anywhere (--check-config). Throws
  // std::runtime_error("policies.rules[1].mode (line 7, column 11): ...") on an error.
  static void validate(const YAML::Node& policies);
  virtual ~Governor() = default;

  // The checks below never block on I/O: they run on the proxy's I/O threads, once per
  // statement. The effect is computed whatever the verdict.
  //
  // Simple-protocol Query: every statement of the text is checked; any refusal refuses
  // the whole message.
  [[nodiscard]] virtual Checked check_query(std::string_view sql, const SessionContext& session) = 0;

  // Extended-protocol Parse, with the parameter types the message declared (0 =
  // unspecified), so that binary Bind values of those types (int, float, numeric, date,
  // text) can be read; a binary value of an unspecified type cannot be read and may then
  // match any partition, which errs towards refusing under max_partitions. If the
  // decision needs the $n values, the verdict is Pass and `deferred` is set: call
  // check_bind with it at each Bind of that statement. Parse runs nothing: whether the
  // effect happens is up to the Binds and Executes that follow.
  [[nodiscard]] virtual Checked check_parse(std::string_view sql, const SessionContext& session,
                                            const std::vector<uint32_t>& param_types) = 0;
  // The checks' first test, without a parse: false when check_query and check_parse of the
  // text would return Checked{} (it names nothing the session's rules, budgets or
  // search_path tracking look for). A false answer stands for that check and counts as one.
  [[nodiscard]] virtual bool may_matter(std::string_view sql, const SessionContext& session) {
    (void)sql;
    (void)session;
    return true;
  }
  [[nodiscard]] virtual Verdict check_bind(const PreparedCheck& prepared,
                                           const std::vector<std::optional<std::string>>& params,
                                           const std::vector<int16_t>& param_formats,
                                           const SessionContext& session) = 0;
  // SQL EXECUTE name(args), decided as a Bind is. The proxy checks a SQL PREPARE's body
  // with check_parse and its declared types; prepared is that check's deferred one (null
  // when it needs no values: then this passes). unknown: the proxy did not see the
  // statement prepared, so nothing says what it reads, and it fails closed as code that
  // builds SQL at run time does.
  // The statements a plan runs in place of the client's `client` (issue 12), checked as
  // check_query (parse_types null) or check_parse check a text, but recording (audit line,
  // counters) only the findings the client's own check lacks, by rule, table and detail:
  // one statement's findings are recorded once. The verdict is theirs: a step-only warn
  // finding is the client's notice. A deferred check, passed to check_bind, does the same.
  // (Budgets charge the client's statement, not its steps.)
  [[nodiscard]] virtual Checked check_steps(std::string_view steps, std::string_view client,
                                            const SessionContext& session, const std::vector<uint32_t>* parse_types) {
    (void)client;
    return parse_types ? check_parse(steps, session, *parse_types) : check_query(steps, session);
  }
  // A Bind of a planned statement whose steps' check and client's check were both
  // deferred: both decided in one check, the client's statement evaluated once (for its
  // own verdict, returned, and for the findings only the steps add). `steps_verdict`: the
  // steps' as check_bind gives it; when it refuses, the client's is not decided (Pass).
  [[nodiscard]] virtual Verdict check_bind_planned(const PreparedCheck& client, const PreparedCheck& steps,
                                                   const std::vector<std::optional<std::string>>& params,
                                                   const std::vector<int16_t>& param_formats,
                                                   const SessionContext& session, Verdict* steps_verdict) {
    *steps_verdict = check_bind(steps, params, param_formats, session);
    if (steps_verdict->outcome == Verdict::Outcome::Refuse) return Verdict{};
    return check_bind(client, params, param_formats, session);
  }
  [[nodiscard]] virtual Verdict check_execute(const PreparedCheck* prepared, bool unknown,
                                              const std::vector<ExecuteArgument>& args,
                                              const SessionContext& session) = 0;

  // What running the text would scan, with what each table's decision would be, for a
  // dry run: no audit line, no counter, nothing recorded. params: a Bind's values (null:
  // none, every $n matches every partition). Non-blocking, like the checks.
  [[nodiscard]] virtual DryRun dry_run(std::string_view sql, const SessionContext& session,
                                       const std::vector<uint32_t>& param_types,
                                       const std::vector<std::optional<std::string>>* params,
                                       const std::vector<int16_t>& param_formats) = 0;

  // The rules that apply to the session, in policy order (SHOW blueshift.rules), and
  // whether there is any (the proxy refuses the FunctionCall message for such sessions:
  // its argument may be SQL text). Non-blocking, like the checks, with the same
  // fail-closed view of a user whose groups are unknown.
  [[nodiscard]] virtual std::vector<RuleSummary> rules_for(const SessionContext& session) = 0;
  [[nodiscard]] virtual bool governs(const SessionContext& session) = 0;
  // The budgets that charge the session (SHOW blueshift.spend), with the same
  // fail-closed view of unknown groups.
  [[nodiscard]] virtual std::vector<BudgetAccount> budget_accounts_for(const SessionContext& session) {
    (void)session;
    return {};
  }

  // Group membership of users the catalog does not know (logged in after the last
  // catalog load, or every user while no catalog has loaded).
  //
  // Until a user's groups are known, the checks treat them as a member of every group a
  // rule's scope names (so every group-scoped rule applies) and of no group an exemption
  // names: fail closed, never as a member of none. needs_group_lookup is cheap and
  // non-blocking: true when group rules exist and the user's groups are unknown for the
  // current catalog snapshot. lookup_groups blocks on libpq (up to the connect timeout):
  // the proxy runs it on a worker thread and awaits it before the session's first
  // statement. Concurrent lookups of one user share one query. A failed lookup (e.g. the
  // warehouse is out of connection slots) leaves the groups unknown and is retried, with
  // a backoff from 1 s doubling to 60 s, by the next lookup_groups after the backoff;
  // before that, lookup_groups returns at once. A catalog refresh forgets every lookup
  // not in flight. Without a group loader (no catalog) nothing is looked up and group
  // scopes stay failed closed.
  [[nodiscard]] bool needs_group_lookup(const std::string& user) const override = 0;
  void lookup_groups(const std::string& user) override = 0;
  // The session as the checks see it, groups included (groups_unknown until known), for
  // scopes outside the policies (tier rules), so that one look-up serves both. Non-blocking.
  [[nodiscard]] SessionFacts session_facts(const SessionContext& session) override;
  // Scopes outside the policies name groups: look groups up even when no policy rule does.
  void want_groups(bool /*wanted*/) override {}
  // The analysis of sql the checks would make for the session, from their cache, so that
  // the router reads the same one (null: none here, analyse it elsewhere). Non-blocking.
  [[nodiscard]] virtual std::shared_ptr<const rewrite::QueryFacts> analysis(std::string_view sql,
                                                                           const SessionContext& session);

  // False while a catalog is configured and no load of it has succeeded yet (for
  // readiness). Meanwhile, with catalog_tables: true, any table the catalog might list as
  // an external one may be governed, so governed scopes fail closed: a scan of a table
  // not declared under policies.tables (and not a session temp table) breaks every table
  // rule in scope that may cover it (by its qualified name when written qualified; for an
  // unqualified name, by any rule whose table globs could match it in some schema), in
  // that rule's mode, with a message saying the catalog has not loaded (pg_catalog and
  // information_schema excepted); text that could not be analysed breaks every table rule
  // in scope. Declared tables are governed as usual, except that max_partitions refuses
  // them (in its mode) rather than skipping them: their partitions are unknown.
  [[nodiscard]] virtual bool catalog_ready() const = 0;

  // Re-read the policy configuration and the catalog. false (with *error) when the
  // policies are invalid: nothing changes. A catalog that fails to load is logged and the
  // previous one kept, the new policies still apply. Both block on libpq (connect_timeout
  // 10 s unless the conninfo says otherwise): call them off the I/O threads, e.g. from a
  // timer thread every catalog.refresh_seconds.
  virtual bool reload(const YAML::Node& policies, std::string* error) = 0;
  virtual bool refresh_catalog(std::string* error) = 0;

  // Counters for the stats log line.
  struct Counters {
    uint64_t checked = 0, parsed = 0, cache_hits = 0, refused = 0, warned = 0, audited = 0;
  };
  [[nodiscard]] virtual Counters counters() const = 0;
  // Every rule of the running policies, in policy order, with its counts by outcome.
  [[nodiscard]] virtual std::vector<RuleTally> rule_tallies() const { return {}; }
  // Estimated scan bytes and dollars of the statements that ran, by group (scan_spend.h).
  [[nodiscard]] virtual std::vector<ScanSpendTally> scan_spend() const { return {}; }
  // Estimates against what the warehouse billed (reconcile_stats.h).
  [[nodiscard]] virtual ReconcileCounts reconcile_counts() const { return {}; }

  // One rewritten statement's audit line (issue 12), queued like a decision's.
  virtual void audit_rewrite(const RewriteRecord& /*record*/, const SessionContext& /*session*/) {}
};

}  // namespace blueshift::policies
