// The Governor: evaluate() behind a snapshot, a fast path, an analysis cache, audit lines
// and counters. See governor.h for the contract the proxy relies on.
#include "policies/governor.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>

#include "policies/audit_log.h"
#include "policies/catalog_loader.h"
#include "policies/decision_memo.h"
#include "policies/evaluate.h"
#include "policies/governed_table.h"
#include "policies/governor_options.h"
#include "policies/policy_set.h"
#include "rewrite/analyzer.h"
#include "rewrite/bounds.h"
#include "rewrite/literal_template.h"
#include "rewrite/prefilter.h"
#include "spdlog/spdlog.h"

namespace blueshift::policies {

struct PreparedCheck {
  std::shared_ptr<const rewrite::QueryFacts> facts;
  std::vector<uint32_t> param_types;  // as the Parse message declared them
};

namespace {

constexpr const char* kRefuseSqlstate = "42501";  // insufficient_privilege
constexpr const char* kWarnSqlstate = "01000";    // warning
constexpr size_t kMaxAlsoLines = 3;

// Everything a decision reads, swapped as one piece. The analysis cache lives here
// because cached facts depend on which relations the catalog says exist.
struct Snapshot {
  std::shared_ptr<const PolicySet> policy;
  std::shared_ptr<const Catalog> catalog;
  std::shared_ptr<rewrite::AnalysisCache> cache;
  // Decisions on the cache's facts; they depend on the policies and catalog too, so they
  // are dropped with the snapshot.
  std::shared_ptr<DecisionMemo> decisions = std::make_shared<DecisionMemo>();
  // Every governed name any rule covers, search_path, and the words of DO blocks and
  // routine bodies: one pass over the text says which of them it may mention.
  rewrite::Prefilter names{std::vector<std::string>{}};
  // Per rule (same index as policy->rules): the bits of the governed tables it covers; a
  // text mentioning none of them cannot break the rule.
  std::vector<uint64_t> rule_bits;
  // The proxy learns search_path changes from the texts that may set it, whatever the
  // session's scope. A session no rule applies to looks for that word alone: a pass
  // that looks up fewer words.
  uint64_t search_path_bits = 0;
  rewrite::Prefilter search_path_only{std::vector<std::string>{"search_path"}};
  // DO blocks and function bodies can build a governed name at run time ('sa' || 'les'),
  // which no name prefilter sees: they are always analysed.
  uint64_t routine_bits = 0;
  bool any_group_rule = false;
};

std::shared_ptr<const Snapshot> make_snapshot(std::shared_ptr<const PolicySet> policy,
                                              std::shared_ptr<const Catalog> catalog,
                                              std::shared_ptr<rewrite::AnalysisCache> cache) {
  auto s = std::make_shared<Snapshot>();
  s->policy = std::move(policy);
  s->catalog = std::move(catalog);
  s->cache = std::move(cache);
  const auto governed = governed_tables(*s->policy, *s->catalog);
  const std::vector<std::string> search_path = {"search_path"};
  const std::vector<std::string> routines = {"do", "function", "procedure"};
  std::vector<std::vector<std::string>> covered;
  std::set<std::string> all(search_path.begin(), search_path.end());
  all.insert(routines.begin(), routines.end());
  for (const auto& rule : s->policy->rules) {
    std::set<std::string> names;
    for (const auto& t : governed) {
      if (rule_covers(rule, t)) names.insert(t.name);
    }
    all.insert(names.begin(), names.end());
    covered.emplace_back(names.begin(), names.end());
    s->any_group_rule = s->any_group_rule || rule.uses_groups();
  }
  s->names = rewrite::Prefilter(std::vector<std::string>(all.begin(), all.end()));
  for (const auto& names : covered) s->rule_bits.push_back(s->names.bits_of(names));
  s->search_path_bits = s->names.bits_of(search_path);
  s->routine_bits = s->names.bits_of(routines);
  return s;
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

class GovernorImpl final : public Governor {
 public:
  GovernorImpl(std::shared_ptr<const PolicySet> policy, GovernorOptions options, std::unique_ptr<AuditLog> audit)
      : options_(std::move(options)), audit_(std::move(audit)) {
    std::shared_ptr<const Catalog> catalog = std::make_shared<Catalog>();
    if (options_.load_catalog) {
      auto loaded = options_.load_catalog();
      if (loaded.ok()) {
        catalog = std::make_shared<Catalog>(std::move(*loaded));
      } else {
        spdlog::error("policies: catalog not loaded, governing declared tables only until a refresh succeeds: {}",
                      std::string(loaded.status().message()));
      }
    }
    snapshot_ = make_snapshot(std::move(policy), std::move(catalog), std::make_shared<rewrite::AnalysisCache>());
  }

  Verdict check_query(std::string_view sql, const SessionContext& session) override {
    return check(sql, session, nullptr, {});
  }

  Verdict check_parse(std::string_view sql, const SessionContext& session,
                      std::shared_ptr<const PreparedCheck>* deferred) override {
    return check_parse(sql, session, deferred, {});
  }

  Verdict check_parse(std::string_view sql, const SessionContext& session, std::shared_ptr<const PreparedCheck>* deferred,
                      const std::vector<uint32_t>& param_types) override {
    if (deferred) deferred->reset();
    return check(sql, session, deferred, param_types);
  }

  Verdict check_bind(const PreparedCheck& prepared, const std::vector<std::optional<std::string>>& params,
                     const std::vector<int16_t>& param_formats, const SessionContext& session) override {
    checked_.fetch_add(1, std::memory_order_relaxed);
    const auto snap = snapshot();
    const SessionFacts facts = session_facts(*snap, session);
    const auto rules = rules_in_scope(*snap->policy, facts);
    if (rules.empty()) return Verdict{};
    std::vector<rewrite::ParamValue> values(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      values[i].value = params[i];
      const int16_t format = param_formats.empty()      ? 0
                             : param_formats.size() == 1 ? param_formats[0]
                             : i < param_formats.size()  ? param_formats[i]
                                                         : 0;
      values[i].binary = format == 1;
      values[i].type_oid = i < prepared.param_types.size() ? prepared.param_types[i] : 0;
    }
    // A value that cannot be read keeps its $n, which may match any partition.
    static const rewrite::QueryFacts none;
    const rewrite::QueryFacts& qf = prepared.facts ? *prepared.facts : none;
    const Decision d = evaluate(*snap->policy, qf, facts, *snap->catalog, EvaluateOptions{true, &rules, &values});
    return finish(d, facts, qf.fingerprint, Verdict{});
  }

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
      swap(make_snapshot(policy, snapshot()->catalog, std::make_shared<rewrite::AnalysisCache>()));
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
    std::lock_guard update(update_mutex_);
    // Resolution of unqualified names may change with the relation list: a fresh cache.
    swap(make_snapshot(snapshot()->policy, std::move(catalog), std::make_shared<rewrite::AnalysisCache>()));
    std::lock_guard users(users_mutex_);
    late_users_.clear();
    return true;
  }

  Counters counters() const override {
    Counters c;
    c.checked = checked_.load(std::memory_order_relaxed);
    c.parsed = parsed_.load(std::memory_order_relaxed);
    c.refused = refused_.load(std::memory_order_relaxed);
    c.warned = warned_.load(std::memory_order_relaxed);
    c.audited = audited_.load(std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    c.cache_hits = retired_hits_ + snapshot_->cache->hits();
    return c;
  }

 private:
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
  }

  SessionFacts session_facts(const Snapshot& snap, const SessionContext& ctx) {
    SessionFacts f{ctx.user, ctx.database, ctx.application_name, ctx.client_address, {}};
    if (!snap.any_group_rule) return f;
    const auto it = snap.catalog->user_groups.find(ctx.user);
    if (it != snap.catalog->user_groups.end()) {
      f.groups = it->second;
      return f;
    }
    if (!options_.load_user_groups) return f;
    {
      std::lock_guard lock(users_mutex_);
      if (const auto late = late_users_.find(ctx.user); late != late_users_.end()) {
        f.groups = late->second;
        return f;
      }
    }
    // A user created after the last catalog load: ask once, so a new analyst is
    // governed from their first query rather than from the next refresh.
    std::vector<std::string> groups;
    auto looked_up = options_.load_user_groups(ctx.user);
    if (looked_up.ok()) {
      if (*looked_up) groups = **looked_up;
    } else {
      spdlog::warn("policies: could not look up the groups of user {}: {}", ctx.user, std::string(looked_up.status().message()));
    }
    std::lock_guard lock(users_mutex_);
    late_users_[ctx.user] = groups;
    f.groups = std::move(groups);
    return f;
  }

  rewrite::AnalysisContext analysis_context(const Snapshot& snap, const SessionContext& ctx) const {
    rewrite::AnalysisContext a;
    a.search_path.clear();
    static const std::vector<std::string> defaults = {"$user", "public"};
    for (const auto& entry : ctx.search_path.empty() ? defaults : ctx.search_path) {
      if (entry == "$user") {
        // Without a catalog nothing says whether the user's schema exists; Redshift
        // rarely has one, so skip it rather than resolve every name into it.
        if (snap.catalog->loaded) a.search_path.push_back(ctx.user);
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

  Verdict check(std::string_view sql, const SessionContext& session, std::shared_ptr<const PreparedCheck>* deferred,
                const std::vector<uint32_t>& param_types) {
    checked_.fetch_add(1, std::memory_order_relaxed);
    const auto snap = snapshot();
    const SessionFacts facts = session_facts(*snap, session);

    bool any_rule = false;
    bool statement_rules = false;
    // What the text must mention to need analysis: search_path always; with only table
    // rules in scope, a table one of them covers or a routine body too.
    uint64_t wanted = snap->search_path_bits;
    // What a decision depends on besides the facts (DecisionMemo): the rules in scope, one
    // bit each, and the user, whom deny_statements findings name.
    std::string scope((snap->policy->rules.size() + 7) / 8, '\0');
    bool names_user = false;
    const auto rules = rules_in_scope(*snap->policy, facts);
    for (const Rule* rule : rules) {
      const Rule& r = *rule;
      const size_t i = static_cast<size_t>(rule - snap->policy->rules.data());
      scope[i / 8] = static_cast<char>(scope[i / 8] | (1 << (i % 8)));
      names_user = names_user || r.type == RuleType::DenyStatements;
      if (r.is_table_rule() && snap->rule_bits[i] == 0) continue;  // covers no governed table
      any_rule = true;
      statement_rules = statement_rules || !r.is_table_rule();
      wanted |= snap->rule_bits[i] | snap->routine_bits;
    }
    const bool may_matter = !any_rule ? snap->search_path_only.may_reference(sql)
                                      : statement_rules || (snap->names.referenced(sql) & wanted) != 0;
    if (!may_matter) return Verdict{};

    parsed_.fetch_add(1, std::memory_order_relaxed);
    const rewrite::AnalysisContext context = analysis_context(*snap, session);
    // A simple Query's literals are lifted into $n (rewrite/literal_template.h): texts that
    // differ only in their values share one cached analysis, resolved with the values as
    // an extended-protocol Bind would be; a template the grammar rejects falls back to the
    // text as written. The text itself is looked up first, and the first text of each
    // template is cached under its own text too, so that a text sent again as is (a
    // dashboard refresh) skips the scanner; later values are not (pgbench's million aids
    // must not churn the cache).
    std::shared_ptr<const rewrite::QueryFacts> qf;
    bool cached = true;  // qf is the cache's own entry (a decision on it can be kept)
    // Set when qf is a template whose $n these lifted values stand for: evaluate puts
    // them in where a rule reads bounds, rather than copying the template's facts.
    std::optional<rewrite::LiteralTemplate> lifted;
    const bool lifting = options_.lift_literals && deferred == nullptr && any_rule;
    if (lifting && !(qf = snap->cache->find(sql, context))) {
      if (auto t = rewrite::lift_literals(std::string(sql))) {
        auto template_facts = snap->cache->find(t->text, context);
        const bool first_of_template = template_facts == nullptr;
        if (first_of_template) template_facts = snap->cache->analyze(t->text, context);
        if (!template_facts->fingerprint.empty()) {
          if (first_of_template) {
            qf = std::make_shared<const rewrite::QueryFacts>(rewrite::client_facts(*template_facts, *t));
            snap->cache->insert(sql, context, qf);
          } else {
            qf = std::move(template_facts);
            lifted = std::move(t);
            cached = false;
          }
        }
      }
    }
    if (!qf) qf = snap->cache->analyze(sql, context);
    Verdict verdict;
    for (const auto& st : qf->statements) {
      if (st.sets_search_path) verdict.new_search_path = st.sets_search_path;
      if (st.search_path_uncertain) verdict.search_path_uncertain = true;
    }
    if (verdict.new_search_path && qf->statements.size() > 1) verdict.search_path_uncertain = true;
    if (!any_rule) return verdict;

    // A Parse may defer to Bind, which the memo does not model: only simple Queries use it.
    const bool memo = cached && deferred == nullptr;
    if (memo && names_user) (scope += '\x1f') += session.user;
    if (memo) {
      if (const auto known = snap->decisions->find(qf.get(), scope)) {
        return finish(*known, facts, qf->fingerprint, std::move(verdict));
      }
    }
    const std::vector<rewrite::ParamValue>* values = lifted ? &lifted->values : nullptr;
    Decision d = evaluate(*snap->policy, *qf, facts, *snap->catalog, EvaluateOptions{false, &rules, values});
    if (d.outcome != Decision::Outcome::Refuse && d.needs_params) {
      if (deferred) {
        *deferred = std::make_shared<const PreparedCheck>(PreparedCheck{qf, param_types});
        return verdict;
      }
      // No Bind will follow (a simple Query, e.g. SQL PREPARE whose EXECUTE supplies the
      // values as text): decide now, with every unknown value matching every partition.
      d = evaluate(*snap->policy, *qf, facts, *snap->catalog, EvaluateOptions{true, &rules, values});
    }
    if (!memo) return finish(d, facts, qf->fingerprint, std::move(verdict));
    auto decided = std::make_shared<const Decision>(std::move(d));
    snap->decisions->insert(qf, std::move(scope), decided);
    return finish(*decided, facts, qf->fingerprint, std::move(verdict));
  }

  Verdict finish(const Decision& d, const SessionFacts& facts, const std::string& fingerprint, Verdict base) {
    switch (d.outcome) {
      case Decision::Outcome::Pass: return base;
      case Decision::Outcome::Audit: audited_.fetch_add(1, std::memory_order_relaxed); break;
      case Decision::Outcome::Notice: warned_.fetch_add(1, std::memory_order_relaxed); break;
      case Decision::Outcome::Refuse: refused_.fetch_add(1, std::memory_order_relaxed); break;
    }
    if (audit_) {
      audit_->write(d, facts, fingerprint);
    } else {
      spdlog::info("policies audit: {}", audit_line(d, facts, fingerprint, options_.clock()));
    }
    Verdict v = to_verdict(d);
    v.new_search_path = std::move(base.new_search_path);
    return v;
  }

  const GovernorOptions options_;
  const std::unique_ptr<AuditLog> audit_;
  std::mutex update_mutex_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> snapshot_;
  uint64_t retired_hits_ = 0;
  std::mutex users_mutex_;
  std::map<std::string, std::vector<std::string>> late_users_;
  std::atomic<uint64_t> checked_{0}, parsed_{0}, refused_{0}, warned_{0}, audited_{0};
};

}  // namespace

void Governor::validate(const YAML::Node& policies) { (void)parse_policy_set(policies); }

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
  std::unique_ptr<AuditLog> audit;
  if (!options.audit_path.empty()) {
    auto opened = AuditLog::open(options.audit_path, options.clock);
    if (!opened.ok()) throw std::runtime_error("audit.file: " + std::string(opened.status().message()));
    audit = std::move(*opened);
  }
  return std::make_shared<GovernorImpl>(std::move(policy), std::move(options), std::move(audit));
}

}  // namespace blueshift::policies
