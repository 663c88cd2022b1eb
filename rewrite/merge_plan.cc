#include "rewrite/merge_plan.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "rewrite/identifiers.h"
#include "rewrite/pg_parser.h"
#include "rewrite/staged_text.h"

namespace blueshift::rewrite {
namespace {

using pg::Token;
using pg::TokenKind;
using staged::cut;
using staged::has_param;
using staged::refusal;
using staged::step;

enum class Action : uint8_t { Update, Delete, Insert, Nothing };

// One WHEN clause, its texts cut from the client's statement.
struct Clause {
  bool matched = false;
  Action action = Action::Nothing;
  std::string condition;  // after AND, or "" (always)
  std::vector<std::pair<std::string, std::string>> sets;  // UPDATE: quoted column, expression
  std::string set;         // UPDATE: the SET list as written
  std::string cols;        // INSERT: "(a, b)" as written, or ""
  std::string values;      // INSERT: the expressions inside VALUES (...)
  bool params = false;     // its condition or action holds a $n
};

struct Merge {
  std::string target;     // as written, with its alias: public.t AS x
  std::string table;      // the name alone, for LOCK
  std::string qualifier;  // what names the target's row: its alias or relname, quoted
  std::string source;     // as written after USING: src AS s | (SELECT ...) AS s | (VALUES ...) AS s(a, b)
  std::string source_qualifier;  // its alias or relname, quoted
  std::string on;         // the join condition as written
  bool source_params = false;
  bool on_params = false;
  std::vector<Clause> clauses;
};

// Indices of the words at the top level from token i to offset `end`: outside parentheses
// and CASE ... END, so that a CASE's WHEN is not taken for a clause's.
std::vector<size_t> top_words(const std::vector<Token>& tokens, size_t i, int end) {
  std::vector<size_t> out;
  int depth = 0, cases = 0;
  for (; i < tokens.size() && tokens[i].start < end; ++i) {
    const Token& t = tokens[i];
    if (t.kind == TokenKind::LParen) ++depth;
    if (t.kind == TokenKind::RParen) --depth;
    if (depth != 0 || t.kind != TokenKind::Word) continue;
    if (t.word == "case") ++cases;
    if (t.word == "end" && cases > 0) --cases;
    if (cases == 0) out.push_back(i);
  }
  return out;
}

std::optional<size_t> first(const std::vector<Token>& tokens, const std::vector<size_t>& words, size_t from,
                            std::string_view word) {
  for (size_t w : words)
    if (w >= from && tokens[w].word == word) return w;
  return std::nullopt;
}

// Splits `col = expr, ...` at top-level commas into quoted columns and expressions.
bool read_sets(std::string_view sql, const std::vector<Token>& tokens, size_t from, int end,
               const PgQuery__MergeWhenClause& wc, Clause* c) {
  int depth = 0;
  size_t item = from;
  for (size_t i = from; i <= tokens.size(); ++i) {
    const bool last = i == tokens.size() || tokens[i].start >= end;
    if (!last && tokens[i].kind == TokenKind::LParen) ++depth;
    if (!last && tokens[i].kind == TokenKind::RParen) --depth;
    if (!last && (depth != 0 || tokens[i].kind != TokenKind::Comma)) continue;
    if (item + 2 >= i || tokens[item + 1].kind != TokenKind::Op) return false;
    const size_t n = c->sets.size();
    if (n >= wc.n_target_list || !IS(wc.target_list[n], RES_TARGET)) return false;
    const PgQuery__ResTarget& rt = *wc.target_list[n]->res_target;
    if (rt.n_indirection > 0 || (rt.val != nullptr && IS(rt.val, MULTI_ASSIGN_REF))) return false;
    c->sets.emplace_back(quote_identifier(pg::sv(rt.name)), cut(sql, tokens[item + 2].start, tokens[i - 1].end));
    item = i + 1;
    if (last) break;
  }
  return c->sets.size() == wc.n_target_list;
}

// The INSERT action's column list and VALUES expressions, from token i (after INSERT).
bool read_insert(std::string_view sql, const std::vector<Token>& tokens, size_t i, int end, Clause* c) {
  if (i < tokens.size() && tokens[i].kind == TokenKind::LParen) {
    const size_t close = staged::past_group(tokens, i);
    c->cols = cut(sql, tokens[i].start, tokens[close - 1].end);
    i = close;
  }
  if (i + 1 >= tokens.size() || tokens[i].word != "values" || tokens[i + 1].kind != TokenKind::LParen) return false;
  const size_t close = staged::past_group(tokens, i + 1);
  if (close > tokens.size() || close < i + 3 || tokens[close - 1].start >= end) return false;
  c->values = cut(sql, tokens[i + 2].start, tokens[close - 1].start);
  return true;
}

bool has_default(const PgQuery__MergeWhenClause& wc) {
  return std::any_of(wc.values, wc.values + wc.n_values, [](const PgQuery__Node* n) { return IS(n, SET_TO_DEFAULT); });
}

// One clause from its WHEN token to `end`; false for a form the plan cannot spell.
bool read_clause(std::string_view sql, const std::vector<Token>& tokens, size_t when, int end,
                 const PgQuery__MergeWhenClause& wc, Clause* c) {
  const std::vector<size_t> words = top_words(tokens, when, end);
  const std::optional<size_t> matched = first(tokens, words, when, "matched");
  const std::optional<size_t> then = first(tokens, words, when, "then");
  if (!matched || !then || *then + 1 >= tokens.size()) return false;
  c->matched = wc.matched;
  c->params = has_param(&wc.base);
  if (wc.condition != nullptr) c->condition = cut(sql, tokens[*matched + 2].start, tokens[*then].start);
  const size_t act = *then + 1;
  switch (wc.command_type) {
    case PG_QUERY__CMD_TYPE__CMD_UPDATE:
      c->action = Action::Update;
      if (act + 2 >= tokens.size()) return false;
      c->set = cut(sql, tokens[act + 2].start, end);
      return read_sets(sql, tokens, act + 2, end, wc, c);
    case PG_QUERY__CMD_TYPE__CMD_DELETE:
      c->action = Action::Delete;
      return true;
    case PG_QUERY__CMD_TYPE__CMD_INSERT:
      c->action = Action::Insert;
      if (wc.override != PG_QUERY__OVERRIDING_KIND__OVERRIDING_NOT_SET || wc.n_values == 0 || has_default(wc))
        return false;
      return read_insert(sql, tokens, act + 1, end, c);
    case PG_QUERY__CMD_TYPE__CMD_NOTHING:
      c->action = Action::Nothing;
      return true;
    default:
      return false;
  }
}

std::string name_of(const PgQuery__RangeVar& rel) {
  return quote_identifier(rel.alias != nullptr ? pg::sv(rel.alias->aliasname) : pg::sv(rel.relname));
}

// The source's alias (or relname), quoted; "" for a source the plan cannot stage.
std::string source_qualifier(const PgQuery__Node* src) {
  if (IS(src, RANGE_VAR)) return name_of(*src->range_var);
  if (IS(src, RANGE_SUBSELECT) && src->range_subselect->alias != nullptr && !src->range_subselect->lateral)
    return quote_identifier(pg::sv(src->range_subselect->alias->aliasname));
  return "";
}

// Target, source, join condition and clauses, from the tokens of the text.
bool read_merge(std::string_view sql, const std::vector<Token>& tokens, const PgQuery__MergeStmt& ms, int end,
                Merge* m) {
  const PgQuery__RangeVar& rel = *ms.relation;
  const size_t name = staged::token_at(tokens, rel.location);
  const size_t after = staged::past_name(tokens, name);
  if (after >= tokens.size() || after == name) return false;
  m->table = cut(sql, tokens[name].start, tokens[after - 1].end);
  m->qualifier = name_of(rel);
  m->source_qualifier = source_qualifier(ms.source_relation);
  if (m->source_qualifier.empty()) return false;
  const std::vector<size_t> words = top_words(tokens, after, end);
  const std::optional<size_t> using_at = first(tokens, words, after, "using");
  if (!using_at) return false;
  m->target = cut(sql, tokens[name].start, tokens[*using_at].start);
  const std::optional<size_t> on = first(tokens, words, *using_at + 1, "on");
  const std::optional<size_t> when = first(tokens, words, *using_at + 1, "when");
  if (!on || !when || *on + 1 >= *when) return false;
  m->source = cut(sql, tokens[*using_at + 1].start, tokens[*on].start);
  m->on = cut(sql, tokens[*on + 1].start, tokens[*when].start);
  m->source_params = has_param(&ms.source_relation->base);
  m->on_params = has_param(&ms.join_condition->base);
  std::vector<size_t> whens;
  for (size_t w : words)
    if (w >= *when && tokens[w].word == "when") whens.push_back(w);
  if (whens.size() != ms.n_merge_when_clauses) return false;
  for (size_t i = 0; i < whens.size(); ++i) {
    const int clause_end = i + 1 < whens.size() ? tokens[whens[i + 1]].start : end;
    if (!IS(ms.merge_when_clauses[i], MERGE_WHEN_CLAUSE)) return false;
    Clause c;
    if (!read_clause(sql, tokens, whens[i], clause_end, *ms.merge_when_clauses[i]->merge_when_clause, &c)) return false;
    m->clauses.push_back(std::move(c));
  }
  return true;
}

// Redshift's MERGE: a table source, no target alias, one unconditional WHEN MATCHED THEN
// UPDATE or DELETE, then one unconditional WHEN NOT MATCHED THEN INSERT ... VALUES.
bool redshift_runs(const PgQuery__MergeStmt& ms) {
  if (ms.with_clause != nullptr || ms.relation->alias != nullptr || !IS(ms.source_relation, RANGE_VAR) ||
      ms.n_merge_when_clauses != 2)
    return false;
  const auto* a = IS(ms.merge_when_clauses[0], MERGE_WHEN_CLAUSE) ? ms.merge_when_clauses[0]->merge_when_clause : nullptr;
  const auto* b = IS(ms.merge_when_clauses[1], MERGE_WHEN_CLAUSE) ? ms.merge_when_clauses[1]->merge_when_clause : nullptr;
  if (a == nullptr || b == nullptr || a->condition != nullptr || b->condition != nullptr) return false;
  const bool matched_ok = a->matched && (a->command_type == PG_QUERY__CMD_TYPE__CMD_UPDATE ||
                                         a->command_type == PG_QUERY__CMD_TYPE__CMD_DELETE);
  const bool insert_ok = !b->matched && b->command_type == PG_QUERY__CMD_TYPE__CMD_INSERT && b->n_values > 0 &&
                         b->override == PG_QUERY__OVERRIDING_KIND__OVERRIDING_NOT_SET;
  return matched_ok && insert_ok;
}

// ------------------------------------------------------------------ the plan
// The number of the first clause (of those matched == `matched`) whose condition holds,
// 1-based over all clauses; 0 when none does. A NULL condition does not hold.
std::string chosen(const Merge& m, bool matched) {
  std::string out = "CASE";
  for (size_t i = 0; i < m.clauses.size(); ++i) {
    const Clause& c = m.clauses[i];
    if (c.matched != matched) continue;
    out += " WHEN " + (c.condition.empty() ? std::string("TRUE") : "(" + c.condition + ")") + " THEN " +
           std::to_string(i + 1);
  }
  return out + " ELSE 0 END";
}

// "(1, 3)": the numbers of the clauses with these actions; "" when there are none.
std::string numbers(const Merge& m, std::initializer_list<Action> actions) {
  std::string out;
  for (size_t i = 0; i < m.clauses.size(); ++i)
    if (std::find(actions.begin(), actions.end(), m.clauses[i].action) != actions.end())
      out += (out.empty() ? "(" : ", ") + std::to_string(i + 1);
  return out.empty() ? out : out + ")";
}

bool params_of(const Merge& m, bool matched) {
  return m.on_params || std::any_of(m.clauses.begin(), m.clauses.end(),
                                    [&](const Clause& c) { return c.matched == matched && c.params; });
}

// A target row that more than one source row would update or delete: PostgreSQL's 21000.
// The inner S shadows the outer one, so the join condition reads the same in both.
PlanStep twice_check(const Merge& m, const std::string& stage) {
  const std::string acting = chosen(m, true) + " IN " + numbers(m, {Action::Update, Action::Delete});
  const std::string src = stage + " AS " + m.source_qualifier;
  PlanStep s = step("SELECT count(*) / 0 FROM " + src + " JOIN " + m.target + " ON (" + m.on + ") WHERE " + acting +
                        " AND (SELECT count(*) FROM " + src + " WHERE (" + m.on + ") AND " + acting +
                        ") > 1 HAVING count(*) > 0",
                    PlanStep::Replies::Swallow, params_of(m, true));
  s.error_as = PlanStep::Error{"21000", std::string(kMergeAffectRowTwice),
                               "Ensure that not more than one source row matches any one target row."};
  return s;
}

// The SET list of the UPDATE step: as written for one UPDATE clause; for several, each
// column takes the expression of the clause chosen for the row (itself when that one does
// not set it).
std::string set_list(const Merge& m) {
  std::vector<const Clause*> updates;
  for (const Clause& c : m.clauses)
    if (c.action == Action::Update) updates.push_back(&c);
  if (updates.size() == 1) return updates.front()->set;
  std::vector<std::string> columns;
  for (const Clause* c : updates)
    for (const auto& [col, expr] : c->sets)
      if (std::find(columns.begin(), columns.end(), col) == columns.end()) columns.push_back(col);
  std::string out;
  for (const std::string& col : columns) {
    out += (out.empty() ? "" : ", ") + col + " = CASE " + chosen(m, true);
    for (size_t i = 0; i < m.clauses.size(); ++i)
      for (const auto& [set_col, expr] : m.clauses[i].sets)
        if (m.clauses[i].action == Action::Update && set_col == col)
          out += " WHEN " + std::to_string(i + 1) + " THEN " + expr;
    out += " ELSE " + m.qualifier + "." + col + " END";
  }
  return out;
}

// The source rows that meet no target row, with the NOT MATCHED clause each takes, kept
// before the target changes.
PlanStep unmatched(const Merge& m, const std::string& stage, const std::string& rest) {
  return step("CREATE TEMP TABLE " + rest + " AS SELECT " + m.source_qualifier + ".*, " + chosen(m, false) +
                  " AS blueshift_clause FROM " + stage + " AS " + m.source_qualifier + " WHERE NOT EXISTS (SELECT 1 FROM " +
                  m.target + " WHERE " + m.on + ")",
              PlanStep::Replies::Swallow, params_of(m, false));
}

void action_steps(const Merge& m, const std::string& stage, const std::string& rest, Plan* plan) {
  const std::string src = stage + " AS " + m.source_qualifier;
  // DELETE first: the UPDATE's choice then reads target rows as they were.
  if (const std::string d = numbers(m, {Action::Delete}); !d.empty())
    plan->steps.push_back(step("DELETE FROM " + m.target + " USING " + src + " WHERE (" + m.on + ") AND " +
                                   chosen(m, true) + " IN " + d,
                               PlanStep::Replies::Count, params_of(m, true)));
  if (const std::string u = numbers(m, {Action::Update}); !u.empty())
    plan->steps.push_back(step("UPDATE " + m.target + " SET " + set_list(m) + " FROM " + src + " WHERE (" + m.on +
                                   ") AND " + chosen(m, true) + " IN " + u,
                               PlanStep::Replies::Count, params_of(m, true)));
  for (size_t i = 0; i < m.clauses.size(); ++i) {
    const Clause& c = m.clauses[i];
    if (c.action != Action::Insert) continue;
    plan->steps.push_back(step("INSERT INTO " + m.table + (c.cols.empty() ? "" : " " + c.cols) + " SELECT " +
                                   c.values + " FROM " + rest + " AS " + m.source_qualifier +
                                   " WHERE blueshift_clause = " + std::to_string(i + 1),
                               PlanStep::Replies::Count, c.params));
  }
}

PlanPtr build(const Merge& m, Warehouse warehouse, const std::string& stage, const std::string& rest) {
  auto plan = std::make_shared<Plan>();
  plan->tag = "MERGE {rows}";
  plan->target = m.table;
  plan->form = "merge";
  // The lock before the source is staged: a source that reads the target (a subquery on
  // it, a join, a view) then reads it as no other writer can change it before the plan's
  // own steps, and two such MERGEs do not deadlock upgrading a reader's lock to LOCK's.
  for (PlanStep& lock : staged::lock_steps(m.table, warehouse == Warehouse::PostgreSQL))
    plan->steps.push_back(std::move(lock));
  plan->steps.push_back(step("CREATE TEMP TABLE " + stage + " AS SELECT * FROM " + m.source,
                             PlanStep::Replies::Swallow, m.source_params));
  if (!numbers(m, {Action::Update, Action::Delete}).empty())
    plan->steps.push_back(twice_check(m, stage));
  const bool inserts = !numbers(m, {Action::Insert}).empty();
  if (inserts) plan->steps.push_back(unmatched(m, stage, rest));
  action_steps(m, stage, rest, plan.get());
  if (inserts) plan->steps.push_back(step("DROP TABLE " + rest));
  plan->steps.push_back(step("DROP TABLE " + stage));
  return plan;
}

// PostgreSQL refuses a clause after an unconditional one of the same kind (42601).
bool unreachable_clause(const PgQuery__MergeStmt& ms) {
  bool after_matched = false, after_not_matched = false;
  for (size_t i = 0; i < ms.n_merge_when_clauses; ++i) {
    if (!IS(ms.merge_when_clauses[i], MERGE_WHEN_CLAUSE)) continue;
    const PgQuery__MergeWhenClause& wc = *ms.merge_when_clauses[i]->merge_when_clause;
    bool& after = wc.matched ? after_matched : after_not_matched;
    if (after) return true;
    after = wc.condition == nullptr;
  }
  return false;
}

bool is_merge(const PgQuery__RawStmt* raw) { return raw != nullptr && IS(raw->stmt, MERGE_STMT); }

}  // namespace

bool may_plan_merge(StatementWords words, MergeMode mode) {
  return mode != MergeMode::Off && (words & kWordMerge) != 0;
}

PlanPtr plan_merge(std::string_view text, MergeMode mode, const UpsertTargets& rewrites, Warehouse warehouse) {
  if (!may_plan_merge(statement_words(text), mode)) return nullptr;
  const std::string sql(text);
  const pg::ParseOutcome parsed = pg::parse(sql);
  if (!parsed.tree) return nullptr;
  const auto& tree = *parsed.tree;
  if (std::none_of(tree.stmts, tree.stmts + tree.n_stmts, is_merge)) return nullptr;
  if (tree.n_stmts != 1)
    return staged::refusal("MERGE must be sent as a statement of its own",
                           "Send the MERGE in its own query, without other statements in the same text.");
  const PgQuery__RawStmt& raw = *tree.stmts[0];
  const PgQuery__MergeStmt& ms = *raw.stmt->merge_stmt;
  if (rewrites && !rewrites(pg::sv(ms.relation->schemaname), pg::sv(ms.relation->relname))) return nullptr;
  if (mode == MergeMode::Native && redshift_runs(ms)) return nullptr;
  if (ms.with_clause != nullptr) return staged::refusal("MERGE with a WITH clause is not supported", "");
  if (unreachable_clause(ms))
    return staged::refusal("unreachable WHEN clause specified after unconditional WHEN clause", "", "42601");
  std::vector<Token> tokens;
  std::string error;
  if (!pg::scan(sql, &tokens, &error)) return nullptr;
  const int end = raw.stmt_len > 0 ? raw.stmt_location + raw.stmt_len : static_cast<int>(sql.size());
  Merge m;
  if (!read_merge(sql, tokens, ms, end, &m))
    return staged::refusal("this form of MERGE is not supported: it runs as staged statements on Redshift",
                           "Use a table, a subquery or VALUES with an alias as the source; SET plain columns; "
                           "INSERT ... VALUES without DEFAULT.");
  return staged::built_twice({staged::stage_name("merge"), staged::stage_name("merge")},
                             [&](const std::vector<std::string>& stages) {
                               return build(m, warehouse, stages[0], stages[1]);
                             });
}

}  // namespace blueshift::rewrite
