// How a statement is walked: its query blocks, FROM items, joins and expressions become
// scopes (name_resolution.h) and predicate contexts (predicates.h).
//
// Which predicates restrict a scan. A predicate context is a WHERE or a JOIN ... ON
// together with the entries it filters:
//   WHERE, INNER JOIN ON: every entry below it;
//   LEFT JOIN ON: only the right side (left rows are kept whatever ON says; right rows
//     failing ON are never joined, so they are never needed); RIGHT JOIN mirrors it;
//   FULL JOIN ON: nothing.
// An entry on the nullable side of an outer join below the context takes the context's
// bounds only when the context holds a strict conjunct on that scan (e.g. b.year = 2024
// at top level), because only then are null-extended rows rejected and the outer join
// acts as an inner one; `b.year = 2024 OR b.year IS NULL` alone bounds nothing.
// Predicates on a subquery's or CTE's output column restrict the scan the column comes
// from when pushing the filter down is valid: the output is a plain column, the block
// has no LIMIT/OFFSET, window function, DISTINCT ON or grouping sets, a grouped block
// groups by that column, and a CTE is referenced once and not AS MATERIALIZED (which
// PostgreSQL computes apart, filters outside never reaching it). Set operations push into every
// branch by position.

#include "rewrite/query_walker.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "rewrite/constant_truth.h"
#include "rewrite/constants.h"
#include "rewrite/identifiers.h"
#include "rewrite/name_resolution.h"
#include "rewrite/pg_parser.h"
#include "rewrite/predicates.h"
#include "rewrite/statement_kinds.h"
#include "rewrite/utility_facts.h"

namespace blueshift::rewrite {
namespace {

using Node = PgQuery__Node;

using pg::has;
using pg::last_name;
using pg::str_node;
using pg::sv;

// Function names whose first argument is a date part word (DATEADD(month, 1, d)), which
// PostgreSQL's grammar reads as a column reference.
bool takes_datepart(std::string_view f) {
  static constexpr std::string_view kNames[] = {"dateadd",   "datediff", "date_part",     "datepart",
                                                "date_trunc", "date_add", "date_diff",     "timestampadd",
                                                "timestampdiff", "pgdate_part", "datetrunc"};
  return std::find(std::begin(kNames), std::end(kNames), f) != std::end(kNames);
}

class Walker : public NameResolver {
 public:
  Walker(const WalkInput& in, StatementFacts* out) : NameResolver(in, out) {}

  void statement(const Node* n);

 private:
  // ---- CTEs ---------------------------------------------------------------------
  // Registers the WITH clause's CTEs and analyses their bodies; pops on destruction.
  class CteFrame {
   public:
    CteFrame(Walker* w, const PgQuery__WithClause* with, const Scope* outer) : w_(w) {
      if (with == nullptr) return;
      pushed_ = true;
      w_->cte_frames_.emplace_back();
      for (size_t i = 0; i < with->n_ctes; ++i) {
        const Node* n = with->ctes[i];
        if (!IS(n, COMMON_TABLE_EXPR)) continue;
        const PgQuery__CommonTableExpr* cte = n->common_table_expr;
        CteDef d;
        d.name = w_->fold(sv(cte->ctename));
        d.recursive = with->recursive;
        d.materialized = cte->ctematerialized == PG_QUERY__CTEMATERIALIZE__CTEMaterializeAlways;
        w_->cte_frames_.back().push_back(d);
        const size_t index = w_->cte_frames_.back().size() - 1;
        std::shared_ptr<Block> body;
        if (IS(cte->ctequery, SELECT_STMT)) {
          body = w_->select_block(cte->ctequery->select_stmt, outer);
        } else {
          // A data-modifying CTE: its reads and writes count, and it runs to the end
          // whatever the query takes of it (a LIMIT 0 does not stop it).
          const size_t first = w_->out_->scans.size();
          w_->body(cte->ctequery);
          w_->modifying_scans_.emplace_back(first, w_->out_->scans.size());
          body = std::make_shared<Block>();
          body->safe = false;
        }
        // Column aliases WITH c(a, b) AS (...) rename the outputs by position.
        for (size_t k = 0; k < cte->n_aliascolnames && k < body->outputs.size(); ++k) {
          if (!body->outputs[k].star) body->outputs[k].name = w_->fold(str_node(cte->aliascolnames[k]));
        }
        auto& def = w_->cte_frames_.back()[index];
        def.block = std::move(body);
        def.ready = true;
      }
    }
    ~CteFrame() {
      if (pushed_) w_->cte_frames_.pop_back();
    }
    CteFrame(const CteFrame&) = delete;
    CteFrame& operator=(const CteFrame&) = delete;

   private:
    Walker* w_;
    bool pushed_ = false;
  };


  // ---- expressions --------------------------------------------------------------
  void walk_message(const ProtobufCMessage* m, const Scope* scope) {
    if (m == nullptr) return;
    if (pg::is_node(m)) return walk_expr(reinterpret_cast<const Node*>(m), scope);
    if (m->descriptor == &pg_query__type_name__descriptor) return;
    pg::for_each_child(m, [&](const ProtobufCMessage* c) { walk_message(c, scope); });
  }

