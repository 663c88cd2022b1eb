#include "policies/evaluate.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "policies/cost_caps.h"
#include "policies/finding_text.h"
#include "policies/governed_table.h"
#include "rewrite/bounds.h"
#include "rewrite/empty_bound.h"

namespace blueshift::policies {
namespace {

using rewrite::Bound;
using rewrite::Scan;
using rewrite::StatementFacts;
using rewrite::StatementKind;

bool any_glob(const std::vector<std::string>& patterns, const std::string& text) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return glob_match(p, text); });
}

bool any_glob_of(const std::vector<std::string>& patterns, const std::vector<std::string>& texts) {
  return std::any_of(texts.begin(), texts.end(), [&](const std::string& t) { return any_glob(patterns, t); });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const Bound* bound_of(const Scan& scan, const std::string& column) {
  const auto it = scan.bounds.find(column);
  return it == scan.bounds.end() ? nullptr : &it->second;
}

bool bounds_have_params(const std::vector<std::string>& cols, const Scan& scan) {
  for (const auto& c : cols) {
    const Bound* b = bound_of(scan, c);
    if (b && rewrite::has_params(*b)) return true;
  }
  for (const auto& d : scan.disjunctions) {
    for (const auto& branch : d) {
      for (const auto& c : cols) {
        const auto it = branch.find(c);
        if (it != branch.end() && rewrite::has_params(it->second)) return true;
      }
    }
  }
  return false;
}

bool partition_bounds_have_params(const GovernedTable& table, const Scan& scan) {
  return bounds_have_params(table.partition_columns, scan) ||
         (table.external && bounds_have_params(table.external->partition_columns, scan));
}

// Partitions of the table that the scan's bounds may match; unknown without a catalog
// entry or while a bound still holds a $n whose value will come later.
std::optional<int64_t> count_partitions(const GovernedTable& table, const Scan& scan, bool params_final) {
  if (!table.external || (!params_final && partition_bounds_have_params(table, scan))) return std::nullopt;
  return count_matching_partitions(*table.external, scan);
}

// The scan's disjunctions that pair up two or more partition columns, in words over those
// columns: what the per-column bounds in a DETAIL do not show.
std::vector<std::string> partition_combinations(const GovernedTable& table, const Scan& scan) {
  std::vector<std::string> out;
  if (!table.external || scan.disjunctions.empty()) return out;
  const auto& cols = table.external->partition_columns;
  for (const auto& d : scan.disjunctions) {
    std::set<std::string> mentioned;
    bool every_branch = true;
    for (const auto& branch : d) {
      bool any = false;
      for (const auto& c : cols) {
        if (branch.count(c)) {
          mentioned.insert(c);
          any = true;
        }
      }
      every_branch = every_branch && any;
    }
    if (every_branch && mentioned.size() >= 2) out.push_back(rewrite::describe(d, cols));
  }
  return out;
}

std::vector<text::ColumnState> column_states(const GovernedTable& table, const Scan& scan) {
  std::vector<text::ColumnState> out;
  for (const auto& c : table.partition_columns) {
    text::ColumnState s{c, false, ""};
    if (const Bound* b = bound_of(scan, c); b && b->op != Bound::Op::True) {
      s.finite = rewrite::is_finite(*b);
      s.bound = rewrite::describe(*b, c);
    }
    out.push_back(std::move(s));
  }
  return out;
}

// The scan provably reads no partition: nothing at all (`WHERE 1 <> 1`, `LIMIT 0`), or a
// partition column's pruning bound no value satisfies (`year > 2024 AND year < 2023`).
bool reads_no_partition(const GovernedTable& table, const Scan& scan) {
  if (scan.reads_nothing) return true;
  auto empty_on = [&](const std::vector<std::string>& columns) {
    return std::any_of(columns.begin(), columns.end(), [&](const std::string& c) {
      const Bound* b = bound_of(scan, c);
      return b != nullptr && rewrite::is_empty(*b);
    });
  };
  return empty_on(table.partition_columns) || (table.external && empty_on(table.external->partition_columns));
}

class Evaluator {
 public:
  Evaluator(const PolicySet& policy, const SessionFacts& session, const Catalog& catalog,
            const EvaluateOptions& options, Decision* decision)
      : policy_(policy),
        session_(session),
        catalog_(catalog),
        options_(options),
        d_(decision),
        own_rules_(options.rules_in_scope ? std::vector<const Rule*>{} : rules_in_scope(policy, session)),
        rules_(options.rules_in_scope ? *options.rules_in_scope : own_rules_) {}

  [[nodiscard]] bool any_rule() const { return !rules_.empty(); }

  void statement(int index, const StatementFacts& st) {
    seen_.clear();
    if (const std::string* f = sql_text_call(st)) {
      fail_closed(index, st, text::sql_text_detail(*f), text::sql_text_hint(*f), true);
    }
    if (st.kind == StatementKind::Unparsed) {
      return fail_closed(index, st, text::unanalysed_detail(st.error), text::unanalysed_hint(), false);
    }
    for (const Rule* rule : rules_) {
      if (rule->type == RuleType::DenyStatements) deny_statements(*rule, index, st);
    }
    for (const auto& scan : st.scans) {
      const auto table = find_governed(policy_, catalog_, scan.table.schema, scan.table.name);
      if (!table) {
        catalog_missing(index, scan);
        continue;
      }
      const std::string qualified = table->qualified();
      // The scan's bounds with Bind's values in, and without the comparisons the
      // warehouse does not prune on (a copy only when either changes something).
      std::optional<Scan> adjusted;
      bool adjusted_yet = false;
      bool unpruned = false;
      auto bounded = [&]() -> const Scan& {
        if (!adjusted_yet) {
          adjusted_yet = true;
          d_->read_values = true;
          if (options_.params) adjusted = rewrite::substitute_params(scan, *options_.params);
          unpruned = rewrite::has_unpruned(adjusted ? *adjusted : scan);
          if (unpruned) adjusted = rewrite::pruning_scan(adjusted ? *adjusted : scan);
        }
        return adjusted ? *adjusted : scan;
      };
      for (const Rule* rule : rules_) {
        if (!rule_covers(*rule, qualified)) continue;
        switch (rule->type) {
          case RuleType::RequirePartitionFilter: {
            const Scan& pruned = bounded();  // sets unpruned
            require_filter(*rule, index, *table, pruned, unpruned);
            break;
          }
          case RuleType::MaxPartitions: max_partitions(*rule, index, *table, bounded()); break;
          case RuleType::DenySelectStar:
            if (scan.select_star) {
              add(*rule, index, qualified, text::message(*rule, text::query_on(qualified)),
                  text::star_detail(qualified, table->external != nullptr), text::star_hint());
            }
            break;
          case RuleType::DenyStatements:
          case RuleType::MaxScanBytes:
          case RuleType::MaxCostUsd: break;  // per statement: caps()
        }
      }
    }
    caps(index, st);
    if (!st.opaque.empty()) {
      fail_closed(index, st, text::opaque_detail(st.opaque, st.opaque_dynamic), text::opaque_hint(),
                  !st.opaque_dynamic.empty());
    }
  }

 private:
  // One finding per rule and table in a statement: a table scanned twice is one problem.
  Finding* add(const Rule& rule, int index, const std::string& table, std::string message, std::string detail,
               std::string hint) {
    if (!seen_.insert(rule.name + "\n" + table).second) return nullptr;
    Finding f;
    f.rule = rule.name;
    f.type = rule.type;
    f.mode = rule.mode;
    f.table = table;
    f.statement = index;
    f.message = std::move(message);
    f.detail = std::move(detail);
    f.hint = std::move(hint);
    d_->findings.push_back(std::move(f));
    return &d_->findings.back();
  }

  // While the catalog has not loaded, any table may be an external one it would list.
  [[nodiscard]] bool catalog_pending() const { return catalog_.pending && policy_.catalog_tables; }

  // Fail closed on a table that is not governed as far as the proxy knows, while the
  // catalog that would say otherwise is missing: every table rule that may cover it and
  // could fire on it (partitions are unknown; SELECT * is seen).
  void catalog_missing(int index, const Scan& scan) {
    const rewrite::TableRef& t = scan.table;
    if (!catalog_pending() || t.temporary || t.schema == "pg_catalog" || t.schema == "information_schema") return;
    const std::string q = t.qualified();
    for (const Rule* rule : rules_) {
      const bool covers = t.written_qualified ? rule_covers(*rule, q) : rule_may_cover_name(*rule, t.name);
      if (!covers || (rule->type == RuleType::DenySelectStar && !scan.select_star)) continue;
      add(*rule, index, q, text::catalog_missing_message(*rule, text::query_on(q)), text::catalog_missing_detail(q),
          text::catalog_missing_hint());
    }
  }

  // The cost caps, on the statement's estimate (computed once, only when a cap applies).
  // With a $n in a partition bound the estimate waits for Bind, as max_partitions does.
  void caps(int index, const StatementFacts& st) {
    std::optional<StatementEstimate> estimate;
    for (const Rule* rule : rules_) {
      if (rule->type != RuleType::MaxScanBytes && rule->type != RuleType::MaxCostUsd) continue;
      if (!estimate) {
        if (!options_.params_final && partition_params(st)) {
          d_->needs_params = d_->read_values = true;
          return;
        }
        static const PartitionSizes kNone;
        estimate = estimate_statement(st, catalog_, options_.sizes ? *options_.sizes : kNone, policy_.cost,
                                      options_.params);
      }
      const StatementEstimate covered = covered_estimate(*estimate, *rule, policy_.cost);
      // Values choose the partitions of the scans the cap prices; without one, none count.
      if (!covered.scans.empty()) d_->read_values = true;
      if (!breaks_cap(*rule, covered)) continue;
      const std::string& q = covered.scans.front().table;
      add(*rule, index, q, text::message(*rule, text::query_on(q)), cap_detail(*rule, covered, policy_.cost),
          cap_hint(st, covered, catalog_));
    }
  }

  // A $n in a partition bound of an external table the statement scans.
  [[nodiscard]] bool partition_params(const StatementFacts& st) const {
    return std::any_of(st.scans.begin(), st.scans.end(), [&](const Scan& scan) {
      const ExternalTable* t = catalog_.find_external(scan.table.qualified());
      return t != nullptr && bounds_have_params(t->partition_columns, scan);
    });
  }

  // `unpruned`: comparisons the warehouse does not prune on were left out of `scan`.
  void require_filter(const Rule& rule, int index, const GovernedTable& table, const Scan& scan, bool unpruned) {
    if (reads_no_partition(table, scan)) return;  // a probe: nothing to filter
    std::vector<std::string> required;
    if (rule.columns == Rule::Columns::Listed) {
      for (const auto& c : rule.column_list) {
        if (std::find(table.partition_columns.begin(), table.partition_columns.end(), c) != table.partition_columns.end()) {
          required.push_back(c);
        }
      }
    } else {
      required = table.partition_columns;
    }
    if (required.empty()) return;  // not partitioned (by the listed columns): nothing to require
    // Counted as column_states would say it, without wording the bounds on a pass.
    size_t finite = 0;
    for (const auto& c : table.partition_columns) {
      const Bound* b = bound_of(scan, c);
      if (b && b->op != Bound::Op::True && rewrite::is_finite(*b) &&
          std::find(required.begin(), required.end(), c) != required.end()) {
        ++finite;
      }
    }
    const bool ok = rule.columns == Rule::Columns::Any ? finite > 0 : finite == required.size();
    if (ok) return;
    const std::string q = table.qualified();
    add(rule, index, q, text::message(rule, text::query_on(q)),
        text::filter_detail(column_states(table, scan), count_partitions(table, scan, options_.params_final)),
        text::filter_hint(q, required, table.partition_columns, rule.columns == Rule::Columns::Any) +
            (unpruned ? text::unpruned_hint(required.front()) : ""));
  }

  void max_partitions(const Rule& rule, int index, const GovernedTable& table, const Scan& scan) {
    if (!table.external && catalog_.pending) {
      // The partitions would be known, were the catalog there: fail closed.
      const std::string q = table.qualified();
      add(rule, index, q, text::catalog_missing_message(rule, text::query_on(q)), text::catalog_missing_detail(q),
          text::catalog_missing_hint());
      return;
    }
    if (!table.external) {
      const std::string q = table.qualified();
      if (Finding* f = add(rule, index, q, text::message(rule, text::query_on(q)), text::max_unknown_note(q), "")) {
        f->note = true;
        f->mode = Mode::Audit;
        f->message = "blueshift: rule \"" + rule.name + "\" (max_partitions) not checked on " + q;
      }
      return;
    }
    if (!options_.params_final && partition_bounds_have_params(table, scan)) {
      d_->needs_params = true;
      return;
    }
    const auto n = count_partitions(table, scan, options_.params_final);
    if (!n || *n <= rule.max_partitions) return;
    const std::string q = table.qualified();
    add(rule, index, q, text::message(rule, text::query_on(q)),
        text::max_detail(*n, rule.max_partitions, column_states(table, scan), partition_combinations(table, scan)),
        text::max_hint(q, table.external->partition_columns, rule.max_partitions));
  }

  // A rule limited to schemas applies when the statement acts on something in one of
  // them: a table it writes, another object it creates, alters or drops (a schema itself,
  // a function, an index, ...), or, for a statement that does neither (SELECT, UNLOAD,
  // EXPLAIN), a table it reads. A statement that may act on every schema matches; one
  // whose targets are unknown matches when a rule schema is among its names (written in
  // it, or on the search_path its unqualified names resolve through). Statements that act
  // on no schema object (SET, SHOW, ALTER USER, CREATE ROLE, SELECT 1) never match.
  void deny_statements(const Rule& rule, int index, const StatementFacts& st) {
    if (std::find(rule.kinds.begin(), rule.kinds.end(), st.kind) == rule.kinds.end()) return;
    struct Target {
      std::string table;  // Finding::table: "schema.name" of a table, "" for other objects
      std::string shown;  // in the message: "public.t", "schema prod", "function prod.f"
      std::string schema;
    };
    std::vector<Target> targets;
    for (const auto& w : st.writes) targets.push_back({w.qualified(), w.qualified(), w.schema});
    for (const auto& o : st.objects) {
      const bool table = o.type == "table" || o.type == "view" || o.type == "materialized view" || o.type == "foreign table";
      targets.push_back({table ? o.qualified() : "", o.type + " " + o.qualified(), o.schema});
    }
    if (targets.empty() && st.any_schema.empty() && !st.targets_unknown) {
      for (const auto& sc : st.scans) targets.push_back({sc.table.qualified(), sc.table.qualified(), sc.table.schema});
    }
    if (rule.schemas.empty()) {
      const Target* t = targets.empty() ? nullptr : &targets.front();
      add(rule, index, t ? t->table : "", text::message(rule, text::statement_on(st.kind, t ? t->shown : "")),
          text::statements_detail(st.kind, rule, session_.user), text::statements_hint(rule));
      return;
    }
    for (const auto& t : targets) {
      if (!any_glob(rule.schemas, t.schema)) continue;
      add(rule, index, t.table, text::message(rule, text::statement_on(st.kind, t.shown)),
          text::statements_detail(st.kind, rule, session_.user), text::statements_hint(rule));
      return;
    }
    if (!st.any_schema.empty()) {
      add(rule, index, "", text::message(rule, text::statement_on(st.kind, "")),
          text::statements_any_schema_detail(st.kind, rule, session_.user, st.any_schema), text::statements_hint(rule));
      return;
    }
    if (st.targets_unknown) {
      for (const auto& n : st.names) {
        if (!any_glob(rule.schemas, lower(n))) continue;
        add(rule, index, "", text::message(rule, text::statement_on(st.kind, "")),
            text::statements_untargeted_detail(st.kind, rule, session_.user, lower(n)), text::statements_hint(rule));
        return;
      }
    }
  }

  // Fail closed: when a statement (Unparsed) or code inside it (opaque) could not be
  // analysed, it is refused when its names show something a rule in scope protects: a
  // governed table a table rule covers, or a schema of a deny_statements rule (whatever
  // its kinds: the kind is unknown, or the code may run any statement). A rule without
  // schemas refuses it only when it lists `unparsed`. Code that builds SQL at run time
  // (`dynamic`: opaque_dynamic, or a call of a function that runs SQL text) may name
  // anything: every such rule in scope refuses it, and so does every table rule while the
  // catalog is missing (any name may be a governed table).
  void fail_closed(int index, const StatementFacts& st, const std::string& detail, const std::string& hint,
                   bool dynamic) {
    const bool any_table = dynamic || catalog_pending();
    std::set<std::string> names;
    for (const auto& n : st.names) names.insert(lower(n));
    auto named = [&](const std::string& n) { return names.count(n) > 0; };
    std::vector<GovernedTable> governed;
    bool governed_loaded = false;
    for (const Rule* rule : rules_) {
      if (rule->type == RuleType::DenyStatements) {
        const bool denies_unparsed =
            std::find(rule->kinds.begin(), rule->kinds.end(), StatementKind::Unparsed) != rule->kinds.end();
        std::string subject;
        if (rule->schemas.empty()) {
          if (!denies_unparsed) continue;
          subject = "statement";
        } else if (dynamic) {
          subject = "statement";
        } else {
          auto it = std::find_if(names.begin(), names.end(), [&](const std::string& n) { return any_glob(rule->schemas, n); });
          if (it == names.end()) continue;
          subject = "statement on schema " + *it;
        }
        if (Finding* f = add(*rule, index, "", text::unanalysed_message(*rule, subject), detail, hint)) f->unanalysed = true;
        continue;
      }
      if (!governed_loaded) {
        governed = governed_tables(policy_, catalog_);
        governed_loaded = true;
      }
      const bool covers_any = catalog_pending() || std::any_of(governed.begin(), governed.end(), [&](const auto& t) {
                                return rule_covers(*rule, t);
                              });
      if (any_table && covers_any) {
        // One finding per rule: which of its tables the code reads is unknown.
        if (Finding* f = add(*rule, index, "", text::unanalysed_message(*rule, "statement"), detail, hint)) {
          f->unanalysed = true;
        }
        continue;
      }
      for (const auto& t : governed) {
        if (!rule_covers(*rule, t)) continue;
        if (!named(t.name) && !named(t.qualified())) continue;
        const std::string q = t.qualified();
        if (Finding* f = add(*rule, index, q, text::unanalysed_message(*rule, text::query_on(q)), detail, hint)) {
          f->unanalysed = true;
        }
      }
    }
  }

  // A function the statement calls that runs SQL text: called (parsed statements), or
  // named in code or text the proxy could not analyse (a DO or function body, unparsed
  // text), where a call looks like any other name.
  [[nodiscard]] const std::string* sql_text_call(const StatementFacts& st) const {
    for (const auto* list : {&st.calls, &st.names}) {
      for (const auto& f : policy_.sql_text_functions) {
        if (std::find(list->begin(), list->end(), f) != list->end()) return &f;
      }
    }
    return nullptr;
  }

  const PolicySet& policy_;
  const SessionFacts& session_;
  const Catalog& catalog_;
  const EvaluateOptions& options_;
  Decision* d_;
  const std::vector<const Rule*> own_rules_;
  const std::vector<const Rule*>& rules_;
  std::set<std::string> seen_;
};

}  // namespace

