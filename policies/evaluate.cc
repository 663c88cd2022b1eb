#include "policies/evaluate.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "policies/finding_text.h"
#include "policies/governed_table.h"
#include "rewrite/bounds.h"

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

bool partition_bounds_have_params(const GovernedTable& table, const Scan& scan) {
  std::vector<std::string> cols = table.partition_columns;
  if (table.external) cols.insert(cols.end(), table.external->partition_columns.begin(), table.external->partition_columns.end());
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

class Evaluator {
 public:
  Evaluator(const PolicySet& policy, const SessionFacts& session, const Catalog& catalog,
            const EvaluateOptions& options, Decision* decision)
      : policy_(policy), session_(session), catalog_(catalog), options_(options), d_(decision) {
    for (const auto& r : policy.rules) {
      if (in_scope(r, session)) rules_.push_back(&r);
    }
  }

  [[nodiscard]] bool any_rule() const { return !rules_.empty(); }

  void statement(int index, const StatementFacts& st) {
    seen_.clear();
    if (st.kind == StatementKind::Unparsed) return unparsed(index, st);
    for (const Rule* rule : rules_) {
      if (rule->type == RuleType::DenyStatements) deny_statements(*rule, index, st);
    }
    for (const auto& scan : st.scans) {
      const auto table = find_governed(policy_, catalog_, scan.table.schema, scan.table.name);
      if (!table) continue;
      for (const Rule* rule : rules_) {
        if (!rule_covers(*rule, *table)) continue;
        switch (rule->type) {
          case RuleType::RequirePartitionFilter: require_filter(*rule, index, *table, scan); break;
          case RuleType::MaxPartitions: max_partitions(*rule, index, *table, scan); break;
          case RuleType::DenySelectStar:
            if (scan.select_star) {
              add(*rule, index, table->qualified(), text::message(*rule, text::query_on(table->qualified())),
                  text::star_detail(table->qualified(), table->external != nullptr), text::star_hint());
            }
            break;
          case RuleType::DenyStatements: break;
        }
      }
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

  void require_filter(const Rule& rule, int index, const GovernedTable& table, const Scan& scan) {
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
    const auto states = column_states(table, scan);
    size_t finite = 0;
    for (const auto& s : states) {
      if (s.finite && std::find(required.begin(), required.end(), s.column) != required.end()) ++finite;
    }
    const bool ok = rule.columns == Rule::Columns::Any ? finite > 0 : finite == required.size();
    if (ok) return;
    const std::string q = table.qualified();
    add(rule, index, q, text::message(rule, text::query_on(q)), text::filter_detail(states, count_partitions(table, scan, options_.params_final)),
        text::filter_hint(q, required, table.partition_columns, rule.columns == Rule::Columns::Any));
  }

  void max_partitions(const Rule& rule, int index, const GovernedTable& table, const Scan& scan) {
    const std::string q = table.qualified();
    if (!table.external) {
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
    add(rule, index, q, text::message(rule, text::query_on(q)),
        text::max_detail(*n, rule.max_partitions, column_states(table, scan), partition_combinations(table, scan)),
        text::max_hint(q, table.external->partition_columns, rule.max_partitions));
  }

  void deny_statements(const Rule& rule, int index, const StatementFacts& st) {
    if (std::find(rule.kinds.begin(), rule.kinds.end(), st.kind) == rule.kinds.end()) return;
    // The tables a statement acts on: what it writes, or for statements that write
    // nothing (SELECT, UNLOAD, EXPLAIN), what it reads.
    std::vector<std::string> targets;
    std::vector<std::string> schemas;
    if (!st.writes.empty()) {
      for (const auto& w : st.writes) {
        targets.push_back(w.qualified());
        schemas.push_back(w.schema);
      }
    } else {
      for (const auto& s : st.scans) {
        targets.push_back(s.table.qualified());
        schemas.push_back(s.table.schema);
      }
    }
    std::string table;
    if (rule.schemas.empty()) {
      table = targets.empty() ? "" : targets.front();
    } else if (targets.empty()) {
      // DROP SCHEMA, ALTER SCHEMA, DROP FUNCTION, GRANT ... name no table the analysis
      // reports, so which schema they touch is unknown: fail closed.
      add(rule, index, "", text::message(rule, text::statement_on(st.kind, "")),
          text::statements_untargeted_detail(st.kind, rule, session_.user), text::statements_hint(rule));
      return;
    } else {
      size_t i = 0;
      while (i < schemas.size() && !any_glob(rule.schemas, schemas[i])) ++i;
      if (i == schemas.size()) return;
      table = targets[i];
    }
    add(rule, index, table, text::message(rule, text::statement_on(st.kind, table)),
        text::statements_detail(st.kind, rule, session_.user), text::statements_hint(rule));
  }

  // Fail closed: text the parser rejected is refused when it names something a rule in
  // scope protects, because nothing else can be known about it.
  void unparsed(int index, const StatementFacts& st) {
    std::set<std::string> names;
    for (const auto& n : st.unparsed_names) names.insert(lower(n));
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
        } else {
          auto it = std::find_if(names.begin(), names.end(), [&](const std::string& n) { return any_glob(rule->schemas, n); });
          if (it == names.end()) continue;
          subject = "statement on schema " + *it;
        }
        if (Finding* f = add(*rule, index, "", text::unanalysed_message(*rule, subject), text::unanalysed_detail(st.error),
                             text::unanalysed_hint())) {
          f->unanalysed = true;
        }
        continue;
      }
      if (!governed_loaded) {
        governed = governed_tables(policy_, catalog_);
        governed_loaded = true;
      }
      for (const auto& t : governed) {
        if (!rule_covers(*rule, t)) continue;
        if (!named(t.name) && !named(t.qualified())) continue;
        const std::string q = t.qualified();
        if (Finding* f = add(*rule, index, q, text::unanalysed_message(*rule, text::query_on(q)),
                             text::unanalysed_detail(st.error), text::unanalysed_hint())) {
          f->unanalysed = true;
        }
      }
    }
  }

  const PolicySet& policy_;
  const SessionFacts& session_;
  const Catalog& catalog_;
  const EvaluateOptions& options_;
  Decision* d_;
  std::vector<const Rule*> rules_;
  std::set<std::string> seen_;
};

}  // namespace

