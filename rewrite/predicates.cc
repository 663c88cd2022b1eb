// How a predicate becomes bounds.
//
// Predicates become a small tree (And/Or/Atom/Unknown) and are projected per scan column:
// atoms on other columns, NOT, expressions of the column (year + 0, func(year), casts of
// the column) and comparisons with non-constants count as Unknown (true), so an Or bounds
// a column only if every branch does. A tree with an Or is also put in disjunctive normal
// form (at most kMaxBranches branches), kept per scan where it pairs up columns the
// per-column bounds take apart: `(year = 2024 AND month = 1) OR (year = 2023 AND month =
// 12)` is two (year, month) pairs, not four.
#include "rewrite/predicates.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "rewrite/bounds.h"
#include "rewrite/constants.h"
#include "rewrite/date_expr.h"
#include "rewrite/pg_parser.h"

namespace blueshift::rewrite {
namespace {

using Node = PgQuery__Node;

using pg::last_name;

// Predicate tree before projection onto one column.
struct Pred {
  enum class Kind { And, Or, Atom, Unknown } kind = Kind::Unknown;
  std::vector<Pred> kids;
  std::vector<Target> targets;  // Atom (and strict markers)
  Bound atom;                   // Atom
  bool strict = false;          // false for IS NULL: holds for null-extended rows
  bool marker = false;          // strict, but bounds nothing (x <> 1, x LIKE 'a%', x IS NOT NULL)
};

Bound make_atom(Bound::Op op, std::vector<Value> values) {
  Bound b;
  b.op = op;
  b.values = std::move(values);
  return b;
}

// x IN (a) is x = a; x = ANY($1) stays a list of what $1 will hold.
Bound in_list(std::vector<Value> values) {
  const Bound::Op op = values.size() == 1 && !values[0].array ? Bound::Op::Eq : Bound::Op::In;
  return make_atom(op, std::move(values));
}

// What a column is compared with: a constant, or a date the warehouse computes.
std::optional<Value> operand_value(const Node* n) {
  auto v = const_value(n);
  return v ? v : date_expression(n);
}

Bound::Op flip(Bound::Op op) {
  switch (op) {
    case Bound::Op::Lt: return Bound::Op::Gt;
    case Bound::Op::Le: return Bound::Op::Ge;
    case Bound::Op::Gt: return Bound::Op::Lt;
    case Bound::Op::Ge: return Bound::Op::Le;
    default: return op;
  }
}

std::optional<Bound::Op> comparison(std::string_view op) {
  if (op == "=") return Bound::Op::Eq;
  if (op == "<") return Bound::Op::Lt;
  if (op == "<=") return Bound::Op::Le;
  if (op == ">") return Bound::Op::Gt;
  if (op == ">=") return Bound::Op::Ge;
  return std::nullopt;
}

// And/Or of already projected bounds, simplified only in ways that keep the meaning.
Bound combine(Bound::Op op, std::vector<Bound> parts) {
  std::vector<Bound> kids;
  for (auto& p : parts) {
    if (op == Bound::Op::And) {
      if (p.op == Bound::Op::True) continue;
      if (p.op == Bound::Op::False) return p;
    } else {
      if (p.op == Bound::Op::True) return p;
      if (p.op == Bound::Op::False) continue;
    }
    if (p.op == op) {
      for (auto& k : p.children) kids.push_back(std::move(k));
    } else {
      kids.push_back(std::move(p));
    }
  }
  if (kids.empty()) {
    Bound b;
    b.op = op == Bound::Op::And ? Bound::Op::True : Bound::Op::False;
    return b;
  }
  if (kids.size() == 1) return std::move(kids[0]);
  Bound b;
  b.op = op;
  b.children = std::move(kids);
  return b;
}

using Key = std::pair<int, std::string>;  // scan, column

// Every column's bound at once, bottom-up: an And keeps each column's parts, an Or only
// the columns every branch bounds. Linear in the tree for flat conjunctions and
// disjunctions (projecting column by column would be quadratic on wide WHERE clauses).
std::map<Key, Bound> project_all(const Pred& p) {
  std::map<Key, Bound> out;
  switch (p.kind) {
    case Pred::Kind::Atom:
      if (p.marker) return out;
      for (const auto& t : p.targets) out.emplace(Key{t.scan, t.column}, p.atom);
      return out;
    case Pred::Kind::Unknown:
      return out;
    case Pred::Kind::And: {
      std::map<Key, std::vector<Bound>> parts;
      for (const auto& k : p.kids) {
        for (auto& [key, b] : project_all(k)) parts[key].push_back(std::move(b));
      }
      for (auto& [key, bs] : parts) {
        Bound b = combine(Bound::Op::And, std::move(bs));
        if (b.op != Bound::Op::True) out.emplace(key, std::move(b));
      }
      return out;
    }
    case Pred::Kind::Or: {
      std::map<Key, std::vector<Bound>> parts;
      bool first = true;
      for (const auto& k : p.kids) {
        std::map<Key, Bound> child = project_all(k);
        if (first) {
          for (auto& [key, b] : child) parts[key].push_back(std::move(b));
          first = false;
        } else {
          for (auto it = parts.begin(); it != parts.end();) {
            auto c = child.find(it->first);
            if (c == child.end()) {
              it = parts.erase(it);  // this branch does not bound the column: neither does the Or
            } else {
              it->second.push_back(std::move(c->second));
              ++it;
            }
          }
        }
        if (parts.empty()) return out;
      }
      for (auto& [key, bs] : parts) {
        Bound b = combine(Bound::Op::Or, std::move(bs));
        if (b.op != Bound::Op::True) out.emplace(key, std::move(b));
      }
      return out;
    }
  }
  return out;
}

// ---- disjunctive normal form, for ORs of conjunctions over several columns ----------
// project_all keeps each column apart, so `(year = 2024 AND month = 1) OR (year = 2023
// AND month = 12)` becomes year IN {2023, 2024} and month IN {1, 12}: four pairs where
// two are meant. The DNF keeps the pairs. It is computed only for predicates with an OR.

using Branch = std::map<Key, Bound>;  // a conjunction: every key's bound holds

bool has_or(const Pred& p) {
  if (p.kind == Pred::Kind::Or) return true;
  if (p.kind != Pred::Kind::And) return false;
  return std::any_of(p.kids.begin(), p.kids.end(), [](const Pred& k) { return has_or(k); });
}

void merge_into(Branch* into, const Branch& from) {
  for (const auto& [key, b] : from) {
    auto [it, inserted] = into->emplace(key, b);
    if (!inserted) it->second = combine(Bound::Op::And, {std::move(it->second), b});
  }
}

// The most bounds all branches of one DNF hold together. Branch count alone does not
// bound the work: a wide conjunction inside an OR would be copied into every branch.
constexpr size_t kMaxDnfEntries = 4096;

struct Dnf {
  std::vector<Branch> branches;
  size_t entries = 0;  // bounds over all branches
};

// p as an OR of branches, or nullopt when that takes more than kMaxBranches branches or
// kMaxDnfEntries bounds. An AND leaves out a conjunct that would take it past either: a
// weaker predicate, so the result still holds for every row p holds for. Markers and
// unknowns restrict nothing: an empty branch.
//
// `top`: p is a conjunct of the whole context. Its conjuncts without an OR are left out
// too: their atoms are in the per-column bounds already, exactly, so distributing them
// into every branch would only repeat them.
std::optional<Dnf> to_dnf(const Pred& p, bool top) {
  switch (p.kind) {
    case Pred::Kind::Atom: {
      Dnf out;
      out.branches.resize(1);
      if (!p.marker) {
        for (const auto& t : p.targets) out.branches[0].emplace(Key{t.scan, t.column}, p.atom);
      }
      out.entries = out.branches[0].size();
      return out;
    }
    case Pred::Kind::Unknown: {
      Dnf out;
      out.branches.resize(1);
      return out;
    }
    case Pred::Kind::Or: {
      Dnf out;
      for (const auto& k : p.kids) {
        auto d = to_dnf(k, false);
        if (!d) return std::nullopt;
        for (auto& b : d->branches) {
          if (b.empty()) {  // a branch restricting nothing: neither does the OR
            Dnf any;
            any.branches.resize(1);
            return any;
          }
          out.branches.push_back(std::move(b));
        }
        out.entries += d->entries;
        if (out.branches.size() > kMaxBranches || out.entries > kMaxDnfEntries) return std::nullopt;
      }
      if (out.branches.empty()) out.branches.resize(1);
      return out;
    }
    case Pred::Kind::And: {
      Dnf out;
      out.branches.resize(1);
      for (const auto& k : p.kids) {
        if (top && !has_or(k)) continue;
        auto d = to_dnf(k, top && k.kind == Pred::Kind::And);
        if (!d) continue;
        const size_t n = out.branches.size() * d->branches.size();
        const size_t entries = out.entries * d->branches.size() + d->entries * out.branches.size();
        if (n > kMaxBranches || entries > kMaxDnfEntries) continue;
        if (d->branches.size() == 1) {
          for (auto& b : out.branches) merge_into(&b, d->branches[0]);
        } else {
          std::vector<Branch> next;
          next.reserve(n);
          for (const auto& a : out.branches) {
            for (const auto& b : d->branches) {
              next.push_back(a);
              merge_into(&next.back(), b);
            }
          }
          out.branches = std::move(next);
        }
        out.entries = 0;  // merging same-column bounds may have made fewer entries than counted
        for (const auto& b : out.branches) out.entries += b.size();
      }
      return out;
    }
  }
  return std::nullopt;
}

// Scans that a top-level conjunct restricts strictly (rejects an all-NULL row).
void strict_scans(const Pred& p, std::set<int>* out) {
  if (p.kind == Pred::Kind::And) {
    for (const auto& k : p.kids) strict_scans(k, out);
  } else if (p.kind == Pred::Kind::Atom && p.strict) {
    for (const auto& t : p.targets) out->insert(t.scan);
  }
}

void collect_keys(const Pred& p, std::map<std::pair<int, std::string>, bool>* keys, const Eligible& eligible) {
  if (p.kind == Pred::Kind::Atom) {
    if (p.marker) return;
    for (const auto& t : p.targets) {
      auto it = eligible.find(t.entry);
      const bool nullable = t.nullable || (it != eligible.end() && it->second);
      auto [k, inserted] = keys->emplace(std::make_pair(t.scan, t.column), nullable);
      if (!inserted) k->second = k->second || nullable;
    }
    return;
  }
  for (const auto& k : p.kids) collect_keys(k, keys, eligible);
}

// Whether the branches are every combination of each column's choices, as from
// `(year = 2023 OR year = 2024) AND (month = 1 OR month = 2)`: the per-column bounds
// then say exactly the same.
bool is_product(const Disjunction& d, size_t columns) {
  std::map<std::string_view, std::vector<const Bound*>> choices;
  for (const auto& branch : d) {
    if (branch.size() != columns) return false;
    for (const auto& [column, b] : branch) {
      auto& seen = choices[column];
      if (std::none_of(seen.begin(), seen.end(), [&](const Bound* o) { return *o == b; })) seen.push_back(&b);
    }
  }
  size_t product = 1;
  for (const auto& [column, seen] : choices) {
    product *= seen.size();
    if (product > d.size()) return false;
  }
  for (size_t i = 0; i < d.size(); ++i) {
    for (size_t j = i + 1; j < d.size(); ++j) {
      if (d[i] == d[j]) return false;  // repeated branches: fewer distinct ones than counted
    }
  }
  return product == d.size();
}

// The context's DNF, per scan it may restrict, kept where it says more than the
// per-column bounds. A column bound alike in every branch is already one of those
// bounds, so it is factored out; what is left is kept when every branch still
// restricts the scan (else the OR does not) and it spans two or more columns (over
// one column, the per-column bound says the same).
void add_disjunctions(const Pred& p, const std::set<int>& scans, std::vector<Scan>* out) {
  auto dnf = to_dnf(p, true);
  if (!dnf || dnf->branches.size() < 2) return;
  for (int s : scans) {
    Disjunction d;
    d.reserve(dnf->branches.size());
    for (const auto& branch : dnf->branches) {
      ColumnBounds cb;
      for (auto it = branch.lower_bound(Key{s, ""}); it != branch.end() && it->first.first == s; ++it) {
        cb.emplace(it->first.second, it->second);
      }
      if (cb.empty()) break;
      d.push_back(std::move(cb));
    }
    if (d.size() < dnf->branches.size()) continue;
    std::vector<std::string> common;
    for (const auto& [column, b] : d[0]) {
      if (std::all_of(d.begin() + 1, d.end(), [&](const ColumnBounds& o) {
            const auto it = o.find(column);
            return it != o.end() && it->second == b;
          })) {
        common.push_back(column);
      }
    }
    std::set<std::string_view> columns;
    bool restricts = true;
    for (auto& cb : d) {
      for (const auto& c : common) cb.erase(c);
      restricts = restricts && !cb.empty();
      for (const auto& [column, b] : cb) columns.insert(column);
    }
    if (!restricts || columns.size() < 2 || is_product(d, columns.size())) continue;
    (*out)[static_cast<size_t>(s)].disjunctions.push_back(std::move(d));
  }
}


void add_bound(std::vector<Scan>* scans, int scan, const std::string& column, Bound b) {
  auto& bounds = (*scans)[static_cast<size_t>(scan)].bounds;
  auto it = bounds.find(column);
  if (it == bounds.end()) {
    bounds.emplace(column, std::move(b));
  } else {
    std::vector<Bound> parts;
    parts.push_back(std::move(it->second));
    parts.push_back(std::move(b));
    it->second = combine(Bound::Op::And, std::move(parts));
  }
}

// A predicate as a tree over the eligible entries' columns.
class PredicateBuilder {
 public:
  PredicateBuilder(ColumnTargets& columns, const Eligible& eligible) : columns_(columns), eligible_(eligible) {}