  void walk_list(Node* const* items, size_t n, const Scope* scope) {
    for (size_t i = 0; i < n; ++i) walk_expr(items[i], scope);
  }

  void walk_expr(const Node* n, const Scope* scope) {
    if (n == nullptr) return;
    switch (n->node_case) {
      case PG_QUERY__NODE__NODE_COLUMN_REF: {
        const PgQuery__ColumnRef* cr = n->column_ref;
        if (cr->n_fields > 0 && IS(cr->fields[cr->n_fields - 1], A_STAR)) return star(scope, cr);
        // Redshift's SYSDATE is a function, not a column.
        if (cr->n_fields == 1 && fold(str_node(cr->fields[0])) == "sysdate") return;
        (void)resolve(scope, cr, true);
        return;
      }
      case PG_QUERY__NODE__NODE_A_CONST:
      case PG_QUERY__NODE__NODE_PARAM_REF:
      case PG_QUERY__NODE__NODE_TYPE_NAME:
        return;
      case PG_QUERY__NODE__NODE_SUB_LINK:
        walk_expr(n->sub_link->testexpr, scope);
        if (IS(n->sub_link->subselect, SELECT_STMT)) (void)select_block(n->sub_link->subselect->select_stmt, scope);
        return;
      case PG_QUERY__NODE__NODE_SELECT_STMT:
        (void)select_block(n->select_stmt, scope);
        return;
      case PG_QUERY__NODE__NODE_FUNC_CALL: {
        const PgQuery__FuncCall* fc = n->func_call;
        // set_config('search_path', ...) changes the path from inside an expression.
        if (ascii_lower(last_name(fc->funcname, fc->n_funcname)) == "set_config") out_->search_path_uncertain = true;
        size_t first = 0;
        if (fc->n_args >= 2 && takes_datepart(ascii_lower(last_name(fc->funcname, fc->n_funcname))) &&
            IS(fc->args[0], COLUMN_REF) && fc->args[0]->column_ref->n_fields == 1) {
          first = 1;  // DATEADD(month, ...): a date part, not a column
        }
        if (!convert_type(fc).empty()) first = 1;  // CONVERT(integer, x): a type, not a column
        for (size_t i = first; i < fc->n_args; ++i) walk_expr(fc->args[i], scope);
        walk_list(fc->agg_order, fc->n_agg_order, scope);
        walk_expr(fc->agg_filter, scope);
        if (fc->over != nullptr) walk_message(&fc->over->base, scope);
        return;
      }
      case PG_QUERY__NODE__NODE_INSERT_STMT:
      case PG_QUERY__NODE__NODE_UPDATE_STMT:
      case PG_QUERY__NODE__NODE_DELETE_STMT:
      case PG_QUERY__NODE__NODE_MERGE_STMT:
        (void)body(n);
        return;
      default:
        break;
    }
    pg::for_each_child(reinterpret_cast<const ProtobufCMessage*>(n), [&](const ProtobufCMessage* c) {
      walk_message(c, scope);
    });
  }

  // ---- predicates ---------------------------------------------------------------
  // Column references of a predicate in `scope`, for predicates.cc.
  class ScopeColumns final : public ColumnTargets {
   public:
    ScopeColumns(Walker* w, const Scope* scope) : w_(w), scope_(scope) {}
    std::vector<Target> plain_targets(const Node* n) override {
      if (!IS(n, COLUMN_REF)) return {};
      const PgQuery__ColumnRef* cr = n->column_ref;
      if (cr->n_fields > 0 && IS(cr->fields[cr->n_fields - 1], A_STAR)) return {};
      Resolution r = w_->resolve(scope_, cr, false);
      if (!r.plain || r.level != 0) return {};
      return std::move(r.targets);
    }

   private:
    Walker* w_;
    const Scope* scope_;
  };

  void apply(const Node* where, const Scope* scope, const Eligible& eligible) {
    if (where == nullptr || eligible.empty()) return;
    ScopeColumns columns(this, scope);
    restrict_scans(where, eligible, columns, &out_->scans);
  }

  // ---- scans that read nothing ---------------------------------------------------
  // Scans [begin, end) provably read nothing (Scan::reads_nothing), except those of a
  // data-modifying CTE.
  void reads_nothing(size_t begin, size_t end) {
    for (size_t i = begin; i < end && i < out_->scans.size(); ++i) {
      const bool modifying = std::any_of(modifying_scans_.begin(), modifying_scans_.end(),
                                         [&](const auto& r) { return i >= r.first && i < r.second; });
      if (!modifying) out_->scans[i].reads_nothing = true;
    }
  }

  // Scan ranges of data-modifying CTEs.
  std::vector<std::pair<size_t, size_t>> modifying_scans_;

  // ---- FROM ---------------------------------------------------------------------
  using Items = std::vector<std::pair<const Entry*, bool>>;  // entry, nullable

  Entry* new_entry(Block& b) {
    b.entries.push_back(std::make_unique<Entry>());
    return b.entries.back().get();
  }

  void set_alias(Entry* e, const PgQuery__Alias* alias) {
    if (alias == nullptr) return;
    e->refname = fold(sv(alias->aliasname));
    e->aliased = true;
    for (size_t i = 0; i < alias->n_colnames; ++i) e->alias_columns.push_back(fold(str_node(alias->colnames[i])));
  }

