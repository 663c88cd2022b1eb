// How facts are read off a raw parse tree.
//
// Scopes and entries. Each query block (a SELECT, a set operation, VALUES) has a scope:
// the FROM entries in order, plus the enclosing query's scope for correlated references.
// An entry is a table scan, a subquery/CTE (a Block with outputs), a function, or a
// SUPER navigation into an earlier entry's column.
//
// Column resolution. `alias.col` finds the entry by name, innermost scope first.
// An unqualified column belongs to the one entry of the innermost scope that could own
// it: a subquery owns the columns it outputs, a table owns anything unless
// AnalysisContext::columns_of says otherwise. Two candidates make it ambiguous: it then
// bounds nothing (and is listed in columns_read of every candidate table, since
// columns_read is used to fail closed).
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
// groups by that column, and a CTE is referenced once. Set operations push into every
// branch by position.
//
// Predicates become a small tree (And/Or/Atom/Unknown) and are projected per scan column:
// atoms on other columns, NOT, expressions of the column (year + 0, func(year), casts of
// the column) and comparisons with non-constants count as Unknown (true), so an Or bounds
// a column only if every branch does. A tree with an Or is also put in disjunctive normal
// form (at most kMaxBranches branches), kept per scan where it pairs up columns the
// per-column bounds take apart: `(year = 2024 AND month = 1) OR (year = 2023 AND month =
// 12)` is two (year, month) pairs, not four.
#include "rewrite/query_walker.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>

#include "rewrite/array_value.h"
#include "rewrite/bounds.h"
#include "rewrite/identifiers.h"
#include "rewrite/pg_parser.h"
#include "rewrite/utility_facts.h"

