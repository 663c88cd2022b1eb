// The Governor: evaluate() behind a snapshot, a fast path, an analysis cache, audit lines
// and counters. See governor.h for the contract the proxy relies on.
#include "policies/governor.h"
#include "policies/log_text.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>

#include "policies/audit_log.h"
#include "policies/rewrite_audit.h"
#include "policies/catalog_loader.h"
#include "policies/decision_memo.h"
#include "policies/dry_run.h"
#include "policies/evaluate.h"
#include "policies/governed_table.h"
#include "policies/group_lookup.h"
#include "policies/governor_options.h"
#include "policies/policy_set.h"
#include "policies/reconcile_job.h"
#include "policies/rule_counts.h"
#include "policies/scan_spend.h"
#include "rewrite/analyzer.h"
#include "rewrite/bounds.h"
#include "rewrite/literal_template.h"
#include "rewrite/prefilter.h"
#include "spdlog/spdlog.h"

namespace blueshift::policies {

struct PreparedCheck {
  std::shared_ptr<const rewrite::QueryFacts> facts;
  std::vector<uint32_t> param_types;  // as the Parse message declared them
  // A plan's steps (check_steps): the client's statement, whose findings they do not record.
  std::shared_ptr<const rewrite::QueryFacts> client = nullptr;
};

// Which texts a check looks into for one session: those naming a governed table its rules
// or budgets cover, or anything at all (statement rules); with none, only search_path.
struct ScopeGate {
  bool any_rule = false;
  bool statement_rules = false;
  uint64_t wanted = 0;  // Snapshot::names bits
};

// What a session's checks read of it under one snapshot: its facts, the rules in its
// scope, the budgets it pays into, the key its decisions are kept under (DecisionMemo:
// the rules, one bit each, and the user when a deny_statements finding names them), and
// its gate.
struct SessionScope {
  SessionFacts facts;
  std::vector<const Rule*> rules;
  std::vector<BudgetAccount> accounts;
  std::string decision_key;
  std::string any_values_key;  // decision_key and kAnyValues, for decisions that read no value
  ScopeGate gate;
  // The analysis context, made at the first check that analyses a text (a session whose
  // texts all pass the gate never needs one) for the search_path the session had then, and
  // made again when that changes (GovernorImpl::context_of). Its relation_exists holds the
  // snapshot's address: the memo is only read under the snapshot it was made for.
  struct Context {
    rewrite::AnalysisContext context;
    std::vector<std::string> search_path;
    bool search_path_uncertain = false;
    // The session's last short text analysed (a template, for a lifted Query) with its
    // facts, and the last facts decided for any values with that decision: a session sending
    // one statement again and again, with new values, skips the shared caches' hashing and
    // locks. Dropped with the context when the search_path changes.
    std::string last_text;
    std::shared_ptr<const rewrite::QueryFacts> last_facts;
    // When last_text is a lifted template: where its $n stand, to lift the next text of
    // its shape without the scanner (rewrite::relift).
    std::optional<rewrite::TemplateShape> last_shape;
    std::shared_ptr<const rewrite::QueryFacts> decided_facts;
    std::shared_ptr<const Decision> decided;
  };
  mutable std::unique_ptr<Context> context;  // a pointer: idle sessions keep every byte
};

// A session's scope with the key it was made for: the snapshot, whether groups were read,
// and every field of the session its facts hold (compared with the facts' own copies).
struct ScopeMemo {
  uint64_t snapshot = 0;
  bool groups = false;
  std::shared_ptr<const SessionScope> scope;
  // What Governor::may_matter needs of the snapshot without reading it under its lock:
  // the names the gate tests a text with, and whether a rule named groups.
  std::shared_ptr<const rewrite::Prefilter> filter;
  bool group_rule = false;