  Items range_var(const PgQuery__RangeVar* rv, Block& b, Scope& scope) {
    Entry* e = new_entry(b);
    const bool has_schema = has(rv->schemaname);
    const bool has_catalog = has(rv->catalogname);
    if (!has_schema) {
      const std::string name = fold(sv(rv->relname));
      if (const CteDef* d = find_cte(name); d != nullptr && !is_temp_location(rv->location)) {
        e->kind = d->ready ? Entry::Kind::Block : Entry::Kind::Other;  // a recursive self-reference
        e->block = d->block;
        e->pushdown = d->ready && !d->recursive && !d->materialized && cte_references(name) == 1;
        e->refname = name;
        set_alias(e, rv->alias);
        scope.entries.push_back(e);
        return {{e, false}};
      }
    }
    // SUPER navigation: FROM t c, c.orders o — "c" is an earlier entry of this FROM.
    if (has_schema) {
      const std::string head = fold(sv(has_catalog ? rv->catalogname : rv->schemaname));
      const std::string column = fold(sv(has_catalog ? rv->schemaname : rv->relname));
      const Entry* base = nullptr;
      for (const Entry* x : scope.entries) {
        if (x->refname == head) base = x;
      }
      if (base != nullptr) {
        if (base->kind == Entry::Kind::Table) read_column(base->scan, column);
        e->kind = Entry::Kind::Navigation;
        e->scan = -1;
        e->refname = fold(sv(rv->relname));
        set_alias(e, rv->alias);
        scope.entries.push_back(e);
        // Fail closed when a real table has that name too: report it as read as well.
        TableRef t = table_ref(rv);
        if (has_catalog || !ctx_.relation_exists || !ctx_.relation_exists(t.schema, t.name)) return {{e, false}};
        Entry* shadow = new_entry(b);
        shadow->kind = Entry::Kind::Table;
        shadow->schema = t.schema;
        shadow->name = t.name;
        shadow->refname = "\x01shadow";  // never matches a qualifier
        shadow->scan = add_scan(std::move(t));
        return {{e, false}};
      }
    }
    TableRef t = table_ref(rv);
    e->kind = Entry::Kind::Table;
    e->schema = t.schema;
    e->name = t.name;
    e->refname = fold(sv(rv->relname));
    set_alias(e, rv->alias);
    e->scan = add_scan(std::move(t));
    scope.entries.push_back(e);
    return {{e, false}};
  }

  Items from_item(const Node* n, Block& b, Scope& scope, const Scope* outer) {
    if (n == nullptr) return {};
    switch (n->node_case) {
      case PG_QUERY__NODE__NODE_RANGE_VAR: {
        Items items = range_var(n->range_var, b, scope);
        const PivotMark* pivot = pivot_of_table(n->range_var->location);
        if (pivot == nullptr) return items;
        for (auto& owned : b.entries) {
          Entry* e = owned.get();
          if (items.empty() || e != items.front().first) continue;
          e->pivot = pivot;
          // A pivot groups by every column it does not pivot: it reads them all.
          if (e->kind == Entry::Kind::Table && e->scan >= 0) out_->scans[static_cast<size_t>(e->scan)].select_star = true;
        }
        return items;
      }
      case PG_QUERY__NODE__NODE_RANGE_SUBSELECT: {
        const PgQuery__RangeSubselect* rs = n->range_subselect;
        Entry* e = new_entry(b);
        e->kind = Entry::Kind::Block;
        if (IS(rs->subquery, SELECT_STMT)) e->block = select_block(rs->subquery->select_stmt, rs->lateral ? &scope : outer);
        if (!e->block) e->block = std::make_shared<Block>();
        e->pushdown = true;
        if (rs->subquery != nullptr) e->pivot = pivot_of_subquery(&rs->subquery->base);
        set_alias(e, rs->alias);
        scope.entries.push_back(e);
        return {{e, false}};
      }
      case PG_QUERY__NODE__NODE_RANGE_FUNCTION: {
        const PgQuery__RangeFunction* rf = n->range_function;
        for (size_t i = 0; i < rf->n_functions; ++i) walk_expr(rf->functions[i], &scope);
        Entry* e = new_entry(b);
        e->kind = Entry::Kind::Function;
        if (rf->n_functions > 0 && IS(rf->functions[0], LIST) && rf->functions[0]->list->n_items > 0 &&
            IS(rf->functions[0]->list->items[0], FUNC_CALL)) {
          const PgQuery__FuncCall* fc = rf->functions[0]->list->items[0]->func_call;
          e->refname = fold(last_name(fc->funcname, fc->n_funcname));
        }
        set_alias(e, rf->alias);
        scope.entries.push_back(e);
        return {{e, false}};
      }
      case PG_QUERY__NODE__NODE_RANGE_TABLE_SAMPLE: {
        Items items = from_item(n->range_table_sample->relation, b, scope, outer);
        walk_list(n->range_table_sample->args, n->range_table_sample->n_args, &scope);
        return items;
      }
      case PG_QUERY__NODE__NODE_JOIN_EXPR:
        return join(n->join_expr, b, scope, outer);
      default: {
        // XMLTABLE and friends: no table, but expressions may hold subqueries.
        walk_message(reinterpret_cast<const ProtobufCMessage*>(n), &scope);
        Entry* e = new_entry(b);
        e->kind = Entry::Kind::Other;
        scope.entries.push_back(e);
        return {{e, false}};
      }
    }
  }