  // The targets of a plain column reference resolved in the current scope and eligible
  // in this context; empty otherwise.
  std::vector<Target> column_targets(const Node* n) {
    std::vector<Target> out = columns_.plain_targets(n);
    std::erase_if(out, [&](const Target& t) { return eligible_.count(t.entry) == 0; });
    return out;
  }

  static Pred marker(std::vector<Target> targets) {
    Pred p;
    if (targets.empty()) return p;
    p.kind = Pred::Kind::Atom;
    p.marker = true;
    p.strict = true;
    p.targets = std::move(targets);
    return p;
  }

  static Pred atom(std::vector<Target> targets, Bound b, bool strict = true) {
    Pred p;
    if (targets.empty()) return p;
    p.kind = Pred::Kind::Atom;
    p.targets = std::move(targets);
    p.atom = std::move(b);
    p.strict = strict;
    return p;
  }

  // One element of a row equality, as if written `l = r`.
  Pred equality(const Node* l, const Node* r) {
    auto lt = column_targets(l);
    auto rt = column_targets(r);
    if (lt.empty() == rt.empty()) return Pred{};
    auto v = const_value(lt.empty() ? l : r);
    auto ts = lt.empty() ? std::move(rt) : std::move(lt);
    if (!v) return marker(std::move(ts));
    if (v->kind == Value::Kind::Null) {
      Bound f;
      f.op = Bound::Op::False;
      return atom(std::move(ts), f);
    }
    return atom(std::move(ts), make_atom(Bound::Op::Eq, {*v}));
  }