std::vector<size_t> matching_partitions(const ExternalTable& table, const Scan& scan) {
  std::vector<size_t> out;
  if (scan.reads_nothing) return out;
  const auto& cols = table.partition_columns;
  // Per partition column, its bound (nullptr: any value); the same for each branch of
  // every disjunction that restricts the partition columns in all its branches.
  using Row = std::vector<const Bound*>;
  auto row_of = [&](const std::map<std::string, Bound>& bounds, bool* any) {
    Row row(cols.size(), nullptr);
    for (size_t j = 0; j < cols.size(); ++j) {
      if (const auto it = bounds.find(cols[j]); it != bounds.end()) {
        row[j] = &it->second;
        *any = true;
      }
    }
    return row;
  };
  bool unused = false;
  const Row bounds = row_of(scan.bounds, &unused);
  std::vector<std::vector<Row>> alternatives;
  for (const auto& d : scan.disjunctions) {
    std::vector<Row> branches;
    bool restricts = true;
    for (const auto& branch : d) {
      bool any = false;
      branches.push_back(row_of(branch, &any));
      restricts = restricts && any;
    }
    if (restricts) alternatives.push_back(std::move(branches));  // else some branch matches every partition
  }
  auto matches = [&](const Row& row, const std::vector<std::string>& values) {
    for (size_t j = 0; j < row.size() && j < values.size(); ++j) {
      if (row[j] && !rewrite::matches(*row[j], values[j])) return false;
    }
    return true;
  };
  for (size_t i = 0; i < table.partitions.size(); ++i) {
    const auto& values = table.partitions[i];
    if (!matches(bounds, values)) continue;
    const bool all = std::all_of(alternatives.begin(), alternatives.end(), [&](const std::vector<Row>& branches) {
      return std::any_of(branches.begin(), branches.end(), [&](const Row& row) { return matches(row, values); });
    });
    if (all) out.push_back(i);
  }
  return out;
}