namespace blueshift::rewrite {
namespace {

using Node = PgQuery__Node;

using pg::has;
using pg::sv;

std::string_view str_node(const Node* n) { return IS(n, STRING) && n->string->sval ? sv(n->string->sval) : ""; }

// Last element of a qualified name list (function or operator names).
std::string_view last_name(Node* const* names, size_t n) { return n == 0 ? std::string_view() : str_node(names[n - 1]); }

struct Block;

struct Entry {
  enum class Kind { Table, Block, Function, Navigation, Other };
  Kind kind = Kind::Other;
  std::string refname;  // the name columns are qualified with
  std::string schema;   // Table: resolved schema
  std::string name;     // Table: folded table name
  bool aliased = false;
  int scan = -1;  // Table
  std::shared_ptr<Block> block;
  bool pushdown = false;                   // Block: filters on its outputs may reach its scans
  const PivotMark* pivot = nullptr;        // a PIVOT/UNPIVOT applied to it (see dialect.h)
  std::vector<std::string> alias_columns;  // FROM x AS a(c1, c2): renamed leading columns
};

// A plain column of a base table scan a reference resolves to.
struct Target {
  const Entry* entry = nullptr;  // the entry in the scope where the reference was resolved
  int scan = -1;
  std::string column;
  bool nullable = false;  // on the nullable side of an outer join inside a subquery/CTE
};

struct Output {
  std::string name;
  std::vector<Target> targets;  // empty: an expression, or not safe to push into
  bool star = false;
  std::vector<const Entry*> star_entries;
};

struct Block {
  std::vector<std::unique_ptr<Entry>> entries;
  std::unordered_map<const Entry*, bool> nullable;  // within this block's FROM
  std::vector<Output> outputs;
  bool safe = true;
  bool setop = false;
  std::vector<std::shared_ptr<Block>> branches;
};

struct UsingJoin {
  std::vector<std::string> columns;
  PgQuery__JoinType type = PG_QUERY__JOIN_TYPE__JOIN_INNER;
  std::vector<const Entry*> left, right;
};

struct Scope {
  std::vector<const Entry*> entries;
  std::vector<UsingJoin> usings;
  const Scope* parent = nullptr;
};

enum class Own { No, Maybe, Yes };

struct Resolution {
  std::vector<Target> targets;
  bool plain = true;  // false: a path into the column (SUPER navigation), not the column
  int level = -1;     // scope level it resolved in (0 = innermost), -1 = nowhere
};

// Predicate tree before projection onto one column.
struct Pred {
  enum class Kind { And, Or, Atom, Unknown } kind = Kind::Unknown;
  std::vector<Pred> kids;
  std::vector<Target> targets;  // Atom (and strict markers)
  Bound atom;                   // Atom
  bool strict = false;          // false for IS NULL: holds for null-extended rows
  bool marker = false;          // strict, but bounds nothing (x <> 1, x LIKE 'a%', x IS NOT NULL)
};

using Eligible = std::unordered_map<const Entry*, bool>;  // entry -> nullable in this context

bool is_numeric_type(std::string_view t) {
  static constexpr std::string_view kTypes[] = {"int2", "int4", "int8", "smallint", "integer", "int", "bigint",
                                                "numeric", "decimal", "float4", "float8", "real", "float", "double"};
  return std::find(std::begin(kTypes), std::end(kTypes), t) != std::end(kTypes);
}

bool is_date_type(std::string_view t) { return t == "date"; }

bool looks_iso_date(std::string_view s) {
  if (s.size() < 10) return false;
  for (size_t i = 0; i < 10; ++i) {
    const bool dash = i == 4 || i == 7;
    if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9')) return false;
  }
  return s.size() == 10 || s[10] == ' ' || s[10] == 'T';
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Some byte offset (a `location` field) inside the tree under m, -1 if it has none.
int first_location(const ProtobufCMessage* m) {
  if (m == nullptr) return -1;
  const ProtobufCMessageDescriptor* d = m->descriptor;
  if (d != &pg_query__node__descriptor) {
    for (unsigned i = 0; i < d->n_fields; ++i) {
      const ProtobufCFieldDescriptor& fd = d->fields[i];
      if (fd.type == PROTOBUF_C_TYPE_INT32 && fd.label != PROTOBUF_C_LABEL_REPEATED &&
          std::strcmp(fd.name, "location") == 0) {
        const int v = *reinterpret_cast<const int32_t*>(reinterpret_cast<const char*>(m) + fd.offset);
        if (v >= 0) return v;
      }
    }
  }
  int found = -1;
  pg::for_each_child(m, [&](const ProtobufCMessage* c) {
    if (found < 0) found = first_location(c);
  });
  return found;
}

// Redshift's CONVERT(type, expr): the type (lower case) when fc is one, else "". The
// type arrives as a one-word column reference (the dialect pass reduces longer types to
// their first word); PostgreSQL's own convert() takes three arguments.
std::string convert_type(const PgQuery__FuncCall* fc) {
  if (fc->n_args != 2 || ascii_lower(last_name(fc->funcname, fc->n_funcname)) != "convert") return "";
  const Node* a = fc->args[0];
  if (!IS(a, COLUMN_REF) || a->column_ref->n_fields != 1 || !IS(a->column_ref->fields[0], STRING)) return "";
  return ascii_lower(str_node(a->column_ref->fields[0]));
}

// A constant as a cast to `type` leaves it, in the form partition values compare with;
// nullopt when that form is not known.
std::optional<Value> cast_constant(Value v, std::string_view type) {
  if (is_numeric_type(type)) {
    v.text = trim(v.text);
    v.numeric = true;
  } else if (is_date_type(type)) {
    // Only ISO dates compare as text with partition values; a time part is dropped
    // because the cast drops it.
    const std::string t = trim(v.text);
    if (!looks_iso_date(t)) return std::nullopt;
    v.text = t.substr(0, 10);
    v.numeric = false;
  } else if (type == "text" || type == "varchar" || type == "bpchar" || type == "char") {
    v.numeric = false;
  }
  return v;
}

// The constant a node denotes (literal, cast of a literal, negated number, $n).
std::optional<Value> const_value(const Node* n) {
  if (n == nullptr) return std::nullopt;
  if (IS(n, A_CONST)) {
    const PgQuery__AConst* c = n->a_const;
    Value v;
    if (c->isnull) {
      v.kind = Value::Kind::Null;
      return v;
    }
    switch (c->val_case) {
      case PG_QUERY__A__CONST__VAL_IVAL:
        v.text = std::to_string(c->ival != nullptr ? c->ival->ival : 0);
        v.numeric = true;
        return v;
      case PG_QUERY__A__CONST__VAL_FVAL:
        v.text = c->fval != nullptr && c->fval->fval != nullptr ? c->fval->fval : "0";
        v.numeric = true;
        return v;
      case PG_QUERY__A__CONST__VAL_SVAL:
        v.text = c->sval != nullptr && c->sval->sval != nullptr ? c->sval->sval : "";
        return v;
      case PG_QUERY__A__CONST__VAL_BOOLVAL:
        v.text = c->boolval != nullptr && c->boolval->boolval ? "true" : "false";
        return v;
      case PG_QUERY__A__CONST__VAL_BSVAL:
        v.text = c->bsval != nullptr && c->bsval->bsval != nullptr ? c->bsval->bsval : "";
        return v;
      default:
        return std::nullopt;
    }
  }
  if (IS(n, PARAM_REF)) {
    Value v;
    v.kind = Value::Kind::Param;
    v.param = n->param_ref->number;
    return v;
  }
  // A cast of a constant: CAST(x AS type), x::type, or Redshift's CONVERT(type, x).
  const Node* arg = nullptr;
  std::string type;
  if (IS(n, TYPE_CAST)) {
    const PgQuery__TypeName* tn = n->type_cast->type_name;
    if (tn != nullptr && tn->n_array_bounds > 0) return std::nullopt;
    arg = n->type_cast->arg;
    type = tn != nullptr ? ascii_lower(last_name(tn->names, tn->n_names)) : "";
  } else if (IS(n, FUNC_CALL) && !(type = convert_type(n->func_call)).empty()) {
    arg = n->func_call->args[1];
  }
  if (arg != nullptr) {
    auto v = const_value(arg);
    if (!v || v->kind != Value::Kind::Constant) return v;
    return cast_constant(std::move(*v), type);
  }
  if (IS(n, A_EXPR) && n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && n->a_expr->lexpr == nullptr &&
      last_name(n->a_expr->name, n->a_expr->n_name) == "-") {
    auto v = const_value(n->a_expr->rexpr);
    if (!v || v->kind != Value::Kind::Constant || !v->numeric) return std::nullopt;
    v->text = v->text.size() > 0 && v->text[0] == '-' ? v->text.substr(1) : "-" + v->text;
    return v;
  }
  return std::nullopt;
}

// The values of the array `col = ANY(...)` compares with: ARRAY[...] of constants, an
// array literal ('{2023,2024}'), either optionally cast to an array type, or a $n that
// will hold the array at Bind (one Value with `array` set). NULL elements are dropped,
// as they equal nothing (so `= ANY(NULL)` gives none); *had_null says there was one (or
// the array was NULL), which makes an ALL never true. nullopt when not known: a column,
// a function, an element that is not a constant, an unreadable literal.
std::optional<std::vector<Value>> array_values(const Node* n, bool* had_null) {
  *had_null = false;
  std::string element_type;  // of a cast to an array type, "" without one
  if (IS(n, TYPE_CAST)) {
    const PgQuery__TypeName* tn = n->type_cast->type_name;
    if (tn == nullptr || tn->n_array_bounds == 0) return std::nullopt;
    element_type = ascii_lower(last_name(tn->names, tn->n_names));
    n = n->type_cast->arg;
  }
  auto element = [&](Value v, std::vector<Value>* out) {
    if (v.kind == Value::Kind::Null) {
      *had_null = true;
      return true;
    }
    if (v.kind == Value::Kind::Constant && !element_type.empty()) {
      auto cast = cast_constant(std::move(v), element_type);
      if (!cast) return false;
      v = std::move(*cast);
    }
    out->push_back(std::move(v));
    return true;
  };
  std::vector<Value> out;
  if (IS(n, PARAM_REF)) {
    Value v;
    v.kind = Value::Kind::Param;
    v.param = n->param_ref->number;
    v.array = true;
    out.push_back(std::move(v));
    return out;
  }
  if (IS(n, A_ARRAY_EXPR)) {
    const PgQuery__AArrayExpr* a = n->a_array_expr;
    for (size_t i = 0; i < a->n_elements; ++i) {
      auto v = const_value(a->elements[i]);
      if (!v || !element(std::move(*v), &out)) return std::nullopt;
    }
    return out;
  }
  if (IS(n, A_CONST) && n->a_const->isnull) {
    *had_null = true;
    return out;
  }
  if (IS(n, A_CONST) && n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL && n->a_const->sval != nullptr) {
    auto elements = parse_array_text(sv(n->a_const->sval->sval));
    if (!elements) return std::nullopt;
    out.reserve(elements->size());
    for (auto& e : *elements) {
      if (!e) {
        *had_null = true;
        continue;
      }
      Value v;
      v.text = std::move(*e);  // string literal content, as `year = '2024'` keeps it
      if (!element(std::move(v), &out)) return std::nullopt;
    }
    return out;
  }
  return std::nullopt;
}

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

// Function names whose first argument is a date part word (DATEADD(month, 1, d)), which
// PostgreSQL's grammar reads as a column reference.
bool takes_datepart(std::string_view f) {
  static constexpr std::string_view kNames[] = {"dateadd",   "datediff", "date_part",     "datepart",
                                                "date_trunc", "date_add", "date_diff",     "timestampadd",
                                                "timestampdiff", "pgdate_part", "datetrunc"};
  return std::find(std::begin(kNames), std::end(kNames), f) != std::end(kNames);
}

bool is_system_name(std::string_view n) {
  static constexpr std::string_view kPrefixes[] = {"pg_", "stl_", "stv_", "svl_", "svv_", "sys_", "svcs_", "stcs_"};
  for (auto p : kPrefixes) {
    if (n.substr(0, p.size()) == p) return true;
  }
  return false;
}

class Walker {
 public:
  Walker(const WalkInput& in, StatementFacts* out) : in_(in), ctx_(*in.context), out_(out) {}

  void statement(const Node* n);

  // A relation name as this walker resolves it (search_path, temp tables, long names).
  [[nodiscard]] TableRef relation(const PgQuery__RangeVar* rv) const { return table_ref(rv); }

 private:
  // ---- names --------------------------------------------------------------------
  std::string fold(std::string_view s) const { return fold_parsed(s, ctx_.case_sensitive_identifiers); }

  std::string resolve_schema(const std::string& name) const {
    return resolve_relation_schema(ctx_, *in_.search_path, name);
  }

  bool is_temp_location(int location) const {
    if (in_.temp_positions == nullptr || location < 0) return false;
    const int abs = location + in_.location_offset;
    return std::binary_search(in_.temp_positions->begin(), in_.temp_positions->end(), abs);
  }

  // The pivot a table name at `location` is the source of, if any.
  const PivotMark* pivot_of_table(int location) const {
    if (in_.pivots == nullptr || location < 0) return nullptr;
    const int abs = location + in_.location_offset;
    for (const auto& m : *in_.pivots) {
      if (std::find(m.tables.begin(), m.tables.end(), abs) != m.tables.end()) return &m;
    }
    return nullptr;
  }

  // The pivot a subquery is the source of, if any: the innermost range holding it (a
  // subquery nested in a pivoted one is inside the range too, and is treated the same:
  // some names of its outputs restrict nothing, which errs towards refusing).
  const PivotMark* pivot_of_subquery(const ProtobufCMessage* subquery) const {
    if (in_.pivots == nullptr || in_.pivots->empty()) return nullptr;
    const int at = first_location(subquery);
    if (at < 0) return nullptr;
    const int abs = at + in_.location_offset;
    for (const auto& m : *in_.pivots) {
      for (const auto& [from, to] : m.subqueries) {
        if (abs >= from && abs < to) return &m;
      }
    }
    return nullptr;
  }

  // Whether `column` of entry e may be a column a pivot produced rather than its source's.
  static bool pivot_hides(const Entry& e, const std::string& column) {
    if (e.pivot == nullptr) return false;
    return std::any_of(e.pivot->names.begin(), e.pivot->names.end(),
                       [&](const std::string& n) { return !n.empty() && column.find(n) != std::string::npos; });
  }

  TableRef table_ref(const PgQuery__RangeVar* rv) const {
    TableRef t;
    t.name = fold(sv(rv->relname));
    std::string schema = fold(sv(rv->schemaname));
    // PostgreSQL's scanner cut names to 63 bytes; Redshift allows 127: read them again.
    if (t.name.size() >= 63 || schema.size() >= 63) {
      const auto parts = written_name_at(in_.text, rv->location, ctx_.case_sensitive_identifiers);
      const size_t expected = 1 + (has(rv->schemaname) ? 1 : 0) + (has(rv->catalogname) ? 1 : 0);
      if (parts.size() == expected) {
        t.name = parts.back();
        if (has(rv->schemaname)) schema = parts[parts.size() - 2];
      }
    }
    if (rv->alias != nullptr) t.alias = fold(sv(rv->alias->aliasname));
    if (is_temp_location(rv->location) && !t.name.empty()) {
      t.name[0] = '#';  // the dialect pass wrote `_name` for `#name`
      t.temporary = true;
    } else if (!t.name.empty() && t.name[0] == '#') {
      t.temporary = true;
    }
    if (t.temporary) {
      t.schema = "pg_temp";
      return t;
    }
    if (has(rv->schemaname)) {
      t.schema = schema;
      t.written_qualified = true;
    } else if (rv->relpersistence != nullptr && *rv->relpersistence == 't') {
      t.schema = "pg_temp";  // CREATE TEMP TABLE x / SELECT INTO TEMP x
      t.temporary = true;
    } else {
      t.schema = resolve_schema(t.name);
    }
    return t;
  }

  TableRef name_list_ref(Node* const* items, size_t n) const {
    TableRef t;
    if (n == 0) return t;
    t.name = fold(str_node(items[n - 1]));
    if (n == 1 && in_.temp_names != nullptr &&
        std::find(in_.temp_names->begin(), in_.temp_names->end(), t.name) != in_.temp_names->end()) {
      t.name[0] = '#';
    }
    if (!t.name.empty() && t.name[0] == '#') {
      t.temporary = true;
      t.schema = "pg_temp";
      return t;
    }
    if (n >= 2) {
      t.schema = fold(str_node(items[n - 2]));
      t.written_qualified = true;
    } else {
      t.schema = resolve_schema(t.name);
    }
    return t;
  }

  void add_write(const PgQuery__RangeVar* rv) {
    if (rv != nullptr) out_->writes.push_back(table_ref(rv));
  }

  int add_scan(TableRef t) {
    Scan s;
    s.table = std::move(t);
    out_->scans.push_back(std::move(s));
    return static_cast<int>(out_->scans.size()) - 1;
  }

  void read_column(int scan, const std::string& column) {
    if (scan < 0 || column.empty()) return;
    auto& seen = columns_seen_[{scan, column}];
    if (seen) return;
    seen = true;
    out_->scans[static_cast<size_t>(scan)].columns_read.push_back(column);
  }

  void add_bound(int scan, const std::string& column, Bound b) {
    auto& bounds = out_->scans[static_cast<size_t>(scan)].bounds;
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

  // ---- CTEs ---------------------------------------------------------------------
  struct CteDef {
    std::string name;
    std::shared_ptr<Block> block;
    bool recursive = false;
    bool ready = false;
  };

  int cte_references(const std::string& name) {
    if (!cte_counts_) {
      cte_counts_.emplace();
      count_range_vars(reinterpret_cast<const ProtobufCMessage*>(root_));
    }
    auto it = cte_counts_->find(name);
    return it == cte_counts_->end() ? 0 : it->second;
  }

  void count_range_vars(const ProtobufCMessage* m) {
    if (m == nullptr) return;
    if (m->descriptor == &pg_query__range_var__descriptor) {
      const auto* rv = reinterpret_cast<const PgQuery__RangeVar*>(m);
      if (!has(rv->schemaname)) ++(*cte_counts_)[fold(sv(rv->relname))];
      return;
    }
    pg::for_each_child(m, [&](const ProtobufCMessage* c) { count_range_vars(c); });
  }

  const CteDef* find_cte(const std::string& name) const {
    for (auto f = cte_frames_.rbegin(); f != cte_frames_.rend(); ++f) {
      for (const auto& d : *f) {
        if (d.name == name) return &d;
      }
    }
    return nullptr;
  }

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
        w_->cte_frames_.back().push_back(d);
        const size_t index = w_->cte_frames_.back().size() - 1;
        std::shared_ptr<Block> body;
        if (IS(cte->ctequery, SELECT_STMT)) {
          body = w_->select_block(cte->ctequery->select_stmt, outer);
        } else {
          w_->body(cte->ctequery);  // data-modifying CTE: its reads and writes count
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

  // ---- ownership and resolution -------------------------------------------------
  std::optional<std::vector<std::string>> table_columns(const Entry& e) const {
    if (!ctx_.columns_of || e.kind != Entry::Kind::Table || e.scan < 0) return std::nullopt;
    const TableRef& t = out_->scans[static_cast<size_t>(e.scan)].table;
    if (t.temporary) return std::nullopt;
    return ctx_.columns_of(t.schema, t.name);
  }

  Own block_owns(const Block& b, const std::string& column) const {
    if (b.setop) {
      if (b.branches.empty() || !b.branches[0]) return Own::Maybe;
      return block_owns(*b.branches[0], column);
    }
    Own result = Own::No;
    for (const auto& o : b.outputs) {
      if (o.star) {
        for (const Entry* e : o.star_entries) {
          const Own own = owns(*e, column);
          if (own == Own::Yes) return Own::Yes;
          if (own == Own::Maybe) result = Own::Maybe;
        }
      } else if (o.name == column) {
        return Own::Yes;
      }
    }
    return result;
  }

  Own owns(const Entry& e, const std::string& column) const {
    // A pivot's own output column: this entry's, but no column of its source.
    if (pivot_hides(e, column)) return Own::Yes;
    switch (e.kind) {
      case Entry::Kind::Table: {
        if (std::find(e.alias_columns.begin(), e.alias_columns.end(), column) != e.alias_columns.end()) return Own::Yes;
        auto cols = table_columns(e);
        if (!cols) return Own::Maybe;
        // Columns renamed by an alias list are no longer visible by their own names.
        for (size_t i = e.alias_columns.size(); i < cols->size(); ++i) {
          if ((*cols)[i] == column) return Own::Yes;
        }
        return Own::No;
      }
      case Entry::Kind::Block:
        if (!e.alias_columns.empty()) {
          if (std::find(e.alias_columns.begin(), e.alias_columns.end(), column) != e.alias_columns.end()) return Own::Yes;
        }
        return e.block ? block_owns(*e.block, column) : Own::Maybe;
      case Entry::Kind::Function:
        if (!e.alias_columns.empty()) {
          return std::find(e.alias_columns.begin(), e.alias_columns.end(), column) != e.alias_columns.end() ? Own::Yes
                                                                                                              : Own::Maybe;
        }
        return Own::Maybe;
      default:
        return Own::Maybe;
    }
  }

  // Targets of output `column` of a block (through nested pushdown-safe blocks).
  std::vector<Target> block_lookup(const Block& b, const std::string& column) const {
    if (!b.safe) return {};
    if (b.setop) {
      if (b.branches.empty() || !b.branches[0]) return {};
      const auto pos = block_position(*b.branches[0], column);
      if (!pos) return {};
      return block_at(b, *pos);
    }
    std::vector<Target> found;
    int explicit_matches = 0;
    for (const auto& o : b.outputs) {
      if (!o.star && o.name == column) {
        ++explicit_matches;
        found = o.targets;
      }
    }
    if (explicit_matches > 1) return {};
    if (explicit_matches == 0) {
      for (const auto& o : b.outputs) {
        if (!o.star) continue;
        std::vector<const Entry*> cands;
        for (const Entry* e : o.star_entries) {
          if (owns(*e, column) != Own::No) cands.push_back(e);
        }
        if (cands.size() == 1) {
          found = entry_targets(*cands[0], column);
          break;
        }
        if (cands.size() > 1) return {};
      }
    }
    for (auto& t : found) {
      auto it = b.nullable.find(t.entry);
      if (it != b.nullable.end() && it->second) t.nullable = true;
    }
    return found;
  }

  // Position of an output name in a plain block; nullopt when a star precedes it.
  std::optional<size_t> block_position(const Block& b, const std::string& column) const {
    if (b.setop) return b.branches.empty() || !b.branches[0] ? std::nullopt : block_position(*b.branches[0], column);
    for (size_t i = 0; i < b.outputs.size(); ++i) {
      if (b.outputs[i].star) return std::nullopt;
      if (b.outputs[i].name == column) return i;
    }
    return std::nullopt;
  }

  std::vector<Target> block_at(const Block& b, size_t pos) const {
    if (!b.safe) return {};
    if (b.setop) {
      std::vector<Target> all;
      for (const auto& br : b.branches) {
        if (!br) continue;
        auto ts = block_at(*br, pos);
        all.insert(all.end(), ts.begin(), ts.end());
      }
      return all;
    }
    for (size_t i = 0; i < b.outputs.size() && i <= pos; ++i) {
      if (b.outputs[i].star) return {};
    }
    if (pos >= b.outputs.size()) return {};
    auto found = b.outputs[pos].targets;
    for (auto& t : found) {
      auto it = b.nullable.find(t.entry);
      if (it != b.nullable.end() && it->second) t.nullable = true;
    }
    return found;
  }

  // Targets for `column` of entry e (e is in the current scope; targets keep e as entry).
  std::vector<Target> entry_targets(const Entry& e, const std::string& column) const {
    std::vector<Target> out;
    if (pivot_hides(e, column)) return out;
    switch (e.kind) {
      case Entry::Kind::Table: {
        std::string real = column;
        auto pos = std::find(e.alias_columns.begin(), e.alias_columns.end(), column);
        if (pos != e.alias_columns.end()) {
          auto cols = table_columns(e);
          const auto i = static_cast<size_t>(pos - e.alias_columns.begin());
          if (!cols || i >= cols->size()) return out;
          real = (*cols)[i];
        }
        out.push_back(Target{&e, e.scan, real, false});
        return out;
      }
      case Entry::Kind::Block: {
        if (!e.pushdown || !e.block) return out;
        std::vector<Target> inner;
        auto pos = std::find(e.alias_columns.begin(), e.alias_columns.end(), column);
        if (pos != e.alias_columns.end()) {
          inner = block_at(*e.block, static_cast<size_t>(pos - e.alias_columns.begin()));
        } else {
          inner = block_lookup(*e.block, column);
        }
        for (auto& t : inner) out.push_back(Target{&e, t.scan, t.column, t.nullable});
        return out;
      }
      default:
        return out;
    }
  }

  void note_read(const Entry& e, const std::string& column) {
    if (e.kind == Entry::Kind::Table && !pivot_hides(e, column)) {
      std::string real = column;
      auto pos = std::find(e.alias_columns.begin(), e.alias_columns.end(), column);
      if (pos != e.alias_columns.end()) {
        auto cols = table_columns(e);
        const auto i = static_cast<size_t>(pos - e.alias_columns.begin());
        if (!cols || i >= cols->size()) return;
        real = (*cols)[i];
      }
      read_column(e.scan, real);
    }
  }

  Resolution resolve_unqualified(const Scope* scope, const std::string& column, bool record) {
    Resolution r;
    int level = 0;
    for (const Scope* s = scope; s != nullptr; s = s->parent, ++level) {
      // JOIN ... USING (c): the merged column.
      for (auto it = s->usings.rbegin(); it != s->usings.rend(); ++it) {
        if (std::find(it->columns.begin(), it->columns.end(), column) == it->columns.end()) continue;
        r.level = level;
        auto side = [&](const std::vector<const Entry*>& entries) {
          std::vector<const Entry*> cands;
          for (const Entry* e : entries) {
            if (owns(*e, column) != Own::No) cands.push_back(e);
          }
          if (record) {
            for (const Entry* e : cands) note_read(*e, column);
          }
          if (cands.size() == 1) {
            auto ts = entry_targets(*cands[0], column);
            r.targets.insert(r.targets.end(), ts.begin(), ts.end());
          }
        };
        switch (it->type) {
          case PG_QUERY__JOIN_TYPE__JOIN_INNER: side(it->left); side(it->right); break;
          case PG_QUERY__JOIN_TYPE__JOIN_LEFT: side(it->left); break;
          case PG_QUERY__JOIN_TYPE__JOIN_RIGHT: side(it->right); break;
          default: break;  // FULL: COALESCE(left, right) restricts neither side
        }
        return r;
      }
      std::vector<const Entry*> cands;
      for (const Entry* e : s->entries) {
        if (owns(*e, column) != Own::No) cands.push_back(e);
      }
      if (cands.empty()) continue;
      r.level = level;
      if (record) {
        for (const Entry* e : cands) note_read(*e, column);
      }
      if (cands.size() == 1) r.targets = entry_targets(*cands[0], column);
      return r;
    }
    return r;
  }

  // Entries of scope s named `ref` (alias, or table name when not aliased).
  static std::vector<const Entry*> named(const Scope* s, const std::string& ref) {
    std::vector<const Entry*> out;
    for (const Entry* e : s->entries) {
      if (e->refname == ref) out.push_back(e);
    }
    return out;
  }

  Resolution resolve_in(const Entry* e, int level, const std::string& column, bool plain, bool record) {
    Resolution r;
    r.level = level;
    r.plain = plain;
    if (record) note_read(*e, column);
    if (plain) r.targets = entry_targets(*e, column);
    return r;
  }

  Resolution resolve(const Scope* scope, const PgQuery__ColumnRef* cr, bool record) {
    std::vector<std::string> f;
    for (size_t i = 0; i < cr->n_fields; ++i) {
      if (!IS(cr->fields[i], STRING)) break;
      f.push_back(fold(str_node(cr->fields[i])));
    }
    Resolution none;
    if (f.empty()) return none;
    if (f.size() == 1) return resolve_unqualified(scope, f[0], record);
    // schema.table.column / db.schema.table.column
    if (f.size() >= 3) {
      const std::string& schema = f[f.size() - 3];
      const std::string& table = f[f.size() - 2];
      int level = 0;
      for (const Scope* s = scope; s != nullptr; s = s->parent, ++level) {
        for (const Entry* e : s->entries) {
          if (e->kind == Entry::Kind::Table && !e->aliased && e->name == table && e->schema == schema) {
            return resolve_in(e, level, f.back(), true, record);
          }
        }
      }
    }
    // alias.column[.path...]
    int level = 0;
    for (const Scope* s = scope; s != nullptr; s = s->parent, ++level) {
      auto es = named(s, f[0]);
      if (es.empty()) continue;
      if (es.size() > 1) {
        none.level = level;
        return none;  // ambiguous: the server rejects it
      }
      return resolve_in(es[0], level, f[1], f.size() == 2, record);
    }
    // column.path: a SUPER path on an unqualified column.
    Resolution r = resolve_unqualified(scope, f[0], record);
    r.plain = false;
    r.targets.clear();
    return r;
  }

  void star(const Scope* scope, const PgQuery__ColumnRef* cr) {
    auto mark = [&](const Entry* e) {
      if (e->kind == Entry::Kind::Table && e->scan >= 0) out_->scans[static_cast<size_t>(e->scan)].select_star = true;
    };
    if (cr->n_fields <= 1) {
      for (const Entry* e : scope->entries) mark(e);
      return;
    }
    const std::string ref = fold(str_node(cr->fields[cr->n_fields - 2]));
    for (const Scope* s = scope; s != nullptr; s = s->parent) {
      auto es = named(s, ref);
      if (es.empty()) continue;
      for (const Entry* e : es) mark(e);
      return;
    }
  }

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
  // The targets of a plain column reference resolved in the current scope and eligible
  // in this context; empty otherwise.
  std::vector<Target> column_targets(const Node* n, const Scope* scope, const Eligible& eligible) {
    if (!IS(n, COLUMN_REF)) return {};
    const PgQuery__ColumnRef* cr = n->column_ref;
    if (cr->n_fields > 0 && IS(cr->fields[cr->n_fields - 1], A_STAR)) return {};
    Resolution r = resolve(scope, cr, false);
    if (!r.plain || r.level != 0) return {};
    std::vector<Target> out;
    for (auto& t : r.targets) {
      if (eligible.count(t.entry) != 0) out.push_back(std::move(t));
    }
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

  // Values of an IN list / array; nullopt if any element is not a constant.
  static std::optional<std::vector<Value>> const_list(Node* const* items, size_t n) {
    std::vector<Value> values;
    for (size_t i = 0; i < n; ++i) {
      auto v = const_value(items[i]);
      if (!v) return std::nullopt;
      if (v->kind == Value::Kind::Null) continue;  // x IN (1, NULL) matches 1 only
      values.push_back(std::move(*v));
    }
    return values;
  }

  // One element of a row equality, as if written `l = r`.
  Pred equality(const Node* l, const Node* r, const Scope* scope, const Eligible& eligible) {
    auto lt = column_targets(l, scope, eligible);
    auto rt = column_targets(r, scope, eligible);
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

  Pred build(const Node* n, const Scope* scope, const Eligible& eligible) {
    Pred unknown;
    if (n == nullptr) return unknown;
    if (IS(n, BOOL_EXPR)) {
      const PgQuery__BoolExpr* b = n->bool_expr;
      if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR) return unknown;
      Pred p;
      p.kind = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR ? Pred::Kind::And : Pred::Kind::Or;
      for (size_t i = 0; i < b->n_args; ++i) p.kids.push_back(build(b->args[i], scope, eligible));
      return p;
    }
    if (IS(n, NULL_TEST)) {
      auto ts = column_targets(n->null_test->arg, scope, eligible);
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
            p.kids.push_back(equality(e->lexpr->row_expr->args[i], e->rexpr->row_expr->args[i], scope, eligible));
          }
          return p;
        }
        auto lt = column_targets(e->lexpr, scope, eligible);
        auto rt = column_targets(e->rexpr, scope, eligible);
        std::vector<Target> ts;
        std::optional<Value> v;
        bool flipped = false;
        if (!lt.empty() && rt.empty()) {
          ts = std::move(lt);
          v = const_value(e->rexpr);
        } else if (lt.empty() && !rt.empty()) {
          ts = std::move(rt);
          v = const_value(e->lexpr);
          flipped = true;
        } else {
          return unknown;  // year = year, a.x = b.y, 1 = 1
        }
        if (!v) return e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP ? marker(std::move(ts)) : unknown;
        if (e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT) {
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
            for (size_t k = 0; k < l->n_args; ++k) row.kids.push_back(equality(l->args[k], item->row_expr->args[k], scope, eligible));
            p.kids.push_back(std::move(row));
          }
          return p.kids.empty() ? unknown : p;
        }
        auto ts = column_targets(e->lexpr, scope, eligible);
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
        auto ts = column_targets(e->lexpr, scope, eligible);
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
        auto ts = column_targets(e->lexpr, scope, eligible);
        if (ts.empty()) return unknown;
        if (!IS(e->rexpr, LIST) || e->rexpr->list->n_items != 2) return marker(std::move(ts));
        auto lo = const_value(e->rexpr->list->items[0]);
        auto hi = const_value(e->rexpr->list->items[1]);
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
        return marker(column_targets(e->lexpr, scope, eligible));
      default:
        return unknown;
    }
  }

  void apply(const Node* where, const Scope* scope, const Eligible& eligible) {
    if (where == nullptr || eligible.empty()) return;
    Pred p = build(where, scope, eligible);
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
      add_bound(key.first, key.second, std::move(it->second));
    }
    if (!has_or(p)) return;
    // The scans this context restricts: those without a key it must skip.
    std::set<int> scans, skipped;
    for (const auto& [key, nullable] : keys) (nullable && strict.count(key.first) == 0 ? skipped : scans).insert(key.first);
    for (int s : skipped) scans.erase(s);
    if (!scans.empty()) add_disjunctions(p, scans);
  }

  // The context's DNF, per scan it may restrict, kept where it says more than the
  // per-column bounds. A column bound alike in every branch is already one of those
  // bounds, so it is factored out; what is left is kept when every branch still
  // restricts the scan (else the OR does not) and it spans two or more columns (over
  // one column, the per-column bound says the same).
  void add_disjunctions(const Pred& p, const std::set<int>& scans) {
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
      out_->scans[static_cast<size_t>(s)].disjunctions.push_back(std::move(d));
    }
  }