  [[nodiscard]] bool made_for(uint64_t snap, bool with_groups, const SessionContext& s) const {
    const SessionFacts& f = scope->facts;
    return snapshot == snap && groups == with_groups && f.user == s.user && f.database == s.database &&
           f.application_name == s.application_name && f.client_address == s.client_address &&
           f.backend_pid == s.backend_pid;
  }
};

namespace {

constexpr const char* kRefuseSqlstate = "42501";  // insufficient_privilege
constexpr const char* kWarnSqlstate = "01000";    // warning
constexpr size_t kMaxAlsoLines = 3;
// Appended to a scope's decision key for decisions that read no $n value (decide_with_values).
constexpr char kAnyValues = '\x1e';
constexpr size_t kCacheEntries = 10000;  // analyses kept at most, besides the byte bound
constexpr size_t kMaxRememberedText = 1024;  // bytes of a session's last text (remember_analysed)

// Everything a decision reads, swapped as one piece. The analysis cache lives here
// because cached facts depend on which relations the catalog says exist.
struct Snapshot {
  uint64_t id = 0;  // unique in the process: the key of the sessions' ScopeMemo
  std::shared_ptr<const PolicySet> policy;
  std::shared_ptr<const Catalog> catalog;
  std::shared_ptr<const PartitionSizes> sizes;  // for the cost caps
  std::shared_ptr<rewrite::AnalysisCache> cache;
  // Decisions on the cache's facts; they depend on the policies and catalog too, so they
  // are dropped with the snapshot.
  std::shared_ptr<DecisionMemo> decisions = std::make_shared<DecisionMemo>();
  // Every governed name any rule covers, search_path, and the words of DO blocks and
  // routine bodies: one pass over the text says which of them it may mention.
  std::shared_ptr<const rewrite::Prefilter> names;
  // Per rule (same index as policy->rules): the bits of the governed tables it covers; a
  // text mentioning none of them cannot break the rule.
  std::vector<uint64_t> rule_bits;
  // The proxy learns search_path changes from the texts that may set it, whatever the
  // session's scope. A session no rule applies to looks for that word alone: a pass
  // that looks up fewer words.
  uint64_t search_path_bits = 0;
  // DO blocks, function bodies and calls of functions that run SQL text can build a
  // governed name at run time ('sa' || 'les'), which no name prefilter sees: they are
  // always analysed.
  uint64_t routine_bits = 0;
  // Every governed table: budgets charge scans of any of them.
  uint64_t governed_bits = 0;
  bool any_group_rule = false;
  // The labels of the scan estimates by group (scan_spend.h).
  std::vector<std::string> spend_groups;
  // The catalog has not loaded and would name governed tables: every text a table rule
  // in scope may care about is analysed (fail closed; see Governor::catalog_ready).
  bool analyse_all_tables = false;
};

// Each snapshot gets a fresh analysis cache (see Snapshot), bounded per its policies.
std::shared_ptr<const Snapshot> make_snapshot(std::shared_ptr<const PolicySet> policy,
                                              std::shared_ptr<const Catalog> catalog,
                                              std::shared_ptr<const PartitionSizes> sizes) {
  static std::atomic<uint64_t> last_id{0};
  auto s = std::make_shared<Snapshot>();
  s->id = last_id.fetch_add(1, std::memory_order_relaxed) + 1;
  s->policy = std::move(policy);
  s->catalog = std::move(catalog);
  s->sizes = sizes ? std::move(sizes) : std::make_shared<const PartitionSizes>();
  s->cache = std::make_shared<rewrite::AnalysisCache>(kCacheEntries, s->policy->analysis_cache_bytes);
  const auto governed = governed_tables(*s->policy, *s->catalog);
  const std::vector<std::string> search_path = {"search_path"};
  // Functions running SQL text may be handed a name built at run time too.
  std::vector<std::string> routines = {"do", "function", "procedure"};
  routines.insert(routines.end(), s->policy->sql_text_functions.begin(), s->policy->sql_text_functions.end());
  std::vector<std::vector<std::string>> covered;
  std::set<std::string> all(search_path.begin(), search_path.end());
  all.insert(routines.begin(), routines.end());
  std::vector<std::string> governed_names;
  for (const auto& t : governed) governed_names.push_back(t.name);
  if (!s->policy->budgets.empty()) all.insert(governed_names.begin(), governed_names.end());
  for (const auto& rule : s->policy->rules) {
    std::set<std::string> names;
    for (const auto& t : governed) {
      if (rule_covers(rule, t)) names.insert(t.name);
    }
    all.insert(names.begin(), names.end());
    covered.emplace_back(names.begin(), names.end());
    s->any_group_rule = s->any_group_rule || rule.uses_groups();
  }
  s->names = std::make_shared<const rewrite::Prefilter>(std::vector<std::string>(all.begin(), all.end()));
  for (const auto& names : covered) s->rule_bits.push_back(s->names->bits_of(names));
  s->search_path_bits = s->names->bits_of(search_path);
  s->routine_bits = s->names->bits_of(routines);
  s->governed_bits = s->names->bits_of(governed_names);
  s->analyse_all_tables = s->catalog->pending && s->policy->catalog_tables;
  s->spend_groups = configured_groups(*s->policy);
  return s;
}

// A Parse declaring a parameter numeric or floating point: compared with a partition
// column, it casts the column and the warehouse reads every partition. Bind's values
// carry the type (rewrite::decode_param), so such a statement is decided at Bind.
bool unpruned_types(const std::vector<uint32_t>& param_types) {
  return std::any_of(param_types.begin(), param_types.end(),
                     [](uint32_t oid) { return oid == 700 || oid == 701 || oid == 1700; });
}

// What the analysed text does to the session's search_path, whatever the decision.
SessionEffect effect_of(const rewrite::QueryFacts& qf) {
  SessionEffect e;
  for (const auto& st : qf.statements) {
    if (st.sets_search_path) e.new_search_path = st.sets_search_path;
    if (st.search_path_uncertain) e.search_path_uncertain = true;
  }
  // With other statements the SET runs in an implicit transaction that may roll back.
  if (e.new_search_path && qf.statements.size() > 1) e.search_path_uncertain = true;
  return e;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) (out += out.empty() ? "" : ", ") += item;
  return out;
}

Verdict to_verdict(const Decision& d) {
  Verdict v;
  const Finding* f = d.shown();
  if (!f || (d.outcome != Decision::Outcome::Refuse && d.outcome != Decision::Outcome::Notice)) return v;
  v.outcome = d.outcome == Decision::Outcome::Refuse ? Verdict::Outcome::Refuse : Verdict::Outcome::Notice;
  v.sqlstate = d.outcome == Decision::Outcome::Refuse ? kRefuseSqlstate : kWarnSqlstate;
  v.message = f->message;
  v.detail = f->detail;
  v.hint = f->hint;
  // Other findings of the same weight go in DETAIL, so fixing one does not just reveal
  // the next.
  size_t also = 0, more = 0;
  for (size_t i = 0; i < d.findings.size(); ++i) {
    const Finding& o = d.findings[i];
    if (i == *d.primary || o.note || o.mode != f->mode) continue;
    if (also < kMaxAlsoLines) {
      v.detail += "\nalso: " + o.message + ": " + o.detail;
      ++also;
    } else {
      ++more;
    }
  }
  if (more) v.detail += "\nand " + std::to_string(more) + " more";
  return v;
}

bool same_finding(const Finding& a, const Finding& b) {
  return a.rule == b.rule && a.table == b.table && a.detail == b.detail;
}

// The findings of `steps` that `client` lacks, with the outcome and primary evaluate would
// give them.
Decision only_new(const Decision& steps, const Decision& client) {
  Decision d;
  d.needs_params = steps.needs_params;
  for (const Finding& f : steps.findings) {
    const auto known = [&](const Finding& c) { return same_finding(f, c); };
    if (std::none_of(client.findings.begin(), client.findings.end(), known)) d.findings.push_back(f);
  }
  settle(d);
  return d;
}

class GovernorImpl final : public Governor {
 public:
  GovernorImpl(std::shared_ptr<const PolicySet> policy, GovernorOptions options, std::shared_ptr<AuditLog> audit)
      : options_(std::move(options)), audit_(std::move(audit)), late_users_(options_.load_user_groups, options_.clock) {
    std::shared_ptr<const Catalog> catalog = std::make_shared<Catalog>();
    if (options_.load_catalog) {
      auto loaded = options_.load_catalog();
      if (loaded.ok()) {
        catalog = std::make_shared<Catalog>(std::move(*loaded));
        catalog_loaded_ = true;
      } else {
        auto pending = std::make_shared<Catalog>();
        pending->pending = true;
        catalog = std::move(pending);
        spdlog::error("policies: catalog not loaded; until a refresh succeeds, scans of tables it might govern are "
                      "refused in governed scopes: {}",
                      std::string(loaded.status().message()));
      }
    }
    auto sizes = load_sizes(*policy, nullptr);
    snapshot_ = make_snapshot(std::move(policy), std::move(catalog), std::move(sizes));
    snapshot_id_.store(snapshot_->id, std::memory_order_release);
    if (!options_.catalog_conninfo.empty()) {
      reconcile_ = std::make_unique<ReconcileJob>(
          options_.catalog_conninfo, [this] { return snapshot()->policy->cost.reconcile; }, recorder_,
          reconcile_stats_);
    }
  }