  Items join(const PgQuery__JoinExpr* j, Block& b, Scope& scope, const Scope* outer) {
    const size_t first_scan = out_->scans.size();
    Items left = from_item(j->larg, b, scope, outer);
    Items right = from_item(j->rarg, b, scope, outer);
    // ON sees only the join's inputs (and enclosing queries).
    Scope on;
    on.parent = outer;
    on.usings = scope.usings;
    for (const auto& [e, nullable] : left) on.entries.push_back(e);
    for (const auto& [e, nullable] : right) on.entries.push_back(e);
    walk_expr(j->quals, &on);
    Eligible eligible;
    switch (j->jointype) {
      case PG_QUERY__JOIN_TYPE__JOIN_INNER:
        for (const auto& [e, nullable] : left) eligible[e] = nullable;
        for (const auto& [e, nullable] : right) eligible[e] = nullable;
        break;
      case PG_QUERY__JOIN_TYPE__JOIN_LEFT:
        for (const auto& [e, nullable] : right) eligible[e] = nullable;
        break;
      case PG_QUERY__JOIN_TYPE__JOIN_RIGHT:
        for (const auto& [e, nullable] : left) eligible[e] = nullable;
        break;
      default:
        break;
    }
    apply(j->quals, &on, eligible);
    // An outer join keeps its preserved side's rows whatever ON says: only INNER reads nothing.
    if (j->jointype == PG_QUERY__JOIN_TYPE__JOIN_INNER && never_true(j->quals)) reads_nothing(first_scan, out_->scans.size());
    if (j->n_using_clause > 0) {
      UsingJoin u;
      for (size_t i = 0; i < j->n_using_clause; ++i) u.columns.push_back(fold(str_node(j->using_clause[i])));
      u.type = j->jointype;
      for (const auto& [e, nullable] : left) u.left.push_back(e);
      for (const auto& [e, nullable] : right) u.right.push_back(e);
      scope.usings.push_back(std::move(u));
    }
    Items all;
    const bool left_nullable =
        j->jointype == PG_QUERY__JOIN_TYPE__JOIN_RIGHT || j->jointype == PG_QUERY__JOIN_TYPE__JOIN_FULL;
    const bool right_nullable =
        j->jointype == PG_QUERY__JOIN_TYPE__JOIN_LEFT || j->jointype == PG_QUERY__JOIN_TYPE__JOIN_FULL;
    for (const auto& [e, nullable] : left) all.emplace_back(e, nullable || left_nullable);
    for (const auto& [e, nullable] : right) all.emplace_back(e, nullable || right_nullable);
    return all;
  }

  // ---- query blocks -------------------------------------------------------------
  static bool has_window_function(const ProtobufCMessage* m) {
    if (m == nullptr) return false;
    if (pg::is_node(m)) {
      const Node* n = reinterpret_cast<const Node*>(m);
      if (IS(n, FUNC_CALL) && n->func_call->over != nullptr) return true;
      if (IS(n, SUB_LINK)) return false;  // a subquery's own windows do not matter here
    }
    bool found = false;
    pg::for_each_child(m, [&](const ProtobufCMessage* c) { found = found || has_window_function(c); });
    return found;
  }

  std::string figure_name(const Node* n) const {
    if (n == nullptr) return "?column?";
    switch (n->node_case) {
      case PG_QUERY__NODE__NODE_COLUMN_REF: {
        const auto* cr = n->column_ref;
        if (cr->n_fields > 0 && IS(cr->fields[cr->n_fields - 1], STRING)) return fold(str_node(cr->fields[cr->n_fields - 1]));
        return "?column?";
      }
      case PG_QUERY__NODE__NODE_A_INDIRECTION: {
        const auto* ai = n->a_indirection;
        for (size_t i = ai->n_indirection; i > 0; --i) {
          if (IS(ai->indirection[i - 1], STRING)) return fold(str_node(ai->indirection[i - 1]));
        }
        return figure_name(ai->arg);
      }
      case PG_QUERY__NODE__NODE_FUNC_CALL:
        return fold(last_name(n->func_call->funcname, n->func_call->n_funcname));
      case PG_QUERY__NODE__NODE_TYPE_CAST: {
        std::string inner = figure_name(n->type_cast->arg);
        if (inner != "?column?") return inner;
        const auto* tn = n->type_cast->type_name;
        return tn != nullptr ? fold(last_name(tn->names, tn->n_names)) : inner;
      }
      case PG_QUERY__NODE__NODE_CASE_EXPR: return "case";
      case PG_QUERY__NODE__NODE_A_ARRAY_EXPR: return "array";
      case PG_QUERY__NODE__NODE_COALESCE_EXPR: return "coalesce";
      case PG_QUERY__NODE__NODE_ROW_EXPR: return "row";
      case PG_QUERY__NODE__NODE_SUB_LINK:
        if (n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK) return "exists";
        if (n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK) return "array";
        if (IS(n->sub_link->subselect, SELECT_STMT) && n->sub_link->subselect->select_stmt->n_target_list > 0 &&
            IS(n->sub_link->subselect->select_stmt->target_list[0], RES_TARGET)) {
          const auto* rt = n->sub_link->subselect->select_stmt->target_list[0]->res_target;
          return has(rt->name) ? fold(sv(rt->name)) : figure_name(rt->val);
        }
        return "?column?";
      default:
        return "?column?";
    }
  }