  // Whether the branches are every combination of each column's choices, as from
  // `(year = 2023 OR year = 2024) AND (month = 1 OR month = 2)`: the per-column bounds
  // then say exactly the same.
  static bool is_product(const Disjunction& d, size_t columns) {
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
        e->pushdown = d->ready && !d->recursive && cte_references(name) == 1;
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
    for (size_t i = 0; i < s->n_from_clause; ++i) {
      Items more = from_item(s->from_clause[i], *block, scope, outer);
      items.insert(items.end(), more.begin(), more.end());
    }
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

  const WalkInput& in_;
  const AnalysisContext& ctx_;
  StatementFacts* out_;
  const Node* root_ = nullptr;
  std::vector<std::vector<CteDef>> cte_frames_;
  std::optional<std::unordered_map<std::string, int>> cte_counts_;
  std::map<std::pair<int, std::string>, bool> columns_seen_;  // (scan, column) already in columns_read
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
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_SELECT_STMT:
    case PG_QUERY__NODE__NODE_INSERT_STMT:
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
    case PG_QUERY__NODE__NODE_DELETE_STMT:
    case PG_QUERY__NODE__NODE_MERGE_STMT:
      out_->kind = body(n);
      return;
    case PG_QUERY__NODE__NODE_COPY_STMT: {
      const PgQuery__CopyStmt* c = n->copy_stmt;
      out_->kind = StatementKind::Copy;
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
      out_->kind = StatementKind::CreateTableAs;
      if (c->into != nullptr) add_write(c->into->rel);
      (void)body(c->query);
      return;
    }
    case PG_QUERY__NODE__NODE_CREATE_STMT:
      out_->kind = StatementKind::CreateTable;
      add_write(n->create_stmt->relation);
      return;
    case PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT:
      out_->kind = StatementKind::CreateExternal;
      if (n->create_foreign_table_stmt->base_stmt != nullptr) add_write(n->create_foreign_table_stmt->base_stmt->relation);
      return;
    case PG_QUERY__NODE__NODE_VIEW_STMT:
      // Creating a view reads nothing yet, but its query is reported: policies cannot
      // see through the view later.
      out_->kind = StatementKind::OtherDdl;
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
      out_->kind = StatementKind::Explain;
      // Plain EXPLAIN writes nothing; EXPLAIN ANALYZE runs the statement.
      if (!analyze) out_->writes.resize(writes_before);
      return;
    }
    case PG_QUERY__NODE__NODE_DROP_STMT: {
      const PgQuery__DropStmt* d = n->drop_stmt;
      out_->kind = StatementKind::Drop;
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
    case PG_QUERY__NODE__NODE_DROP_OWNED_STMT:
    case PG_QUERY__NODE__NODE_DROPDB_STMT:
    case PG_QUERY__NODE__NODE_DROP_ROLE_STMT:
    case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
    case PG_QUERY__NODE__NODE_DROP_USER_MAPPING_STMT:
    case PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT:
      // DROP statements with their own node types: a rule on `drop` means them too.
      out_->kind = StatementKind::Drop;
      return;
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
      out_->kind = StatementKind::Truncate;
      for (size_t i = 0; i < n->truncate_stmt->n_relations; ++i) {
        if (IS(n->truncate_stmt->relations[i], RANGE_VAR)) add_write(n->truncate_stmt->relations[i]->range_var);
      }
      return;
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
      out_->kind = StatementKind::Alter;
      add_write(n->alter_table_stmt->relation);
      return;
    case PG_QUERY__NODE__NODE_RENAME_STMT:
      out_->kind = StatementKind::Alter;
      add_write(n->rename_stmt->relation);
      return;
    case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
      out_->kind = StatementKind::Alter;
      add_write(n->alter_object_schema_stmt->relation);
      return;
    case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
    case PG_QUERY__NODE__NODE_ALTER_DEFAULT_PRIVILEGES_STMT:
    case PG_QUERY__NODE__NODE_ALTER_FUNCTION_STMT:
    case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
    case PG_QUERY__NODE__NODE_ALTER_ROLE_STMT:
    case PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT:
    case PG_QUERY__NODE__NODE_ALTER_DATABASE_REFRESH_COLL_STMT:
    case PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT:
    case PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT:
    case PG_QUERY__NODE__NODE_ALTER_OP_FAMILY_STMT:
    case PG_QUERY__NODE__NODE_ALTER_OBJECT_DEPENDS_STMT:
    case PG_QUERY__NODE__NODE_ALTER_OWNER_STMT:
    case PG_QUERY__NODE__NODE_ALTER_OPERATOR_STMT:
    case PG_QUERY__NODE__NODE_ALTER_TYPE_STMT:
    case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
    case PG_QUERY__NODE__NODE_ALTER_TSDICTIONARY_STMT:
    case PG_QUERY__NODE__NODE_ALTER_TSCONFIGURATION_STMT:
    case PG_QUERY__NODE__NODE_ALTER_FDW_STMT:
    case PG_QUERY__NODE__NODE_ALTER_FOREIGN_SERVER_STMT:
    case PG_QUERY__NODE__NODE_ALTER_USER_MAPPING_STMT:
    case PG_QUERY__NODE__NODE_ALTER_TABLE_SPACE_OPTIONS_STMT:
    case PG_QUERY__NODE__NODE_ALTER_TABLE_MOVE_ALL_STMT:
    case PG_QUERY__NODE__NODE_ALTER_EXTENSION_STMT:
    case PG_QUERY__NODE__NODE_ALTER_EXTENSION_CONTENTS_STMT:
    case PG_QUERY__NODE__NODE_ALTER_EVENT_TRIG_STMT:
    case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
    case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
    case PG_QUERY__NODE__NODE_ALTER_PUBLICATION_STMT:
    case PG_QUERY__NODE__NODE_ALTER_SUBSCRIPTION_STMT:
    case PG_QUERY__NODE__NODE_ALTER_COLLATION_STMT:
    case PG_QUERY__NODE__NODE_ALTER_STATS_STMT:
      out_->kind = StatementKind::Alter;
      return;
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
      out_->kind = StatementKind::Set;
      set_statement(n->variable_set_stmt);
      return;
    case PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT:
      out_->kind = StatementKind::Show;
      return;
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
      out_->kind = StatementKind::Transaction;
      return;
    case PG_QUERY__NODE__NODE_PREPARE_STMT: {
      // PREPARE reads nothing yet, but EXECUTE will, and only the text of PREPARE says what.
      Walker inner(in_, out_);
      inner.statement(n->prepare_stmt->query);
      out_->kind = StatementKind::Utility;
      return;
    }
    case PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT:
      (void)body(n->declare_cursor_stmt->query);
      out_->kind = StatementKind::Utility;
      return;
    case PG_QUERY__NODE__NODE_DISCARD_STMT:
      out_->kind = StatementKind::Utility;
      if (n->discard_stmt->target == PG_QUERY__DISCARD_MODE__DISCARD_ALL) {
        out_->sets_search_path = std::vector<std::string>{"$user", "public"};
        *in_.search_path = *out_->sets_search_path;
      }
      return;
    case PG_QUERY__NODE__NODE_EXECUTE_STMT:
    case PG_QUERY__NODE__NODE_DEALLOCATE_STMT:
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
    case PG_QUERY__NODE__NODE_LOCK_STMT:
    case PG_QUERY__NODE__NODE_LISTEN_STMT:
    case PG_QUERY__NODE__NODE_UNLISTEN_STMT:
    case PG_QUERY__NODE__NODE_NOTIFY_STMT:
    case PG_QUERY__NODE__NODE_FETCH_STMT:
    case PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT:
    case PG_QUERY__NODE__NODE_CALL_STMT:
    case PG_QUERY__NODE__NODE_CHECK_POINT_STMT:
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
    case PG_QUERY__NODE__NODE_LOAD_STMT:
    case PG_QUERY__NODE__NODE_DO_STMT:
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
    case PG_QUERY__NODE__NODE_CONSTRAINTS_SET_STMT:
    case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
      out_->kind = StatementKind::Utility;
      return;
    case PG_QUERY__NODE__NODE_GRANT_STMT:
    case PG_QUERY__NODE__NODE_GRANT_ROLE_STMT:
    case PG_QUERY__NODE__NODE_COMMENT_STMT:
    case PG_QUERY__NODE__NODE_INDEX_STMT:
    case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
    case PG_QUERY__NODE__NODE_RULE_STMT:
    case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
    case PG_QUERY__NODE__NODE_CREATEDB_STMT:
    case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
    case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
    case PG_QUERY__NODE__NODE_CREATE_PLANG_STMT:
    case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT:
    case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
    case PG_QUERY__NODE__NODE_DEFINE_STMT:
    case PG_QUERY__NODE__NODE_CREATE_CONVERSION_STMT:
    case PG_QUERY__NODE__NODE_CREATE_CAST_STMT:
    case PG_QUERY__NODE__NODE_CREATE_OP_CLASS_STMT:
    case PG_QUERY__NODE__NODE_CREATE_OP_FAMILY_STMT:
    case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
    case PG_QUERY__NODE__NODE_REASSIGN_OWNED_STMT:
    case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
    case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
    case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT:
    case PG_QUERY__NODE__NODE_CREATE_FDW_STMT:
    case PG_QUERY__NODE__NODE_CREATE_FOREIGN_SERVER_STMT:
    case PG_QUERY__NODE__NODE_CREATE_USER_MAPPING_STMT:
    case PG_QUERY__NODE__NODE_SEC_LABEL_STMT:
    case PG_QUERY__NODE__NODE_IMPORT_FOREIGN_SCHEMA_STMT:
    case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
    case PG_QUERY__NODE__NODE_CREATE_EVENT_TRIG_STMT:
    case PG_QUERY__NODE__NODE_REPLICA_IDENTITY_STMT:
    case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
    case PG_QUERY__NODE__NODE_CREATE_TRANSFORM_STMT:
    case PG_QUERY__NODE__NODE_CREATE_AM_STMT:
    case PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT:
    case PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT:
    case PG_QUERY__NODE__NODE_CREATE_STATS_STMT:
      out_->kind = StatementKind::OtherDdl;
      nested_statements(reinterpret_cast<const ProtobufCMessage*>(n));
      return;
    default:
      out_->kind = StatementKind::Other;
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

std::string resolve_relation_schema(const AnalysisContext& ctx, const std::vector<std::string>& path,
                                    const std::string& name) {
  if (ctx.relation_exists) {
    // pg_catalog is searched first unless search_path places it explicitly.
    const bool catalog_listed = std::find(path.begin(), path.end(), "pg_catalog") != path.end();
    if (!catalog_listed && ctx.relation_exists("pg_catalog", name)) return "pg_catalog";
    for (const auto& s : path) {
      if (ctx.relation_exists(s, name)) return s;
    }
  }
  if (is_system_name(name)) return "pg_catalog";
  // Unknown everywhere (or nothing to ask): the first schema, where the server would
  // create it and where a catalog that lags behind most likely misses it.
  return path.empty() ? std::string() : path.front();
}

TableRef resolve_table_name(const std::vector<std::string>& parts, const AnalysisContext& ctx,
                            const std::vector<std::string>& path) {
  TableRef t;
  if (parts.empty()) return t;
  t.name = parts.back();
  if (!t.name.empty() && t.name[0] == '#') {
    t.schema = "pg_temp";
    t.temporary = true;
  } else if (parts.size() >= 2) {
    t.schema = parts[parts.size() - 2];
    t.written_qualified = true;
  } else {
    t.schema = resolve_relation_schema(ctx, path, t.name);
  }
  return t;
}

void walk_statement(const PgQuery__Node* stmt, const WalkInput& input, StatementFacts* out) {
  Walker w(input, out);
  w.statement(stmt);
  add_utility_facts(stmt, input, [&w](const PgQuery__RangeVar* rv) { return w.relation(rv); }, out);
}

int max_param_number(const ProtobufCMessage* msg) {
  int best = 0;
  max_param_into(msg, &best);
  return best;
}

}  // namespace blueshift::rewrite