  Checked check_query(std::string_view sql, const SessionContext& session) override {
    return check(sql, session, false, {});
  }

  Checked check_parse(std::string_view sql, const SessionContext& session,
                      const std::vector<uint32_t>& param_types) override {
    return check(sql, session, true, param_types);
  }

  bool may_matter(std::string_view sql, const SessionContext& session) override {
    // The session's memo of the current snapshot answers without the snapshot's lock,
    // which every I/O thread would take for every text.
    const ScopeMemo* m = session.scope_memo.get();
    bool matters = false;
    if (m != nullptr && m->snapshot == snapshot_id_.load(std::memory_order_acquire) &&
        m->made_for(m->snapshot, m->group_rule || groups_wanted_.load(std::memory_order_relaxed), session)) {
      matters = may_matter_to(*m->filter, m->scope->gate, sql);
    } else {
      const auto snap = snapshot();
      const ScopeGate gate = session_scope(*snap, session)->gate;
      matters = may_matter_to(*filter_of(*snap, gate), gate, sql);
    }
    if (!matters) checked_.fetch_add(1, std::memory_order_relaxed);  // the check it stands for
    return matters;
  }

  Checked check_steps(std::string_view steps, std::string_view client, const SessionContext& session,
                      const std::vector<uint32_t>* parse_types) override {
    checked_.fetch_add(1, std::memory_order_relaxed);
    const auto snap = snapshot();
    const SessionFacts facts = session_facts(*snap, session);
    const auto rules = rules_in_scope(*snap->policy, facts);
    if (rules.empty()) return Checked{};
    const rewrite::AnalysisContext context = analysis_context(*snap, session);
    auto qf = snap->cache->analyze(steps, context);
    auto client_qf = snap->cache->analyze(client, context);
    const EvaluateOptions now{false, &rules, nullptr, snap->sizes.get()};
    Decision d = evaluate(*snap->policy, *qf, facts, *snap->catalog, now);
    Checked out;
    if (d.outcome != Decision::Outcome::Refuse && parse_types &&
        (d.needs_params || unpruned_types(*parse_types))) {
      out.deferred = std::make_shared<const PreparedCheck>(PreparedCheck{qf, *parse_types, client_qf});
      return out;
    }
    // No Bind will follow: every unknown value matches every partition, as check_query has it.
    const EvaluateOptions final_options{!parse_types, &rules, nullptr, snap->sizes.get()};
    if (d.needs_params) d = evaluate(*snap->policy, *qf, facts, *snap->catalog, final_options);
    const Decision known = evaluate(*snap->policy, *client_qf, facts, *snap->catalog, final_options);
    out.verdict = record(only_new(d, known), facts, qf->fingerprint);
    return out;
  }

  Verdict check_bind(const PreparedCheck& prepared, const std::vector<std::optional<std::string>>& params,
                     const std::vector<int16_t>& param_formats, const SessionContext& session) override {
    return check_values(prepared, rewrite::bind_values(params, param_formats, prepared.param_types), session);
  }

  Verdict check_bind_planned(const PreparedCheck& client, const PreparedCheck& steps,
                             const std::vector<std::optional<std::string>>& params,
                             const std::vector<int16_t>& param_formats, const SessionContext& session,
                             Verdict* steps_verdict) override {
    if (!client.facts || !steps.facts)
      return Governor::check_bind_planned(client, steps, params, param_formats, session, steps_verdict);
    *steps_verdict = Verdict{};
    const BindScope s = bind_scope(session);
    const SessionScope& scope = *s.scope;
    if (scope.rules.empty() && scope.accounts.empty()) return Verdict{};
    const auto values = rewrite::bind_values(params, param_formats, client.param_types);
    const EvaluateOptions bound{true, &scope.rules, &values, s.snap->sizes.get()};
    const Decision known = evaluate(*s.snap->policy, *client.facts, scope.facts, *s.snap->catalog, bound);
    const Decision d = evaluate(*s.snap->policy, *steps.facts, scope.facts, *s.snap->catalog, bound);
    *steps_verdict = record(only_new(d, known), scope.facts, steps.facts->fingerprint);
    if (steps_verdict->outcome == Verdict::Outcome::Refuse) return Verdict{};
    return finish(known, scope.facts, *s.snap, *client.facts, &values, scope.accounts);
  }

  DryRun dry_run(std::string_view sql, const SessionContext& session, const std::vector<uint32_t>& param_types,
                 const std::vector<std::optional<std::string>>* params,
                 const std::vector<int16_t>& param_formats) override {
    const auto snap = snapshot();
    const auto qf = snap->cache->analyze(sql, analysis_context(*snap, session));
    DryRun out;
    out.runs = runs_in_dry_run(*qf);
    out.params = qf->max_param;
    if (out.runs) return out;
    const SessionFacts facts = session_facts(*snap, session);
    const auto rules = rules_in_scope(*snap->policy, facts);
    std::vector<rewrite::ParamValue> values;
    if (params) values = rewrite::bind_values(*params, param_formats, param_types);
    const auto* given = params ? &values : nullptr;
    const Decision d =
        evaluate(*snap->policy, *qf, facts, *snap->catalog, EvaluateOptions{true, &rules, given, snap->sizes.get()});
    out.rows = dry_run_rows(*qf, d, *snap->catalog, *snap->sizes, snap->policy->cost, given);
    return out;
  }

  Verdict check_execute(const PreparedCheck* prepared, bool unknown, const std::vector<ExecuteArgument>& args,
                        const SessionContext& session) override {
    if (unknown) return check_unknown_execute(session);
    if (prepared == nullptr) return Verdict{};
    std::vector<rewrite::ParamValue> values(args.size());
    for (size_t i = 0; i < args.size(); ++i) {
      // Text, as EXECUTE hands its arguments to the statement's declared types; an
      // unknown one is given as bytes no type reads (a binary int4 of no bytes), so it
      // keeps its $n.
      constexpr uint32_t kInt4 = 23;
      values[i].value = args[i].known ? args[i].text : std::optional<std::string>("");
      values[i].binary = !args[i].known;
      values[i].type_oid = !args[i].known                   ? kInt4
                           : i < prepared->param_types.size() ? prepared->param_types[i]
                                                             : 0;
    }
    return check_values(*prepared, values, session);
  }