int64_t count_matching_partitions(const ExternalTable& table, const Scan& scan) {
  return static_cast<int64_t>(matching_partitions(table, scan).size());
}

bool scope_matches(const Scope& scope, const SessionFacts& session) {
  if (!scope.users.empty() || !scope.groups.empty()) {
    const bool in_group = session.groups_unknown ? !scope.groups.empty() : any_glob_of(scope.groups, session.groups);
    const bool who = any_glob(scope.users, session.user) || in_group;
    if (!who) return false;
  }
  if (!scope.applications.empty() && !any_glob(scope.applications, session.application_name)) return false;
  if (!scope.databases.empty() && !any_glob(scope.databases, session.database)) return false;
  // An address that is not one (the socket's could not be read) is in every network: fail
  // closed, as unknown groups do.
  if (!scope.client_addresses.empty() && is_address(session.client_address) &&
      !in_networks(scope.client_addresses, session.client_address))
    return false;
  return true;
}

bool exempt_matches(const Scope& exempt, const SessionFacts& session) {
  const bool in_group = !session.groups_unknown && any_glob_of(exempt.groups, session.groups);
  return any_glob(exempt.users, session.user) || in_group ||
         any_glob(exempt.applications, session.application_name) || any_glob(exempt.databases, session.database) ||
         in_networks(exempt.client_addresses, session.client_address);
}