  Pred build(const Node* n) {
    Pred unknown;
    if (n == nullptr) return unknown;
    if (IS(n, BOOL_EXPR)) {
      const PgQuery__BoolExpr* b = n->bool_expr;
      if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR) return unknown;
      Pred p;
      p.kind = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR ? Pred::Kind::And : Pred::Kind::Or;
      for (size_t i = 0; i < b->n_args; ++i) p.kids.push_back(build(b->args[i]));
      return p;
    }
    if (IS(n, NULL_TEST)) {
      auto ts = column_targets(n->null_test->arg);
      if (n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL) return marker(std::move(ts));
      Value null;
      null.kind = Value::Kind::Null;
      return atom(std::move(ts), make_atom(Bound::Op::Eq, {null}), /*strict=*/false);
    }
    if (!IS(n, A_EXPR)) return unknown;
    const PgQuery__AExpr* e = n->a_expr;
    const std::string_view op = last_name(e->name, e->n_name);
    switch (e->kind) {
      case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
      case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT: {
        if (e->lexpr == nullptr || e->rexpr == nullptr) return unknown;
        // (year, month) = (2024, 1): one equality per element.
        if (e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && op == "=" && IS(e->lexpr, ROW_EXPR) &&
            IS(e->rexpr, ROW_EXPR) && e->lexpr->row_expr->n_args == e->rexpr->row_expr->n_args) {
          Pred p;
          p.kind = Pred::Kind::And;
          for (size_t i = 0; i < e->lexpr->row_expr->n_args; ++i) {
            p.kids.push_back(equality(e->lexpr->row_expr->args[i], e->rexpr->row_expr->args[i]));
          }
          return p;
        }
        auto lt = column_targets(e->lexpr);
        auto rt = column_targets(e->rexpr);
        std::vector<Target> ts;
        std::optional<Value> v;
        bool flipped = false;
        if (!lt.empty() && rt.empty()) {
          ts = std::move(lt);
          v = operand_value(e->rexpr);
        } else if (lt.empty() && !rt.empty()) {
          ts = std::move(rt);
          v = operand_value(e->lexpr);
          flipped = true;
        } else if (lt.empty() && rt.empty() && e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP) {
          return year_extract(e, op);
        } else {
          return unknown;  // year = year, a.x = b.y, 1 = 1
        }
        if (!v) return e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP ? marker(std::move(ts)) : unknown;
        if (e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT) {
          v->prunes = false;  // the warehouse does not prune on IS NOT DISTINCT FROM
          if (v->kind == Value::Kind::Null) return atom(std::move(ts), make_atom(Bound::Op::Eq, {*v}), false);
          return atom(std::move(ts), make_atom(Bound::Op::Eq, {*v}));
        }
        auto cmp = comparison(op);
        if (!cmp) return marker(std::move(ts));
        if (v->kind == Value::Kind::Null) {
          Bound f;
          f.op = Bound::Op::False;  // column = NULL is never true
          return atom(std::move(ts), f);
        }
        return atom(std::move(ts), make_atom(flipped ? flip(*cmp) : *cmp, {*v}));
      }
      case PG_QUERY__A__EXPR__KIND__AEXPR_IN: {
        // (year, month) IN ((2024, 1), (2023, 12)): an OR of row equalities.
        if (op == "=" && IS(e->lexpr, ROW_EXPR) && IS(e->rexpr, LIST)) {
          const PgQuery__RowExpr* l = e->lexpr->row_expr;
          Pred p;
          p.kind = Pred::Kind::Or;
          for (size_t i = 0; i < e->rexpr->list->n_items; ++i) {
            const Node* item = e->rexpr->list->items[i];
            if (!IS(item, ROW_EXPR) || item->row_expr->n_args != l->n_args) return unknown;
            Pred row;
            row.kind = Pred::Kind::And;
            for (size_t k = 0; k < l->n_args; ++k) row.kids.push_back(equality(l->args[k], item->row_expr->args[k]));
            p.kids.push_back(std::move(row));
          }
          return p.kids.empty() ? unknown : p;
        }
        auto ts = column_targets(e->lexpr);
        if (ts.empty()) return unknown;
        if (op != "=" || !IS(e->rexpr, LIST)) return marker(std::move(ts));  // NOT IN
        auto values = const_list(e->rexpr->list->items, e->rexpr->list->n_items);
        if (!values) return marker(std::move(ts));
        if (values->empty()) {
          Bound f;
          f.op = Bound::Op::False;
          return atom(std::move(ts), f);
        }
        return atom(std::move(ts), in_list(std::move(*values)));
      }
      case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
      case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL: {
        auto ts = column_targets(e->lexpr);
        if (ts.empty()) return unknown;
        const bool all = e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL;
        auto cmp = comparison(op);
        if (!cmp) return marker(std::move(ts));  // <> ANY, <> ALL, ...
        bool had_null = false;
        auto values = array_values(e->rexpr, &had_null);
        if (!values) return marker(std::move(ts));
        if (values->size() == 1 && (*values)[0].array) {
          if (!all && *cmp == Bound::Op::Eq) return atom(std::move(ts), in_list(std::move(*values)));
          (*values)[0].all = all;
          // An empty array makes `x < ALL($1)` true, NULL x included: not strict.
          return atom(std::move(ts), make_atom(*cmp, std::move(*values)), /*strict=*/!all);
        }
        Bound b = quantified(*cmp, all, std::move(*values), had_null);
        // ALL of no element holds for every row, null-extended ones too: no restriction.
        if (b.op == Bound::Op::True) return unknown;
        return atom(std::move(ts), std::move(b));
      }
      case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
      case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM: {
        auto ts = column_targets(e->lexpr);
        if (ts.empty()) return unknown;
        if (!IS(e->rexpr, LIST) || e->rexpr->list->n_items != 2) return marker(std::move(ts));
        auto lo = operand_value(e->rexpr->list->items[0]);
        auto hi = operand_value(e->rexpr->list->items[1]);
        if (!lo || !hi) return marker(std::move(ts));
        if (lo->kind == Value::Kind::Null || hi->kind == Value::Kind::Null) {
          Bound f;
          f.op = Bound::Op::False;
          return atom(std::move(ts), f);
        }
        if (e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN) {
          return atom(std::move(ts), make_atom(Bound::Op::Between, {*lo, *hi}));
        }
        Pred p;  // SYMMETRIC: either order
        p.kind = Pred::Kind::Or;
        p.kids.push_back(atom(ts, make_atom(Bound::Op::Between, {*lo, *hi})));
        p.kids.push_back(atom(ts, make_atom(Bound::Op::Between, {*hi, *lo})));
        return p;
      }
      case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
      case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
      case PG_QUERY__A__EXPR__KIND__AEXPR_SIMILAR:
      case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN:
      case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM:
        return marker(column_targets(e->lexpr));
      default:
        return unknown;
    }
  }