  std::shared_ptr<Block> select_block(const PgQuery__SelectStmt* s, const Scope* outer) {
    const size_t first_scan = out_->scans.size();
    auto block = select_body(s, outer);
    // The query's LIMIT 0 stops everything it would have read, its CTEs included.
    if (s != nullptr && is_zero_limit(s->limit_count)) reads_nothing(first_scan, out_->scans.size());
    return block;
  }

  std::shared_ptr<Block> select_body(const PgQuery__SelectStmt* s, const Scope* outer) {
    auto block = std::make_shared<Block>();
    if (s == nullptr) return block;
    CteFrame frame(this, s->with_clause, outer);
    if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE && s->op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED) {
      block->setop = true;
      block->branches.push_back(select_block(s->larg, outer));
      block->branches.push_back(select_block(s->rarg, outer));
      block->safe = s->limit_count == nullptr && s->limit_offset == nullptr;
      Scope none;  // ORDER BY of a set operation names its outputs, not tables
      walk_list(s->sort_clause, s->n_sort_clause, &none);
      return block;
    }
    Scope scope;
    scope.parent = outer;
    if (s->n_values_lists > 0) {
      size_t width = 0;
      for (size_t i = 0; i < s->n_values_lists; ++i) {
        walk_expr(s->values_lists[i], outer != nullptr ? outer : &scope);
        if (IS(s->values_lists[i], LIST)) width = std::max(width, s->values_lists[i]->list->n_items);
      }
      for (size_t i = 0; i < width; ++i) block->outputs.push_back(Output{"column" + std::to_string(i + 1), {}, false, {}});
      return block;
    }
    Items items;
    const size_t from_scan = out_->scans.size();
    for (size_t i = 0; i < s->n_from_clause; ++i) {
      Items more = from_item(s->from_clause[i], *block, scope, outer);
      items.insert(items.end(), more.begin(), more.end());
    }
    // No row passes the WHERE: its FROM is never read. (The select list may still be:
    // an aggregate without GROUP BY gives one row, subqueries in it included.)
    if (never_true(s->where_clause)) reads_nothing(from_scan, out_->scans.size());
    for (const auto& [e, nullable] : items) block->nullable[e] = nullable;

    std::vector<std::string> aliases;  // output names given with AS
    for (size_t i = 0; i < s->n_target_list; ++i) {
      const Node* t = s->target_list[i];
      if (!IS(t, RES_TARGET)) continue;
      const PgQuery__ResTarget* rt = t->res_target;
      walk_expr(rt->val, &scope);
      Output o;
      if (IS(rt->val, COLUMN_REF) && rt->val->column_ref->n_fields > 0 &&
          IS(rt->val->column_ref->fields[rt->val->column_ref->n_fields - 1], A_STAR)) {
        o.star = true;
        const auto* cr = rt->val->column_ref;
        if (cr->n_fields == 1) {
          o.star_entries = scope.entries;
        } else {
          o.star_entries = named(&scope, fold(str_node(cr->fields[cr->n_fields - 2])));
        }
      } else {
        o.name = has(rt->name) ? fold(sv(rt->name)) : figure_name(rt->val);
        if (has(rt->name)) aliases.push_back(o.name);
        if (IS(rt->val, COLUMN_REF)) {
          Resolution r = resolve(&scope, rt->val->column_ref, false);
          if (r.plain && r.level == 0) o.targets = std::move(r.targets);
        }
      }
      block->outputs.push_back(std::move(o));
    }

    walk_expr(s->where_clause, &scope);
    Eligible eligible;
    for (const auto& [e, nullable] : items) eligible[e] = nullable;
    apply(s->where_clause, &scope, eligible);

    // GROUP BY / ORDER BY may name an output alias instead of a column.
    auto walk_clause_item = [&](const Node* item) {
      const Node* inner = item;
      if (IS(inner, SORT_BY)) inner = inner->sort_by->node;
      if (IS(inner, COLUMN_REF) && inner->column_ref->n_fields == 1 && IS(inner->column_ref->fields[0], STRING) &&
          std::find(aliases.begin(), aliases.end(), fold(str_node(inner->column_ref->fields[0]))) != aliases.end()) {
        return;
      }
      walk_expr(item, &scope);
    };
    for (size_t i = 0; i < s->n_group_clause; ++i) walk_clause_item(s->group_clause[i]);
    walk_expr(s->having_clause, &scope);
    walk_list(s->window_clause, s->n_window_clause, &scope);
    for (size_t i = 0; i < s->n_sort_clause; ++i) walk_clause_item(s->sort_clause[i]);
    walk_list(s->distinct_clause, s->n_distinct_clause, &scope);
    walk_expr(s->limit_count, &scope);
    walk_expr(s->limit_offset, &scope);