bool in_scope(const Rule& rule, const SessionFacts& session) {
  return scope_matches(rule.scope, session) && !exempt_matches(rule.exempt, session);
}

std::vector<const Rule*> rules_in_scope(const PolicySet& policy, const SessionFacts& session) {
  std::vector<const Rule*> rules;
  for (const auto& r : policy.rules) {
    if (in_scope(r, session)) rules.push_back(&r);
  }
  return rules;
}

Decision evaluate(const PolicySet& policy, const rewrite::QueryFacts& facts, const SessionFacts& session,
                  const Catalog& catalog) {
  return evaluate(policy, facts, session, catalog, EvaluateOptions{});
}

Decision evaluate(const PolicySet& policy, const rewrite::QueryFacts& facts, const SessionFacts& session,
                  const Catalog& catalog, const EvaluateOptions& options) {
  Decision d;
  Evaluator ev(policy, session, catalog, options, &d);
  if (!ev.any_rule()) return d;
  for (size_t i = 0; i < facts.statements.size(); ++i) ev.statement(static_cast<int>(i), facts.statements[i]);
  settle(d);
  return d;
}

void settle(Decision& d) {
  auto first = [&](Mode mode) -> std::optional<size_t> {
    for (size_t i = 0; i < d.findings.size(); ++i) {
      if (d.findings[i].mode == mode && !d.findings[i].note) return i;
    }
    return std::nullopt;
  };
  if ((d.primary = first(Mode::Enforce))) {
    d.outcome = Decision::Outcome::Refuse;
  } else if ((d.primary = first(Mode::Warn))) {
    d.outcome = Decision::Outcome::Notice;
  } else if (!d.findings.empty()) {
    d.outcome = Decision::Outcome::Audit;
    d.primary = 0;
  }
}

}  // namespace blueshift::policies