  // EXTRACT(YEAR FROM col) <op> 2024 (either side): a date range on col.
  Pred year_extract(const PgQuery__AExpr* e, std::string_view op) {
    const Node* col = extracted_year_of(e->lexpr);
    const Node* other = e->rexpr;
    bool flipped = false;
    if (col == nullptr) {
      col = extracted_year_of(e->rexpr);
      other = e->lexpr;
      flipped = true;
    }
    auto cmp = comparison(op);
    auto ts = col != nullptr ? column_targets(col) : std::vector<Target>{};
    auto year = ts.empty() || !cmp ? std::nullopt : const_value(other);
    auto b = year ? year_bound(flipped ? flip(*cmp) : *cmp, *year) : std::nullopt;
    if (!b) return Pred{};
    return atom(std::move(ts), std::move(*b));
  }

 private:
  ColumnTargets& columns_;
  const Eligible& eligible_;
};

}  // namespace

void restrict_scans(const PgQuery__Node* where, const Eligible& eligible, ColumnTargets& columns,
                    std::vector<Scan>* scans) {
  if (where == nullptr || eligible.empty()) return;
  Pred p = PredicateBuilder(columns, eligible).build(where);
  std::map<std::pair<int, std::string>, bool> keys;
  collect_keys(p, &keys, eligible);
  if (keys.empty()) return;
  std::set<int> strict;
  strict_scans(p, &strict);
  std::map<Key, Bound> projected = project_all(p);
  for (const auto& [key, nullable] : keys) {
    if (nullable && strict.count(key.first) == 0) continue;
    auto it = projected.find(key);
    if (it == projected.end()) continue;
    add_bound(scans, key.first, key.second, std::move(it->second));
  }
  if (!has_or(p)) return;
  // The scans this context restricts: those without a key it must skip.
  std::set<int> restricted, skipped;
  for (const auto& [key, nullable] : keys) (nullable && strict.count(key.first) == 0 ? skipped : restricted).insert(key.first);
  for (int s : skipped) restricted.erase(s);
  if (!restricted.empty()) add_disjunctions(p, restricted, scans);
}


}  // namespace blueshift::rewrite