    // Whether a filter on an output may be pushed into the scans below.
    bool distinct_on = false;
    for (size_t i = 0; i < s->n_distinct_clause; ++i) {
      if (s->distinct_clause[i] != nullptr && s->distinct_clause[i]->node_case != PG_QUERY__NODE__NODE__NOT_SET) {
        distinct_on = true;
      }
    }
    // Window functions in HAVING come from a QUALIFY the dialect pass rewrote.
    bool window = has_window_function(reinterpret_cast<const ProtobufCMessage*>(s->having_clause));
    for (size_t i = 0; i < s->n_target_list && !window; ++i) {
      window = has_window_function(reinterpret_cast<const ProtobufCMessage*>(s->target_list[i]));
    }
    bool top = false;
    if (in_.limited_selects != nullptr && s->n_target_list > 0 && IS(s->target_list[0], RES_TARGET)) {
      const int at = s->target_list[0]->res_target->location + in_.location_offset;
      top = std::binary_search(in_.limited_selects->begin(), in_.limited_selects->end(), at);
    }
    block->safe = s->limit_count == nullptr && s->limit_offset == nullptr && !distinct_on && !window && !top;
    if (block->safe && s->n_group_clause > 0) group_filter(*block, s, &scope);
    return block;
  }

  // A grouped block passes a filter down only for outputs that are grouping columns.
  void group_filter(Block& block, const PgQuery__SelectStmt* s, const Scope* scope) {
    std::vector<std::pair<int, std::string>> grouped;
    for (size_t i = 0; i < s->n_group_clause; ++i) {
      const Node* g = s->group_clause[i];
      if (IS(g, GROUPING_SET)) {
        block.safe = false;
        return;
      }
      std::vector<Target> ts;
      if (IS(g, COLUMN_REF)) {
        Resolution r = resolve(scope, g->column_ref, false);
        if (r.plain && r.level == 0) ts = r.targets;
        if (g->column_ref->n_fields == 1) {
          const std::string name = fold(str_node(g->column_ref->fields[0]));
          for (const auto& o : block.outputs) {
            if (!o.star && o.name == name) ts.insert(ts.end(), o.targets.begin(), o.targets.end());
          }
        }
      } else if (auto v = const_value(g); v && v->numeric) {
        const long pos = std::strtol(v->text.c_str(), nullptr, 10);
        if (pos >= 1 && static_cast<size_t>(pos) <= block.outputs.size()) ts = block.outputs[static_cast<size_t>(pos - 1)].targets;
      }
      for (const auto& t : ts) grouped.emplace_back(t.scan, t.column);
    }
    for (auto& o : block.outputs) {
      if (o.star) {
        block.safe = false;  // SELECT * ... GROUP BY: cannot tell which outputs are grouped
        return;
      }
      std::vector<Target> kept;
      for (const auto& t : o.targets) {
        if (std::find(grouped.begin(), grouped.end(), std::make_pair(t.scan, t.column)) != grouped.end()) kept.push_back(t);
      }
      o.targets = std::move(kept);
    }
  }