  std::vector<RuleSummary> rules_for(const SessionContext& session) override {
    const auto snap = snapshot();
    std::vector<RuleSummary> out;
    for (const Rule* r : rules_in_scope(*snap->policy, session_facts(*snap, session))) {
      out.push_back(RuleSummary{r->name, to_string(r->type), to_string(r->mode), join(r->tables)});
    }
    return out;
  }

  bool governs(const SessionContext& session) override {
    const auto snap = snapshot();
    const SessionFacts facts = session_facts(*snap, session);
    return std::any_of(snap->policy->rules.begin(), snap->policy->rules.end(),
                       [&](const Rule& r) { return in_scope(r, facts); });
  }

  std::vector<BudgetAccount> budget_accounts_for(const SessionContext& session) override {
    const auto snap = snapshot();
    return budget_accounts(snap->policy->budgets, session_facts(*snap, session));
  }

  bool needs_group_lookup(const std::string& user) const override {
    if (!late_users_.can_look_up()) return false;  // nothing could tell
    const auto snap = snapshot();
    return wants_groups(*snap) && !snap->catalog->user_groups.count(user) && late_users_.stale(user);
  }

  void lookup_groups(const std::string& user) override {
    if (needs_group_lookup(user)) late_users_.look_up(user);
  }

  SessionFacts session_facts(const SessionContext& session) override { return session_facts(*snapshot(), session); }
  std::shared_ptr<const rewrite::QueryFacts> analysis(std::string_view sql, const SessionContext& session) override {
    const auto snap = snapshot();
    return snap->cache->analyze(sql, analysis_context(*snap, session));
  }
  void want_groups(bool wanted) override { groups_wanted_.store(wanted, std::memory_order_relaxed); }

  bool catalog_ready() const override { return !options_.load_catalog || catalog_loaded_.load(); }

  bool reload(const YAML::Node& policies, std::string* error) override {
    std::shared_ptr<const PolicySet> policy;
    try {
      policy = std::make_shared<const PolicySet>(parse_policy_set(policies));
    } catch (const std::exception& e) {
      if (error) *error = e.what();
      return false;
    }
    {
      std::lock_guard update(update_mutex_);
      // Declared tables take part in resolving unqualified names: a fresh cache.
      swap(make_snapshot(policy, snapshot()->catalog, snapshot()->sizes));
    }
    std::string catalog_error;
    if (options_.load_catalog && !refresh_catalog(&catalog_error)) {
      spdlog::warn("policies: reloaded; the catalog refresh failed, keeping the previous catalog: {}", catalog_error);
    }
    return true;
  }

  bool refresh_catalog(std::string* error) override {
    if (!options_.load_catalog) {
      if (error) *error = "no catalog connection is configured";
      return false;
    }
    auto loaded = options_.load_catalog();
    if (!loaded.ok()) {
      if (error) *error = std::string(loaded.status().message());
      return false;
    }
    auto catalog = std::make_shared<const Catalog>(std::move(*loaded));
    auto sizes = load_sizes(*snapshot()->policy, snapshot()->sizes);
    std::lock_guard update(update_mutex_);
    // Resolution of unqualified names may change with the relation list: a fresh cache.
    swap(make_snapshot(snapshot()->policy, std::move(catalog), std::move(sizes)));
    catalog_loaded_ = true;
    late_users_.forget();  // the new catalog knows the users who existed at its load
    return true;
  }

  std::vector<RuleTally> rule_tallies() const override {
    std::vector<RuleTally> out;
    for (const Rule& r : snapshot()->policy->rules)
      out.push_back(RuleTally{RuleSummary{r.name, to_string(r.type), to_string(r.mode), join(r.tables)},
                              rule_counts_.read(r.name)});
    return out;
  }

  std::vector<ScanSpendTally> scan_spend() const override { return scan_spend_->read(); }
  ReconcileCounts reconcile_counts() const override { return reconcile_stats_->read(); }

  Counters counters() const override {
    Counters c;
    c.checked = checked_.load(std::memory_order_relaxed);
    c.parsed = parsed_.load(std::memory_order_relaxed);
    c.refused = refused_.load(std::memory_order_relaxed);
    c.warned = warned_.load(std::memory_order_relaxed);
    c.audited = audited_.load(std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    c.cache_hits = retired_hits_ + snapshot_->cache->hits() + reused_.load(std::memory_order_relaxed);
    return c;
  }

 private:
  // Partition sizes per the policies' cost settings; on failure the previous ones (logged).
  std::shared_ptr<const PartitionSizes> load_sizes(const PolicySet& policy,
                                                   std::shared_ptr<const PartitionSizes> previous) const {
    if (!options_.load_sizes) return previous;
    auto loaded = options_.load_sizes(policy.cost);
    if (!loaded.ok()) {
      spdlog::warn("policies: partition sizes not loaded, keeping the previous ones: {}",
                   std::string(loaded.status().message()));
      return previous;
    }
    return std::make_shared<const PartitionSizes>(std::move(*loaded));
  }

  std::shared_ptr<const Snapshot> snapshot() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
  }

  // Readers only ever hold mutex_ for a pointer copy; a new snapshot is built outside it
  // (under update_mutex_, so a reload and a refresh cannot undo each other).
  void swap(std::shared_ptr<const Snapshot> next) {
    std::lock_guard lock(mutex_);
    retired_hits_ += snapshot_->cache->hits();  // carry the old cache's hits into the counters
    snapshot_ = std::move(next);
    snapshot_id_.store(snapshot_->id, std::memory_order_release);
  }

  bool wants_groups(const Snapshot& snap) const {
    return snap.any_group_rule || groups_wanted_.load(std::memory_order_relaxed);
  }