int64_t count_matching_partitions(const ExternalTable& table, const Scan& scan) {
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
  int64_t n = 0;
  for (const auto& values : table.partitions) {
    if (!matches(bounds, values)) continue;
    const bool all = std::all_of(alternatives.begin(), alternatives.end(), [&](const std::vector<Row>& branches) {
      return std::any_of(branches.begin(), branches.end(), [&](const Row& row) { return matches(row, values); });
    });
    if (all) ++n;
  }
  return n;
}

bool scope_matches(const Scope& scope, const SessionFacts& session) {
  if (!scope.users.empty() || !scope.groups.empty()) {
    const bool who = any_glob(scope.users, session.user) || any_glob_of(scope.groups, session.groups);
    if (!who) return false;
  }
  if (!scope.applications.empty() && !any_glob(scope.applications, session.application_name)) return false;
  if (!scope.databases.empty() && !any_glob(scope.databases, session.database)) return false;
  return true;
}

bool exempt_matches(const Scope& exempt, const SessionFacts& session) {
  return any_glob(exempt.users, session.user) || any_glob_of(exempt.groups, session.groups) ||
         any_glob(exempt.applications, session.application_name) || any_glob(exempt.databases, session.database);
}

bool in_scope(const Rule& rule, const SessionFacts& session) {
  return scope_matches(rule.scope, session) && !exempt_matches(rule.exempt, session);
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
  return d;
}

}  // namespace blueshift::policies