  // ---- statements ---------------------------------------------------------------
  // Analyses a data statement's reads/writes into out_; returns its kind.
  StatementKind body(const Node* n);
  StatementKind dml_target(const PgQuery__RangeVar* rel, Node* const* from, size_t n_from, const Node* where,
                           Node* const* targets, size_t n_targets, const PgQuery__WithClause* with);
  StatementKind merge(const PgQuery__MergeStmt* m);
  void nested_statements(const ProtobufCMessage* m);
  void set_statement(const PgQuery__VariableSetStmt* v);
  void own_statement(const Node* n);
};

StatementKind Walker::dml_target(const PgQuery__RangeVar* rel, Node* const* from, size_t n_from, const Node* where,
                                 Node* const* targets, size_t n_targets, const PgQuery__WithClause* with) {
  CteFrame frame(this, with, nullptr);
  add_write(rel);
  Block block;
  Scope scope;
  Items items;
  if (rel != nullptr) items = range_var(rel, block, scope);  // the target's rows are read too
  for (size_t i = 0; i < n_from; ++i) {
    Items more = from_item(from[i], block, scope, nullptr);
    items.insert(items.end(), more.begin(), more.end());
  }
  for (size_t i = 0; i < n_targets; ++i) {
    if (IS(targets[i], RES_TARGET)) walk_expr(targets[i]->res_target->val, &scope);
  }
  walk_expr(where, &scope);
  Eligible eligible;
  for (const auto& [e, nullable] : items) eligible[e] = nullable;
  apply(where, &scope, eligible);
  return StatementKind::Other;
}

StatementKind Walker::merge(const PgQuery__MergeStmt* m) {
  CteFrame frame(this, m->with_clause, nullptr);
  add_write(m->relation);
  Block block;
  Scope scope;
  Items target = m->relation != nullptr ? range_var(m->relation, block, scope) : Items{};
  (void)from_item(m->source_relation, block, scope, nullptr);
  walk_expr(m->join_condition, &scope);
  // Source rows are all used (WHEN NOT MATCHED inserts them); target rows outside the
  // join condition are untouched, as the right side of a LEFT JOIN.
  Eligible eligible;
  for (const auto& [e, nullable] : target) eligible[e] = false;
  apply(m->join_condition, &scope, eligible);
  for (size_t i = 0; i < m->n_merge_when_clauses; ++i) {
    const Node* w = m->merge_when_clauses[i];
    if (!IS(w, MERGE_WHEN_CLAUSE)) continue;
    walk_expr(w->merge_when_clause->condition, &scope);
    for (size_t k = 0; k < w->merge_when_clause->n_target_list; ++k) {
      if (IS(w->merge_when_clause->target_list[k], RES_TARGET)) {
        walk_expr(w->merge_when_clause->target_list[k]->res_target->val, &scope);
      }
    }
    walk_list(w->merge_when_clause->values, w->merge_when_clause->n_values, &scope);
  }
  return StatementKind::Merge;
}

StatementKind Walker::body(const Node* n) {
  if (n == nullptr) return StatementKind::Other;
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_SELECT_STMT: {
      const PgQuery__SelectStmt* s = n->select_stmt;
      (void)select_block(s, nullptr);
      // SELECT ... INTO t (of the leftmost branch, as PostgreSQL takes it).
      const PgQuery__SelectStmt* left = s;
      while (left != nullptr && left->op != PG_QUERY__SET_OPERATION__SETOP_NONE && left->larg != nullptr) left = left->larg;
      if (left != nullptr && left->into_clause != nullptr && left->into_clause->rel != nullptr) {
        add_write(left->into_clause->rel);
        return StatementKind::CreateTableAs;
      }
      return StatementKind::Select;
    }
    case PG_QUERY__NODE__NODE_INSERT_STMT: {
      const PgQuery__InsertStmt* s = n->insert_stmt;
      CteFrame frame(this, s->with_clause, nullptr);
      add_write(s->relation);
      if (IS(s->select_stmt, SELECT_STMT)) (void)select_block(s->select_stmt->select_stmt, nullptr);
      if (s->on_conflict_clause != nullptr) {
        Scope none;
        walk_message(&s->on_conflict_clause->base, &none);
      }
      return StatementKind::Insert;
    }
    case PG_QUERY__NODE__NODE_UPDATE_STMT: {
      const PgQuery__UpdateStmt* s = n->update_stmt;
      (void)dml_target(s->relation, s->from_clause, s->n_from_clause, s->where_clause, s->target_list,
                       s->n_target_list, s->with_clause);
      return StatementKind::Update;
    }
    case PG_QUERY__NODE__NODE_DELETE_STMT: {
      const PgQuery__DeleteStmt* s = n->delete_stmt;
      (void)dml_target(s->relation, s->using_clause, s->n_using_clause, s->where_clause, nullptr, 0, s->with_clause);
      return StatementKind::Delete;
    }
    case PG_QUERY__NODE__NODE_MERGE_STMT:
      return merge(n->merge_stmt);
    default:
      return StatementKind::Other;
  }
}

// Statements nested anywhere in a DDL/utility tree (CREATE RULE actions, SQL function
// bodies, ...): their reads and writes count.
void Walker::nested_statements(const ProtobufCMessage* m) {
  if (m == nullptr) return;
  if (pg::is_node(m)) {
    const Node* n = reinterpret_cast<const Node*>(m);
    switch (n->node_case) {
      case PG_QUERY__NODE__NODE_SELECT_STMT:
      case PG_QUERY__NODE__NODE_INSERT_STMT:
      case PG_QUERY__NODE__NODE_UPDATE_STMT:
      case PG_QUERY__NODE__NODE_DELETE_STMT:
      case PG_QUERY__NODE__NODE_MERGE_STMT:
        (void)body(n);
        return;
      default:
        break;
    }
  }
  pg::for_each_child(m, [&](const ProtobufCMessage* c) { nested_statements(c); });
}

void Walker::set_statement(const PgQuery__VariableSetStmt* v) {
  const std::string name = v->name != nullptr ? ascii_lower(sv(v->name)) : "";
  const bool resets = v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL ||
                      (name == "search_path" && (v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT ||
                                                 v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET));
  if (resets) {
    out_->sets_search_path = std::vector<std::string>{"$user", "public"};
  } else if (name == "search_path" && v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE) {
    std::vector<std::string> path;
    for (size_t i = 0; i < v->n_args; ++i) {
      auto c = const_value(v->args[i]);
      if (c && c->kind == Value::Kind::Constant) path.push_back(c->numeric ? c->text : fold(c->text));
    }
    out_->sets_search_path = std::move(path);
  }
  // SET LOCAL lasts until the end of the transaction, or does nothing outside one.
  if (out_->sets_search_path && v->is_local) out_->search_path_uncertain = true;
  if (out_->sets_search_path) *in_.search_path = *out_->sets_search_path;
}

void Walker::statement(const Node* n) {
  root_ = n;
  out_->kind = StatementKind::Other;
  if (n == nullptr) return;
  const StatementType* type = statement_type(n->node_case);
  if (type != nullptr) out_->kind = type->kind;
  switch (type != nullptr ? type->walk : Walk::Nested) {
    case Walk::Query:
      out_->kind = body(n);  // SELECT ... INTO is a CREATE TABLE AS
      return;
    case Walk::Own:
      own_statement(n);
      out_->kind = type->kind;  // an inner statement (EXPLAIN x, PREPARE p AS x) set its own
      return;
    case Walk::Nested:
      return nested_statements(reinterpret_cast<const ProtobufCMessage*>(n));
    case Walk::None:
      return;
  }
}