  // Never blocks: a user whose groups are not known yet is in every group a scope names
  // (SessionFacts::groups_unknown) until lookup_groups learns them.
  SessionFacts session_facts(const Snapshot& snap, const SessionContext& ctx) const {
    SessionFacts f{ctx.user, ctx.database, ctx.application_name, ctx.client_address, {}};
    f.backend_pid = ctx.backend_pid;
    if (!wants_groups(snap)) return f;
    const auto it = snap.catalog->user_groups.find(ctx.user);
    if (it != snap.catalog->user_groups.end()) {
      f.groups = it->second;
      return f;
    }
    if (auto late = late_users_.known(ctx.user)) f.groups = std::move(*late);
    else f.groups_unknown = true;
    return f;
  }

  rewrite::AnalysisContext analysis_context(const Snapshot& snap, const SessionContext& ctx) const {
    rewrite::AnalysisContext a;
    a.max_bytes = snap.policy->max_statement_bytes;
    a.search_path.clear();
    static const std::vector<std::string> defaults = {"$user", "public"};
    // A session that set none starts with its role's or database's default, if any.
    const std::vector<std::string>* start =
        ctx.search_path.empty() ? snap.catalog->default_search_path(ctx.database, ctx.user) : nullptr;
    for (const auto& entry : !ctx.search_path.empty() ? ctx.search_path : start ? *start : defaults) {
      if (entry == "$user") {
        // As the server does: only when the user's schema exists (else an unqualified
        // CREATE lands in the next schema). Without a catalog nothing says it does.
        if (snap.catalog->schemas.count(ctx.user)) a.search_path.push_back(ctx.user);
      } else {
        a.search_path.push_back(entry);
      }
    }
    if (ctx.search_path_uncertain) {
      // Governed schemas first: an unqualified name that may mean a governed table does.
      std::vector<std::string> first;
      for (const auto& t : snap.policy->tables) first.push_back(t.schema);
      for (const auto& [key, table] : snap.catalog->external) first.push_back(table.schema);
      std::sort(first.begin(), first.end());
      first.erase(std::unique(first.begin(), first.end()), first.end());
      a.search_path.insert(a.search_path.begin(), first.begin(), first.end());
    }
    if (snap.catalog->loaded) {
      // The context lives only as long as the check that holds snap; one pointer fits in
      // std::function's own storage, where two shared_ptr copies cost an allocation and
      // two atomic counts on every check.
      a.relation_exists = [s = &snap](std::string_view schema, std::string_view name) {
        if (s->catalog->relation_exists(schema, name)) return true;
        return std::any_of(s->policy->tables.begin(), s->policy->tables.end(),
                           [&](const DeclaredTable& t) { return t.schema == schema && t.name == name; });
      };
    }
    return a;
  }

  // What a text must mention to need analysis: search_path always; with only table rules
  // in scope, a table one of them covers or a routine body too.
  static ScopeGate gate_of(const Snapshot& snap, const std::vector<const Rule*>& rules, bool pays) {
    ScopeGate g;
    g.wanted = snap.search_path_bits;
    if (pays) {  // budgets charge every scan of a governed table
      g.any_rule = true;
      g.wanted |= snap.governed_bits | snap.routine_bits;
    }
    for (const Rule* rule : rules) {
      const size_t i = static_cast<size_t>(rule - snap.policy->rules.data());
      // A table rule covering no governed table cannot fire, unless the catalog is missing.
      if (rule->is_table_rule() && snap.rule_bits[i] == 0 && !snap.analyse_all_tables) continue;
      g.any_rule = true;
      g.statement_rules = g.statement_rules || !rule->is_table_rule() || snap.analyse_all_tables;
      g.wanted |= snap.rule_bits[i] | snap.routine_bits;
    }
    return g;
  }

  SessionScope make_scope(const Snapshot& snap, const SessionContext& session) const {
    SessionScope s;
    s.facts = session_facts(snap, session);
    s.rules = rules_in_scope(*snap.policy, s.facts);
    s.accounts = budget_accounts(snap.policy->budgets, s.facts);
    s.decision_key.assign((snap.policy->rules.size() + 7) / 8, '\0');
    bool names_user = false;
    for (const Rule* rule : s.rules) {
      const size_t i = static_cast<size_t>(rule - snap.policy->rules.data());
      s.decision_key[i / 8] = static_cast<char>(s.decision_key[i / 8] | (1 << (i % 8)));
      names_user = names_user || rule->type == RuleType::DenyStatements;
    }
    if (names_user) (s.decision_key += '\x1f') += session.user;
    s.any_values_key = s.decision_key + kAnyValues;
    s.gate = gate_of(snap, s.rules, !s.accounts.empty());
    return s;
  }

  // The session's analysis context, kept with its scope while its search_path stays.
  SessionScope::Context& context_of(const Snapshot& snap, const SessionScope& scope,
                                    const SessionContext& session) const {
    auto& c = scope.context;
    if (!c || c->search_path != session.search_path || c->search_path_uncertain != session.search_path_uncertain) {
      c = std::make_unique<SessionScope::Context>();
      c->context = analysis_context(snap, session);
      c->search_path = session.search_path;
      c->search_path_uncertain = session.search_path_uncertain;
    }
    return *c;
  }

  // What a gate tests texts with: the snapshot's names, or without rules the one word that
  // matters then (the proxy learns search_path changes whatever the session's scope).
  static const std::shared_ptr<const rewrite::Prefilter>& filter_of(const Snapshot& snap, const ScopeGate& gate) {
    static const auto search_path_only =
        std::make_shared<const rewrite::Prefilter>(std::vector<std::string>{"search_path"});
    return gate.any_rule ? snap.names : search_path_only;
  }

  // Whether a check could find anything in sql: a statement rule, or a name it looks for.
  static bool may_matter_to(const rewrite::Prefilter& filter, const ScopeGate& gate, std::string_view sql) {
    if (!gate.any_rule) return filter.may_reference(sql);
    return gate.statement_rules || (filter.referenced(sql) & gate.wanted) != 0;
  }

  // The session's scope, from its memo while that was made for the same snapshot and
  // session. Groups learnt after the catalog's load may change at any time: a scope read
  // from them is not kept.
  std::shared_ptr<const SessionScope> session_scope(const Snapshot& snap, const SessionContext& session) const {
    const bool groups = wants_groups(snap);
    if (const auto& m = session.scope_memo; m && m->made_for(snap.id, groups, session)) return m->scope;
    auto scope = std::make_shared<const SessionScope>(make_scope(snap, session));
    if (!groups || snap.catalog->user_groups.count(session.user)) {
      session.scope_memo = std::make_shared<const ScopeMemo>(
          ScopeMemo{snap.id, groups, scope, filter_of(snap, scope->gate), snap.any_group_rule});
    }
    return scope;
  }

