#include "rewrite/upsert_plan.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "rewrite/identifiers.h"
#include "rewrite/pg_parser.h"
#include "rewrite/staged_text.h"
#include "rewrite/upsert_fold.h"

namespace blueshift::rewrite {
namespace {

using pg::Token;
using pg::TokenKind;
using staged::cut;
using staged::find_word;
using staged::has_param;
using staged::key_match;
using staged::past_group;
using staged::past_name;
using staged::refusal;
using staged::step;
using staged::token_at;

// What the plan is built from: texts cut from the client's statement at parse-tree and
// token positions, and the key columns quoted.
struct Upsert {
  std::string table;      // as written, e.g. public."Sales"
  std::string relname;    // the target as parsed (Sales), and its schema ("" unqualified)
  std::string schema;
  std::string qualifier;  // what names the target's row in SET/WHERE: its alias or relname
  std::string alias;      // "AS x" as written after the table, or ""
  std::string cols;       // "(a, b)" as written, or ""
  std::string source;     // VALUES ... | SELECT ...
  std::string loaded;     // the client's text from the column list (or source) to ON CONFLICT
  int loaded_at = 0;      // where it starts there, in characters
  std::vector<std::string> keys;
  // DO NOTHING without a target meets a row on any of the table's declared keys: all of
  // them when there are several (keys then stays empty); none declared: a plain INSERT.
  std::vector<std::vector<std::string>> any_keys;
  bool no_keys = false;
  bool update = false;
  std::string set;    // the SET list as written (DO UPDATE)
  std::string where;  // the DO UPDATE condition as written, or ""
  Warehouse warehouse = Warehouse::PostgreSQL;
  bool source_params = false;
  bool update_params = false;  // in SET or WHERE
  bool where_params = false;
  std::optional<Plan::Fold> fold;  // an Execute run of it may run as one staged transaction
};

// The target, its alias and column list, and the source, from the tokens of the text.
bool read_target(std::string_view sql, const std::vector<Token>& tokens, const PgQuery__InsertStmt& ins,
                 Upsert* u) {
  const PgQuery__RangeVar& rel = *ins.relation;
  size_t i = token_at(tokens, rel.location);
  size_t after = past_name(tokens, i);
  if (i >= tokens.size() || after >= tokens.size()) return false;
  u->table = cut(sql, tokens[i].start, tokens[after - 1].end);
  u->relname = pg::sv(rel.relname);
  u->schema = pg::sv(rel.schemaname);
  u->qualifier = quote_identifier(rel.alias != nullptr ? pg::sv(rel.alias->aliasname) : pg::sv(rel.relname));
  if (rel.alias != nullptr && tokens[after].word == "as") {
    u->alias = cut(sql, tokens[after].start, tokens[after + 1].end);
    after += 2;
  }
  if (after >= tokens.size()) return false;
  const int loaded = tokens[after].start;  // the column list, or the source
  if (ins.n_cols > 0) {
    const size_t close = past_group(tokens, after);
    u->cols = cut(sql, tokens[after].start, tokens[close - 1].end);
    after = close;
  }
  if (after >= tokens.size() || tokens[after].word == "overriding") return false;
  u->source = cut(sql, tokens[after].start, ins.on_conflict_clause->location);
  u->loaded = cut(sql, loaded, ins.on_conflict_clause->location);
  u->loaded_at = staged::characters(sql.substr(0, static_cast<size_t>(loaded)));
  return true;
}

// The SET list and WHERE condition of DO UPDATE, as written up to `end`.
void read_update(std::string_view sql, const std::vector<Token>& tokens, const PgQuery__OnConflictClause& oc,
                 int end, Upsert* u) {
  const std::optional<size_t> found = find_word(tokens, token_at(tokens, oc.location), end, "set");
  if (!found || *found + 1 >= tokens.size()) return;
  const size_t set = *found;
  const std::optional<size_t> where = find_word(tokens, set + 1, end, "where");
  const int set_end = where ? tokens[*where].start : end;
  u->set = cut(sql, tokens[set + 1].start, set_end);
  if (where) u->where = cut(sql, tokens[*where + 1].start, end);
  u->update_params = has_param(&oc.base);
  u->where_params = oc.where_clause != nullptr && has_param(&oc.where_clause->base);
}

std::string key_match(const Upsert& u, std::string_view left, std::string_view right) {
  return key_match(u.keys, left, right);
}

// Rows that meet on any of the keys.
std::string any_key_match(const Upsert& u, std::string_view left, std::string_view right) {
  std::string out;
  for (const std::vector<std::string>& key : u.any_keys)
    out += (out.empty() ? "(" : " OR (") + key_match(key, left, right) + ")";
  return "(" + out + ")";
}

// New keys only, from the staging table (after its duplicates are settled). Every column
// comes from the staging table, which took t's defaults as PostgreSQL's EXCLUDED row does.
PlanStep insert_new(const Upsert& u, const std::string& stage) {
  return step("INSERT INTO " + u.table + " SELECT * FROM " + stage + " AS excluded WHERE NOT EXISTS (SELECT 1 FROM " +
                  u.table + " AS blueshift_target WHERE " + key_match(u, "blueshift_target", "excluded") + ")",
              PlanStep::Replies::Count);
}

// PostgreSQL fails DO UPDATE with 21000 when a row meets one this command already
// inserted or updated: a key given again after a row of it that inserted (the key was
// new) or whose WHERE held. count(*) / 0 is evaluated only when such a row exists. The
// later row is found by a window, not a self-join, which stays cheap whatever joins the
// planner may use (see planner_settings).
PlanStep duplicate_check(const Upsert& u, const std::string& stage, const std::string& ord) {
  std::string not_null, keys;
  for (const std::string& k : u.keys) {
    not_null += " AND excluded." + k + " IS NOT NULL";
    keys += (keys.empty() ? "" : ", ") + k;
  }
  const std::string target = u.table + (u.alias.empty() ? "" : " " + u.alias);
  const std::string affects =
      u.where.empty() ? "TRUE"
                      : "NOT EXISTS (SELECT 1 FROM " + u.table + " AS blueshift_target WHERE " +
                            key_match(u, "blueshift_target", "excluded") + ") OR EXISTS (SELECT 1 FROM " + target +
                            " WHERE " + key_match(u, u.qualifier, "excluded") + " AND (" + u.where + "))";
  PlanStep s = step("SELECT count(*) / 0 FROM (SELECT *, lead(" + ord + ") OVER (PARTITION BY " + keys +
                        " ORDER BY " + ord + ") AS blueshift_next FROM " + stage +
                        ") AS excluded WHERE excluded.blueshift_next IS NOT NULL" + not_null + " AND (" + affects +
                        ") HAVING count(*) > 0",
                    PlanStep::Replies::Swallow, u.where_params);
  s.error_as = PlanStep::Error{"21000", std::string(kAffectRowTwice),
                               "Ensure that no rows proposed for insertion within the same command have duplicate "
                               "constrained values."};
  return s;
}

// PostgreSQL costs a hash of the whole target below 1,000 index probes into it until the
// target is large, and takes the never analysed staging table for a thousand rows: the
// staged joins would read all of the target per batch (0.1 of native rows/s into 100,000
// rows; in the extended protocol, where a batch is often one row, 3 rows/s) where native
// ON CONFLICT probes its index. Nested loops it is, for the steps that join the target
// (staged_text.h, joins_probe_indexes; given back by planner_restored).
void planner_settings(const Upsert& u, Plan* plan) {
  if (u.warehouse == Warehouse::PostgreSQL) plan->steps.push_back(staged::joins_probe_indexes());
}

void planner_restored(const Upsert& u, Plan* plan) {
  if (u.warehouse == Warehouse::PostgreSQL) plan->steps.push_back(staged::joins_restored());
}

// The staging table numbers its rows in the order they arrive (which of duplicates is
// first, or affects the target first), then is loaded with the client's source. On
// PostgreSQL it carries the target's CHECK constraints (NOT NULL comes with LIKE): native
// ON CONFLICT checks the proposed row before it looks for a conflict, so a bad row fails
// on an existing key too. Redshift has neither CHECK nor LIKE's INCLUDING CONSTRAINTS.
void stage_steps(const Upsert& u, const std::string& stage, const std::string& ord, Plan* plan) {
  const bool redshift = u.warehouse == Warehouse::Redshift;
  const char* identity = redshift ? " BIGINT IDENTITY(1, 1)" : " BIGINT GENERATED BY DEFAULT AS IDENTITY";
  const char* like = redshift ? " INCLUDING DEFAULTS, " : " INCLUDING DEFAULTS INCLUDING CONSTRAINTS, ";
  plan->steps.push_back(step("CREATE TEMP TABLE " + stage + " (LIKE " + u.table + like + ord + identity + ")"));
  // The client's own span, so that an error's position maps back to its text.
  const std::string head = "INSERT INTO " + stage + " ";
  plan->steps.push_back(step(head + u.loaded, PlanStep::Replies::Swallow, u.source_params));
  plan->steps.back().position_shift = u.loaded_at - static_cast<int>(head.size());
}

// A plan under way: its staging table and the column numbering its rows.
struct Staged {
  std::string stage;
  std::string ord = quote_identifier("blueshift_ord");
  std::shared_ptr<Plan> plan = std::make_shared<Plan>();
};

Staged start(const Upsert& u, const std::string& stage) {
  Staged s;
  s.stage = stage;
  s.plan->tag = "INSERT 0 {rows}";
  s.plan->target = u.table;
  s.plan->form = "on_conflict";
  s.plan->fold = u.fold;
  if (s.plan->fold) s.plan->fold->savepoints = u.warehouse == Warehouse::PostgreSQL;
  // LOCK before anything reads t (CREATE ... LIKE t, the checks): a session holding a
  // reader's lock on t while it waits for LOCK t deadlocks with another doing the same.
  for (PlanStep& l : staged::lock_steps(u.table, u.warehouse == Warehouse::PostgreSQL))
    s.plan->steps.push_back(std::move(l));
  stage_steps(u, s.stage, s.ord, s.plan.get());
  return s;
}

// The numbering goes (the target takes the staging table's columns), then the new keys
// are inserted and the staging table dropped.
PlanPtr finish(const Upsert& u, Staged s) {
  s.plan->steps.push_back(step("ALTER TABLE " + s.stage + " DROP COLUMN " + s.ord));
  s.plan->steps.push_back(insert_new(u, s.stage));
  planner_restored(u, s.plan.get());
  s.plan->steps.push_back(step("DROP TABLE " + s.stage));
  return s.plan;
}

PlanPtr build_update(const Upsert& u, const std::string& stage) {
  Staged s = start(u, stage);
  planner_settings(u, s.plan.get());
  s.plan->steps.push_back(duplicate_check(u, s.stage, s.ord));
  s.plan->steps.push_back(step("UPDATE " + u.table + (u.alias.empty() ? "" : " " + u.alias) + " SET " + u.set +
                                   " FROM " + s.stage + " AS excluded WHERE " + key_match(u, u.qualifier, "excluded") +
                                   (u.where.empty() ? "" : " AND (" + u.where + ")"),
                               PlanStep::Replies::Count, u.update_params));
  return finish(u, std::move(s));
}

// DO NOTHING keeps the first of duplicates: later ones go.
PlanPtr build_nothing(const Upsert& u, const std::string& stage) {
  Staged s = start(u, stage);
  if (u.fold) {  // each row's count, then the same deletion, linear under the planner settings
    planner_settings(u, s.plan.get());
    s.plan->steps.push_back(inserted_flags(u.table, u.keys, s.stage, s.ord, u.warehouse == Warehouse::PostgreSQL));
    s.plan->steps.push_back(later_duplicates_deleted(u.keys, s.stage, s.ord));
    return finish(u, std::move(s));
  }
  s.plan->steps.push_back(step("DELETE FROM " + s.stage + " USING " + s.stage + " AS blueshift_first WHERE " +
                               key_match(u, s.stage, "blueshift_first") + " AND blueshift_first." + s.ord + " < " +
                               s.stage + "." + s.ord));
  planner_settings(u, s.plan.get());
  return finish(u, std::move(s));
}

// DO NOTHING without target on a table with several keys: a row goes when it meets a row
// of t on any key, or an earlier row of the statement that was inserted. Dropping every
// row that meets any earlier one is that, unless a row met only rows that went themselves
// (a chain over different keys): such a statement is refused rather than guessed at.
PlanPtr build_nothing_any(const Upsert& u, const std::string& stage) {
  Staged s = start(u, stage);
  s.plan->steps.push_back(step("DELETE FROM " + s.stage + " WHERE EXISTS (SELECT 1 FROM " + u.table +
                               " AS blueshift_target WHERE " + any_key_match(u, "blueshift_target", s.stage) + ")"));
  const std::string a = "blueshift_a", b = "blueshift_b", c = "blueshift_c";
  PlanStep chain = step("SELECT count(*) / 0 FROM " + s.stage + " AS " + a + " JOIN " + s.stage + " AS " + b + " ON " +
                        b + "." + s.ord + " > " + a + "." + s.ord + " AND " + any_key_match(u, a, b) + " JOIN " +
                        s.stage + " AS " + c + " ON " + c + "." + s.ord + " > " + b + "." + s.ord + " AND " +
                        any_key_match(u, b, c) + " WHERE NOT " + any_key_match(u, a, c) + " HAVING count(*) > 0");
  chain.error_as = PlanStep::Error{"0A000", std::string(kKeysChain),
                                   "Name the conflict target (ON CONFLICT (col, ...)), or send such rows in "
                                   "separate statements."};
  s.plan->steps.push_back(std::move(chain));
  s.plan->steps.push_back(step("DELETE FROM " + s.stage + " USING " + s.stage + " AS blueshift_first WHERE " +
                               any_key_match(u, s.stage, "blueshift_first") + " AND blueshift_first." + s.ord + " < " +
                               s.stage + "." + s.ord));
  s.plan->steps.push_back(step("ALTER TABLE " + s.stage + " DROP COLUMN " + s.ord));
  s.plan->steps.push_back(step("INSERT INTO " + u.table + " SELECT * FROM " + s.stage, PlanStep::Replies::Count));
  s.plan->steps.push_back(step("DROP TABLE " + s.stage));
  return s.plan;
}

// The plan `build` makes for u with a new staging table, its steps' checked texts with it.
PlanPtr staged_with(const Upsert& u, PlanPtr (*build)(const Upsert&, const std::string&)) {
  const std::string stage = staged::stage_name("upsert");
  const PlanPtr plan =
      staged::built_twice({stage}, [&](const std::vector<std::string>& stages) { return build(u, stages.front()); });
  if (!plan || plan->refusal) return plan;
  auto named = std::make_shared<Plan>(*plan);
  // stage_name quotes a name that needs no escaping: the server's spelling is within.
  named->staging = Plan::Staging{stage.substr(1, stage.size() - 2), u.relname, u.schema};
  return named;
}

// DO NOTHING without target on a table without declared keys inserts every row.
PlanPtr build_plain(const Upsert& u) {
  auto plan = std::make_shared<Plan>();
  plan->tag = "INSERT 0 {rows}";
  plan->target = u.table;
  plan->form = "on_conflict";
  const std::string head = "INSERT INTO " + u.table + " ";
  plan->steps.push_back(step(head + u.loaded, PlanStep::Replies::Count, u.source_params));
  plan->steps.back().position_shift = u.loaded_at - static_cast<int>(head.size());
  return plan;
}

// The keys of `ON CONFLICT ON CONSTRAINT name` or of a DO NOTHING without target, from the
// catalog; a refusal when it cannot tell.
PlanPtr catalog_keys(const PgQuery__InsertStmt& ins, const KeyLookup& lookup, Upsert* u) {
  const PgQuery__OnConflictClause& oc = *ins.on_conflict_clause;
  const bool named = oc.infer != nullptr;
  if (!named && oc.action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_UPDATE)
    return refusal("ON CONFLICT DO UPDATE requires inference specification or constraint name",
                   "For example, ON CONFLICT (column_name).", "42601");
  const std::string hint = "Name the key columns instead: ON CONFLICT (col, ...).";
  if (!lookup) return refusal("the table's keys are not known: Blueshift has no catalog to read them from", hint);
  const PgQuery__RangeVar& rel = *ins.relation;
  const absl::StatusOr<std::vector<UpsertKey>> keys = lookup(pg::sv(rel.schemaname), pg::sv(rel.relname));
  if (!keys.ok()) return refusal(std::string(keys.status().message()), hint, "55000");
  const auto quoted = [](const UpsertKey& k) {
    std::vector<std::string> out;
    for (const std::string& c : k.columns) out.push_back(quote_identifier(c));
    return out;
  };
  if (named) {
    const std::string_view name = pg::sv(oc.infer->conname);
    const auto it = std::find_if(keys->begin(), keys->end(), [&](const UpsertKey& k) { return k.name == name; });
    if (it == keys->end())
      return refusal("constraint \"" + std::string(name) + "\" for table \"" + std::string(pg::sv(rel.relname)) +
                         "\" does not exist",
                     "Blueshift reads constraints from the catalog, which it refreshes periodically. " + hint, "42704");
    u->keys = quoted(*it);
  } else if (keys->size() == 1) {
    u->keys = quoted(keys->front());
  } else {
    for (const UpsertKey& k : *keys) u->any_keys.push_back(quoted(k));
    u->no_keys = keys->empty();
  }
  return nullptr;
}

// Refuses what cannot run exactly; fills the keys otherwise.
PlanPtr check_form(const PgQuery__InsertStmt& ins, const KeyLookup& lookup, Upsert* u) {
  const PgQuery__OnConflictClause& oc = *ins.on_conflict_clause;
  if (ins.n_returning_list > 0)
    return refusal("INSERT ... ON CONFLICT ... RETURNING is not supported: the upsert runs as staged statements "
                   "on Redshift, which cannot return the rows it inserted or updated",
                   "Run the upsert without RETURNING, then SELECT the rows by their keys.");
  if (ins.with_clause != nullptr) return refusal("INSERT ... ON CONFLICT with a WITH clause is not supported", "");
  if (oc.infer == nullptr || pg::has(oc.infer->conname)) {
    if (PlanPtr refused = catalog_keys(ins, lookup, u)) return refused;
  } else if (oc.infer->where_clause != nullptr) {
    return refusal("ON CONFLICT with a WHERE on its key columns (a partial index) is not supported",
                   "Name the key columns of a constraint: ON CONFLICT (col, ...).");
  }
  for (size_t i = 0; oc.infer != nullptr && !pg::has(oc.infer->conname) && i < oc.infer->n_index_elems; ++i) {
    const PgQuery__Node* n = oc.infer->index_elems[i];
    if (!IS(n, INDEX_ELEM) || !pg::has(n->index_elem->name))
      return refusal("ON CONFLICT on an expression is not supported", "Name the key columns: ON CONFLICT (col, ...).");
    u->keys.push_back(quote_identifier(pg::sv(n->index_elem->name)));
  }
  for (size_t i = 0; i < oc.n_target_list; ++i) {
    const PgQuery__Node* n = oc.target_list[i];
    if (IS(n, RES_TARGET) && std::find(u->keys.begin(), u->keys.end(), quote_identifier(pg::sv(n->res_target->name))) !=
                                 u->keys.end())
      return refusal("ON CONFLICT DO UPDATE that changes a key column is not supported", "");
  }
  return nullptr;
}

PlanPtr plan_one(const std::string& sql, const PgQuery__RawStmt& raw, const std::vector<Token>& tokens,
                 const KeyLookup& keys, Warehouse warehouse) {
  const PgQuery__InsertStmt& ins = *raw.stmt->insert_stmt;
  Upsert u;
  u.warehouse = warehouse;
  if (PlanPtr refused = check_form(ins, keys, &u)) return refused;
  if (ins.select_stmt == nullptr || !read_target(sql, tokens, ins, &u))
    return refusal("this form of INSERT ... ON CONFLICT is not supported", "");
  u.source_params = has_param(&ins.select_stmt->base);
  const int end = raw.stmt_len > 0 ? raw.stmt_location + raw.stmt_len : static_cast<int>(sql.size());
  u.update = ins.on_conflict_clause->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_UPDATE;
  if (!u.update) {
    if (u.no_keys) return build_plain(u);
    if (!u.any_keys.empty()) return staged_with(u, build_nothing_any);
    u.fold = fold_shape(ins, u.keys);
    if (u.fold) u.fold->flags = true;
    return staged_with(u, build_nothing);
  }
  read_update(sql, tokens, *ins.on_conflict_clause, end, &u);
  // A row's SET or WHERE may not differ by row ($n), and each row then counts 1.
  if (!u.update_params && !u.where_params && u.where.empty()) u.fold = fold_shape(ins, u.keys);
  return staged_with(u, build_update);
}

bool is_upsert(const PgQuery__RawStmt* raw) {
  return raw != nullptr && IS(raw->stmt, INSERT_STMT) && raw->stmt->insert_stmt->on_conflict_clause != nullptr;
}

}  // namespace

bool may_plan_upsert(StatementWords words) { return (words & kWordConflict) != 0; }

PlanPtr plan_upsert(std::string_view text, const UpsertTargets& rewrites, const KeyLookup& keys, Warehouse warehouse) {
  if (!may_plan_upsert(statement_words(text))) return nullptr;
  const std::string sql(text);
  const pg::ParseOutcome parsed = pg::parse(sql);
  if (!parsed.tree) return nullptr;
  const auto& tree = *parsed.tree;
  if (std::none_of(tree.stmts, tree.stmts + tree.n_stmts, is_upsert)) return nullptr;
  if (tree.n_stmts != 1)
    return refusal("INSERT ... ON CONFLICT must be sent as a statement of its own",
                   "Send the upsert in its own query, without other statements in the same text.");
  const PgQuery__RangeVar& target = *tree.stmts[0]->stmt->insert_stmt->relation;
  if (rewrites && !rewrites(pg::sv(target.schemaname), pg::sv(target.relname))) return nullptr;
  std::vector<Token> tokens;
  std::string error;
  if (!pg::scan(sql, &tokens, &error)) return nullptr;
  return plan_one(sql, *tree.stmts[0], tokens, keys, warehouse);
}

}  // namespace blueshift::rewrite