// The statement types the table marks Walk::Own.
void Walker::own_statement(const Node* n) {
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_COPY_STMT: {
      const PgQuery__CopyStmt* c = n->copy_stmt;
      if (c->relation != nullptr) {
        if (c->is_from) {
          add_write(c->relation);
        } else {
          const int scan = add_scan(table_ref(c->relation));
          for (size_t i = 0; i < c->n_attlist; ++i) read_column(scan, fold(str_node(c->attlist[i])));
          if (c->n_attlist == 0) out_->scans[static_cast<size_t>(scan)].select_star = true;
        }
      }
      if (c->query != nullptr) (void)body(c->query);
      return;
    }
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
      const PgQuery__CreateTableAsStmt* c = n->create_table_as_stmt;
      if (c->into != nullptr) add_write(c->into->rel);
      (void)body(c->query);
      return;
    }
    case PG_QUERY__NODE__NODE_CREATE_STMT:
      add_write(n->create_stmt->relation);
      return;
    case PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT:
      if (n->create_foreign_table_stmt->base_stmt != nullptr) add_write(n->create_foreign_table_stmt->base_stmt->relation);
      return;
    case PG_QUERY__NODE__NODE_VIEW_STMT:
      // Creating a view reads nothing yet, but its query is reported: policies cannot
      // see through the view later.
      add_write(n->view_stmt->view);
      (void)body(n->view_stmt->query);
      return;
    case PG_QUERY__NODE__NODE_EXPLAIN_STMT: {
      const PgQuery__ExplainStmt* e = n->explain_stmt;
      bool analyze = false;
      for (size_t i = 0; i < e->n_options; ++i) {
        const Node* o = e->options[i];
        if (!IS(o, DEF_ELEM) || o->def_elem->defname == nullptr || ascii_lower(o->def_elem->defname) != "analyze") continue;
        auto v = const_value(o->def_elem->arg);
        analyze = !v || (v->text != "false" && v->text != "off" && v->text != "0");
      }
      const size_t writes_before = out_->writes.size();
      Walker inner(in_, out_);
      inner.statement(e->query);
      // Plain EXPLAIN writes nothing; EXPLAIN ANALYZE runs the statement.
      if (!analyze) out_->writes.resize(writes_before);
      return;
    }
    case PG_QUERY__NODE__NODE_DROP_STMT: {
      const PgQuery__DropStmt* d = n->drop_stmt;
      if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW ||
          d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ||
          d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE) {
        for (size_t i = 0; i < d->n_objects; ++i) {
          if (IS(d->objects[i], LIST)) {
            out_->writes.push_back(name_list_ref(d->objects[i]->list->items, d->objects[i]->list->n_items));
          }
        }
      }
      return;
    }
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
      for (size_t i = 0; i < n->truncate_stmt->n_relations; ++i) {
        if (IS(n->truncate_stmt->relations[i], RANGE_VAR)) add_write(n->truncate_stmt->relations[i]->range_var);
      }
      return;
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
      add_write(n->alter_table_stmt->relation);
      return;
    case PG_QUERY__NODE__NODE_RENAME_STMT:
      add_write(n->rename_stmt->relation);
      return;
    case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
      add_write(n->alter_object_schema_stmt->relation);
      return;
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
      set_statement(n->variable_set_stmt);
      return;
    case PG_QUERY__NODE__NODE_PREPARE_STMT: {
      // PREPARE reads nothing yet, but EXECUTE will, and only the text of PREPARE says what.
      Walker inner(in_, out_);
      inner.statement(n->prepare_stmt->query);
      return;
    }
    case PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT:
      (void)body(n->declare_cursor_stmt->query);
      return;
    case PG_QUERY__NODE__NODE_DISCARD_STMT:
      if (n->discard_stmt->target == PG_QUERY__DISCARD_MODE__DISCARD_ALL) {
        out_->sets_search_path = std::vector<std::string>{"$user", "public"};
        *in_.search_path = *out_->sets_search_path;
      }
      return;
    default:
      nested_statements(reinterpret_cast<const ProtobufCMessage*>(n));
      return;
  }
}

void max_param_into(const ProtobufCMessage* m, int* best) {
  if (m == nullptr) return;
  if (m->descriptor == &pg_query__param_ref__descriptor) {
    *best = std::max(*best, reinterpret_cast<const PgQuery__ParamRef*>(m)->number);
    return;
  }
  pg::for_each_child(m, [&](const ProtobufCMessage* c) { max_param_into(c, best); });
}

}  // namespace

void walk_statement(const PgQuery__Node* stmt, const WalkInput& input, StatementFacts* out) {
  Walker w(input, out);
  w.statement(stmt);
  add_utility_facts(stmt, input, w, out);
}

int max_param_number(const ProtobufCMessage* msg) {
  int best = 0;
  max_param_into(msg, &best);
  return best;
}

}  // namespace blueshift::rewrite