  // The decision on a prepared statement's facts with its $n values (a value that cannot
  // be read keeps its $n, which may match any partition).
  // What a check with $n values reads, the check counted: the snapshot, the session's
  // facts, the rules in scope and the budget accounts (neither: the check passes).
  struct BindScope {
    std::shared_ptr<const Snapshot> snap;
    std::shared_ptr<const SessionScope> scope;
  };
  BindScope bind_scope(const SessionContext& session) {
    checked_.fetch_add(1, std::memory_order_relaxed);
    BindScope s;
    s.snap = snapshot();
    s.scope = session_scope(*s.snap, session);
    return s;
  }

  Verdict check_values(const PreparedCheck& prepared, const std::vector<rewrite::ParamValue>& values,
                       const SessionContext& session) {
    const BindScope s = bind_scope(session);
    const SessionScope& scope = *s.scope;
    if (scope.rules.empty() && scope.accounts.empty()) return Verdict{};
    // A value that cannot be read keeps its $n, which may match any partition.
    static const rewrite::QueryFacts none;
    const rewrite::QueryFacts& qf = prepared.facts ? *prepared.facts : none;
    const EvaluateOptions bound{true, &scope.rules, &values, s.snap->sizes.get()};
    if (prepared.client)  // a plan's steps: only what the client's statement lacks
      return record(only_new(evaluate(*s.snap->policy, qf, scope.facts, *s.snap->catalog, bound),
                             evaluate(*s.snap->policy, *prepared.client, scope.facts, *s.snap->catalog, bound)),
                    scope.facts, qf.fingerprint);
    const auto d = prepared.facts ? decide_with_values(*s.snap, scope, prepared.facts, bound)
                                  : std::make_shared<const Decision>(
                                        evaluate(*s.snap->policy, qf, scope.facts, *s.snap->catalog, bound));
    return finish(*d, scope.facts, *s.snap, qf, &values, scope.accounts);
  }

  // The decision on facts with $n values (a Bind's, or a simple Query's lifted literals).
  // One that read no value holds for any values: it is kept with the facts, under a key
  // of its own (the texts' decisions read none of them).
  // The session's last such decision is kept in its scope too (SessionScope::Context).
  std::shared_ptr<const Decision> decide_with_values(const Snapshot& snap, const SessionScope& scope,
                                                     const std::shared_ptr<const rewrite::QueryFacts>& qf,
                                                     const EvaluateOptions& options) {
    SessionScope::Context* ctx = scope.context.get();
    if (ctx != nullptr && ctx->decided_facts == qf) return ctx->decided;
    auto d = snap.decisions->find(qf.get(), scope.any_values_key);
    if (!d) {
      d = std::make_shared<const Decision>(evaluate(*snap.policy, *qf, scope.facts, *snap.catalog, options));
      if (d->read_values) return d;
      snap.decisions->insert(qf, scope.any_values_key, d);
    }
    if (ctx != nullptr) {
      ctx->decided_facts = qf;
      ctx->decided = d;
    }
    return d;
  }

  // EXECUTE of a statement the proxy never saw prepared: code whose SQL is unknown.
  Verdict check_unknown_execute(const SessionContext& session) {
    checked_.fetch_add(1, std::memory_order_relaxed);
    const auto snap = snapshot();
    const SessionFacts facts = session_facts(*snap, session);
    const auto rules = rules_in_scope(*snap->policy, facts);
    if (rules.empty()) return Verdict{};
    rewrite::QueryFacts qf;
    rewrite::StatementFacts st;
    st.kind = rewrite::StatementKind::Utility;
    st.opaque = "the EXECUTE of a prepared statement it did not see prepared";
    st.opaque_dynamic = "PREPARE the statement in this session first, in a statement of its own";
    qf.statements.push_back(std::move(st));
    const Decision d = evaluate(*snap->policy, qf, facts, *snap->catalog, EvaluateOptions{true, &rules, nullptr, snap->sizes.get()});
    return finish(d, facts, *snap, qf, nullptr);
  }

  Checked check(std::string_view sql, const SessionContext& session, bool parse,
                const std::vector<uint32_t>& param_types) {
    checked_.fetch_add(1, std::memory_order_relaxed);
    const auto snap = snapshot();
    const auto scope = session_scope(*snap, session);
    const ScopeGate& gate = scope->gate;
    const bool any_rule = gate.any_rule;
    if (!may_matter_to(*filter_of(*snap, gate), gate, sql)) return Checked{};

    parsed_.fetch_add(1, std::memory_order_relaxed);
    SessionScope::Context& context = context_of(*snap, *scope, session);
    const size_t limit = snap->policy->max_statement_bytes;
    const bool lifting = options_.lift_literals && !parse && any_rule && (limit == 0 || sql.size() <= limit);
    std::optional<rewrite::LiteralTemplate> lifted;
    const auto qf = facts_of(*snap, sql, context, lifting, lifted);
    Checked out;
    out.effect = effect_of(*qf);
    if (!any_rule) return out;
    if (lifted) {
      out.verdict = check_lifted(*snap, *scope, qf, lifted->values);
    } else if (parse) {
      check_parsed(*snap, *scope, qf, param_types, out);
    } else {
      out.verdict = check_text(*snap, *scope, qf);
    }
    return out;
  }

  // A text's facts. A simple Query's literals are lifted into $n when `lifting`
  // (rewrite/literal_template.h): texts that differ only in their values share one cached
  // analysis, resolved with the values (set in `lifted`) as an extended-protocol Bind would
  // be; a template the grammar rejects falls back to the text as written. The text itself
  // is looked up first, and the first text of each template is cached under its own text
  // too, so that a text sent again as is (a dashboard refresh) skips the scanner; later
  // values are not (pgbench's million aids must not churn the cache). The session's last
  // text (or template) is looked up in its own scope first.
  std::shared_ptr<const rewrite::QueryFacts> facts_of(const Snapshot& snap, std::string_view sql,
                                                      SessionScope::Context& ctx, bool lifting,
                                                      std::optional<rewrite::LiteralTemplate>& lifted) {
    if (lifting) {
      if (auto again = relifted_last(ctx, sql, lifted)) return again;
    }
    std::shared_ptr<const rewrite::QueryFacts> qf;
    if (lifting && !(qf = snap.cache->find(sql, ctx.context))) {
      if (auto t = rewrite::lift_literals(std::string(sql))) {
        if (auto again = analysed_last(ctx, t->text)) {
          ctx.last_shape = rewrite::shape_of(*t, sql);
          lifted = std::move(t);
          return again;
        }
        auto template_facts = snap.cache->find(t->text, ctx.context);
        const bool first_of_template = template_facts == nullptr;
        if (first_of_template) template_facts = snap.cache->analyze(t->text, ctx.context);
        if (!template_facts->fingerprint.empty()) {
          remember_analysed(ctx, t->text, template_facts, rewrite::shape_of(*t, sql));
          if (!first_of_template) {
            lifted = std::move(t);
            return template_facts;
          }
          qf = std::make_shared<const rewrite::QueryFacts>(rewrite::client_facts(*template_facts, *t));
          snap.cache->insert(sql, ctx.context, qf);
        }
      }
    }
    if (qf) return qf;
    if (auto again = analysed_last(ctx, sql)) return again;
    qf = snap.cache->analyze(sql, ctx.context);
    remember_analysed(ctx, sql, qf, std::nullopt);
    return qf;
  }

  // The facts of the session's last template when sql is another text of its shape, with
  // `lifted` set as lift_literals would, counted as a cache hit.
  std::shared_ptr<const rewrite::QueryFacts> relifted_last(const SessionScope::Context& ctx, std::string_view sql,
                                                           std::optional<rewrite::LiteralTemplate>& lifted) {
    if (!ctx.last_facts || !ctx.last_shape) return nullptr;
    lifted = rewrite::relift(ctx.last_text, *ctx.last_shape, sql);
    if (!lifted) return nullptr;
    reused_.fetch_add(1, std::memory_order_relaxed);
    return ctx.last_facts;
  }

  // The facts of the session's last text when sql is that text, counted as a cache hit.
  std::shared_ptr<const rewrite::QueryFacts> analysed_last(const SessionScope::Context& ctx, std::string_view sql) {
    if (!ctx.last_facts || ctx.last_text != sql) return nullptr;
    reused_.fetch_add(1, std::memory_order_relaxed);
    return ctx.last_facts;
  }

  // Only facts of a text the grammar took: a template's others fall back to the text. Only
  // short texts, which every session may keep a copy of: for long ones the scanner and the
  // analysis outweigh the cache's hashing.
  static void remember_analysed(SessionScope::Context& ctx, std::string_view sql,
                                const std::shared_ptr<const rewrite::QueryFacts>& qf,
                                std::optional<rewrite::TemplateShape> shape) {
    if (qf->fingerprint.empty() || sql.size() > kMaxRememberedText) return;
    ctx.last_text.assign(sql);
    ctx.last_facts = qf;
    ctx.last_shape = std::move(shape);
  }

  // A simple Query as written: no Bind will follow, so a rule waiting for $n values decides
  // with every unknown value matching every partition. (The proxy checks a lone SQL
  // PREPARE's body as a Parse, and each EXECUTE of it with check_execute.) The decision is
  // kept with the facts.
  Verdict check_text(const Snapshot& snap, const SessionScope& scope,
                     const std::shared_ptr<const rewrite::QueryFacts>& qf) {
    std::shared_ptr<const Decision> decided = snap.decisions->find(qf.get(), scope.decision_key);
    if (!decided) {
      Decision d = evaluate(*snap.policy, *qf, scope.facts, *snap.catalog,
                            EvaluateOptions{false, &scope.rules, nullptr, snap.sizes.get()});
      if (d.outcome != Decision::Outcome::Refuse && d.needs_params) {
        d = evaluate(*snap.policy, *qf, scope.facts, *snap.catalog,
                     EvaluateOptions{true, &scope.rules, nullptr, snap.sizes.get()});
      }
      decided = std::make_shared<const Decision>(std::move(d));
      snap.decisions->insert(qf, scope.decision_key, decided);
    }
    return finish(*decided, scope.facts, snap, *qf, nullptr, scope.accounts);
  }

  // A Parse: decided now, or deferred to each Bind when a rule waits for values, a value's
  // type may keep the warehouse from pruning on it, or a budget charges what runs.
  void check_parsed(const Snapshot& snap, const SessionScope& scope, const std::shared_ptr<const rewrite::QueryFacts>& qf,
                    const std::vector<uint32_t>& param_types, Checked& out) {
    const auto d =
        decide_with_values(snap, scope, qf, EvaluateOptions{false, &scope.rules, nullptr, snap.sizes.get()});
    if (d->outcome != Decision::Outcome::Refuse &&
        (d->needs_params || unpruned_types(param_types) || !scope.accounts.empty())) {
      out.deferred = std::make_shared<const PreparedCheck>(PreparedCheck{qf, param_types});
      return;
    }
    out.verdict = finish(*d, scope.facts, snap, *qf, nullptr, scope.accounts);
  }

  // A simple Query whose literals were lifted: the decision on its template with its values
  // (with every value known, as a Bind's, when a rule waits for them).
  Verdict check_lifted(const Snapshot& snap, const SessionScope& scope,
                       const std::shared_ptr<const rewrite::QueryFacts>& qf,
                       const std::vector<rewrite::ParamValue>& values) {
    auto d = decide_with_values(snap, scope, qf, EvaluateOptions{false, &scope.rules, &values, snap.sizes.get()});
    if (d->outcome != Decision::Outcome::Refuse && d->needs_params) {
      d = std::make_shared<const Decision>(
          evaluate(*snap.policy, *qf, scope.facts, *snap.catalog, EvaluateOptions{true, &scope.rules, &values, snap.sizes.get()}));
    }
    return finish(*d, scope.facts, snap, *qf, &values, scope.accounts);
  }

  void audit_rewrite(const RewriteRecord& record, const SessionContext& session) override {
    std::string line = rewrite_audit_line(record, session, options_.clock());
    if (audit_) {
      audit_->write_line(std::move(line));
    } else {
      spdlog::info("rewrite audit: {}", line);
    }
  }

  // Counts a decision that is not a pass unpriced, and writes its audit line: the verdict
  // the client sees.
  Verdict record(const Decision& d, const SessionFacts& facts, const std::string& fingerprint,
                 const StatementEstimate* priced = nullptr) {
    switch (d.outcome) {
      case Decision::Outcome::Pass: if (!priced) return Verdict{}; break;
      case Decision::Outcome::Audit: audited_.fetch_add(1, std::memory_order_relaxed); break;
      case Decision::Outcome::Notice: warned_.fetch_add(1, std::memory_order_relaxed); break;
      case Decision::Outcome::Refuse: refused_.fetch_add(1, std::memory_order_relaxed); break;
    }
    rule_counts_.count(d);
    if (audit_) {
      audit_->write(d, facts, fingerprint, priced);
    } else {
      spdlog::info("policies audit: {}", audit_line(d, facts, fingerprint, options_.clock(), priced));
    }
    return to_verdict(d);
  }

  // Counts the decision and writes its audit line, with the text's estimate when it scans
  // an external table (a passed one only then), charges what runs to the session's budget
  // `accounts`, and counts what runs (scan metrics, reconcile's record): at once, or, when
  // a budget is charged, when the budget gate lets it run (BudgetCharge::ran). The
  // verdict the client sees.
  Verdict finish(const Decision& d, const SessionFacts& facts, const Snapshot& snap, const rewrite::QueryFacts& qf,
                 const std::vector<rewrite::ParamValue>* values, std::vector<BudgetAccount> accounts = {}) {
    const StatementEstimate estimate = estimate_text(qf, *snap.catalog, *snap.sizes, snap.policy->cost, values);
    const StatementEstimate* priced = estimate.scans.empty() ? nullptr : &estimate;
    if (d.outcome == Decision::Outcome::Pass && !priced) return Verdict{};
    Verdict v = record(d, facts, qf.fingerprint, priced);
    if (d.outcome == Decision::Outcome::Refuse) return v;
    RunCount ran{priced ? scan_spend_ : nullptr, std::string(spend_group(snap.spend_groups, facts)), estimate.bytes,
                 estimate.usd, nullptr, {}};
    if (estimate.billed_bytes > 0 && facts.backend_pid != 0 && !snap.policy->cost.reconcile.view.empty()) {
      ran.recorder = recorder_;
      ran.record = EstimateRecord{options_.clock(), facts.backend_pid, facts.user, qf.fingerprint, estimate.bytes,
                                  estimate.billed_bytes, estimate.usd};
    }
    if (!accounts.empty())
      v.budget = budget_charge(qf, *snap.catalog, *snap.sizes, snap.policy->cost, std::move(accounts), values, ran);
    if (!v.budget) ran();
    return v;
  }

  const GovernorOptions options_;
  const std::shared_ptr<AuditLog> audit_;
  std::mutex update_mutex_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::atomic<uint64_t> snapshot_id_{0};  // snapshot_'s id, read without mutex_
  uint64_t retired_hits_ = 0;
  std::atomic<bool> catalog_loaded_{false};
  // Tier rules name groups (want_groups): look them up even when no policy rule does.
  std::atomic<bool> groups_wanted_{false};
  // Groups of users the catalog does not know (logged in after its last load).
  GroupLookup late_users_;
  std::atomic<uint64_t> checked_{0}, parsed_{0}, refused_{0}, warned_{0}, audited_{0};
  std::atomic<uint64_t> reused_{0};  // facts found in a session's scope (cache hits too)
  RuleCounts rule_counts_;
  const std::shared_ptr<ScanSpend> scan_spend_ = std::make_shared<ScanSpend>();
  const std::shared_ptr<EstimateRecorder> recorder_ = std::make_shared<EstimateRecorder>();
  const std::shared_ptr<ReconcileStats> reconcile_stats_ = std::make_shared<ReconcileStats>();
  // Last: it reads the snapshot, so it stops before the rest goes. Only with a service
  // connection; idle while policies.cost.reconcile.view is unset.
  std::unique_ptr<ReconcileJob> reconcile_;
};

}  // namespace

void Governor::validate(const YAML::Node& policies) { (void)parse_policy_set(policies); }

std::shared_ptr<const rewrite::QueryFacts> Governor::analysis(std::string_view /*sql*/,
                                                             const SessionContext& /*session*/) {
  return nullptr;
}

SessionFacts Governor::session_facts(const SessionContext& session) {
  SessionFacts f{session.user, session.database, session.application_name, session.client_address, {}};
  f.groups_unknown = true;  // nothing here knows them: group scopes hold (fail closed)
  return f;
}

std::shared_ptr<Governor> Governor::create(const YAML::Node& policies, std::string catalog_conninfo,
                                           std::string audit_path) {
  GovernorOptions options;
  options.catalog_conninfo = std::move(catalog_conninfo);
  options.audit_path = std::move(audit_path);
  return create(policies, options);
}

std::shared_ptr<Governor> Governor::create(const YAML::Node& policies, const GovernorOptions& given) {
  GovernorOptions options = given;
  auto policy = std::make_shared<const PolicySet>(parse_policy_set(policies));
  if (!options.clock) options.clock = [] { return std::chrono::system_clock::now(); };
  if (!options.catalog_conninfo.empty()) {
    const std::string conninfo = options.catalog_conninfo;
    if (!options.load_catalog) options.load_catalog = [conninfo] { return load_catalog(conninfo); };
    if (!options.load_user_groups) {
      options.load_user_groups = [conninfo](const std::string& user) { return load_user_groups(conninfo, user); };
    }
  }
  if (!options.load_sizes) {
    const std::string conninfo = options.catalog_conninfo;
    options.load_sizes = [conninfo](const CostSettings& cost) -> absl::StatusOr<PartitionSizes> {
      if (!cost.sizes_file.empty()) return read_partition_sizes_file(cost.sizes_file);
      if (cost.sizes_from_warehouse && !conninfo.empty()) return load_partition_file_sizes(conninfo);
      return PartitionSizes{};
    };
  }
  std::shared_ptr<AuditLog> audit = options.audit_log;
  if (!audit && !options.audit_path.empty()) {
    auto opened = AuditLog::open(options.audit_path, options.clock);
    if (!opened.ok()) throw std::runtime_error("audit.file: " + std::string(opened.status().message()));
    audit = std::move(*opened);
  }
  return std::make_shared<GovernorImpl>(std::move(policy), std::move(options), std::move(audit));
}

}  // namespace blueshift::policies
