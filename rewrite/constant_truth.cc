// Three-valued constant folding: each expression is the set of truth values it may take
// (TRUE, FALSE, NULL), a constant one of them and anything unknown all three. AND, OR and
// NOT combine the sets value by value, which is exact for Kleene logic: `NULL AND x` can
// be NULL or FALSE but never TRUE.
#include "rewrite/constant_truth.h"

#include <optional>
#include <string>
#include <string_view>

#include "rewrite/bounds.h"
#include "rewrite/constants.h"
#include "rewrite/identifiers.h"
#include "rewrite/pg_parser.h"

namespace blueshift::rewrite {
namespace {

using Node = PgQuery__Node;

enum Truth : unsigned { kTrue = 1, kFalse = 2, kNull = 4, kAny = 7 };

Truth of(bool b) { return b ? kTrue : kFalse; }

unsigned and3(unsigned a, unsigned b) {
  if (a == kFalse || b == kFalse) return kFalse;
  if (a == kNull || b == kNull) return kNull;
  return kTrue;
}

unsigned or3(unsigned a, unsigned b) {
  if (a == kTrue || b == kTrue) return kTrue;
  if (a == kNull || b == kNull) return kNull;
  return kFalse;
}

// Every value `op` gives for some pair of the two sets' members.
template <typename Op>
unsigned combine(unsigned a, unsigned b, Op op) {
  unsigned out = 0;
  for (unsigned x : {kTrue, kFalse, kNull}) {
    for (unsigned y : {kTrue, kFalse, kNull}) {
      if ((a & x) && (b & y)) out |= op(x, y);
    }
  }
  return out;
}

unsigned negate(unsigned a) {
  unsigned out = a & kNull;
  if (a & kTrue) out |= kFalse;
  if (a & kFalse) out |= kTrue;
  return out;
}

// 't', 'true', 'f', 'false' cast to boolean, as PostgreSQL's boolin reads them (the
// common spellings; others are left unknown).
std::optional<bool> bool_text(std::string_view s) {
  const std::string l = ascii_lower(s);
  if (l == "t" || l == "true") return true;
  if (l == "f" || l == "false") return false;
  return std::nullopt;
}

// A literal as written: an integer, a decimal without exponent, a string, or NULL. Casts
// are left out on purpose: '2024-01-01'::timestamp equals '2024-01-01 00:00' though the
// texts differ.
std::optional<Value> literal(const Node* n) {
  if (!IS(n, A_CONST)) return std::nullopt;
  const PgQuery__AConst* c = n->a_const;
  if (!c->isnull && c->val_case != PG_QUERY__A__CONST__VAL_IVAL && c->val_case != PG_QUERY__A__CONST__VAL_SVAL &&
      c->val_case != PG_QUERY__A__CONST__VAL_FVAL) {
    return std::nullopt;
  }
  auto v = const_value(n);
  if (v && v->numeric && v->text.find_first_not_of("0123456789.") != std::string::npos) return std::nullopt;
  return v;
}

// A comparison of two literals: numbers compare as numbers; strings only for = and <>
// (equality does not depend on the collation); anything else is unknown.
unsigned comparison(const PgQuery__AExpr* e) {
  const std::string_view op = pg::last_name(e->name, e->n_name);
  const auto l = literal(e->lexpr);
  const auto r = literal(e->rexpr);
  if (!l || !r) return kAny;
  if (l->kind == Value::Kind::Null || r->kind == Value::Kind::Null) return kNull;
  if (l->numeric != r->numeric) return kAny;
  if (!l->numeric) {
    if (op == "=") return of(l->text == r->text);
    if (op == "<>" || op == "!=") return of(l->text != r->text);
    return kAny;
  }
  const int c = compare_values(l->text, r->text);
  if (op == "=") return of(c == 0);
  if (op == "<>" || op == "!=") return of(c != 0);
  if (op == "<") return of(c < 0);
  if (op == "<=") return of(c <= 0);
  if (op == ">") return of(c > 0);
  if (op == ">=") return of(c >= 0);
  return kAny;
}

unsigned truth(const Node* n) {
  if (n == nullptr) return kAny;
  if (IS(n, A_CONST)) {
    if (n->a_const->isnull) return kNull;
    if (n->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL) {
      return of(n->a_const->boolval != nullptr && n->a_const->boolval->boolval);
    }
    return kAny;
  }
  if (IS(n, TYPE_CAST)) {
    const PgQuery__TypeName* tn = n->type_cast->type_name;
    const std::string type = tn != nullptr ? ascii_lower(pg::last_name(tn->names, tn->n_names)) : "";
    const Node* arg = n->type_cast->arg;
    if (IS(arg, A_CONST) && arg->a_const->isnull) return kNull;
    if (type != "bool" && type != "boolean") return kAny;
    if (IS(arg, A_CONST) && arg->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL && arg->a_const->sval != nullptr) {
      if (const auto b = bool_text(pg::sv(arg->a_const->sval->sval))) return of(*b);
    }
    return IS(arg, A_CONST) && arg->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL ? truth(arg) : kAny;
  }
  if (IS(n, BOOL_EXPR)) {
    const PgQuery__BoolExpr* b = n->bool_expr;
    if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR) return b->n_args == 1 ? negate(truth(b->args[0])) : kAny;
    const bool is_and = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
    unsigned acc = is_and ? kTrue : kFalse;
    for (size_t i = 0; i < b->n_args; ++i) acc = combine(acc, truth(b->args[i]), is_and ? and3 : or3);
    return acc;
  }
  if (IS(n, A_EXPR) && n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && n->a_expr->lexpr != nullptr &&
      n->a_expr->rexpr != nullptr) {
    return comparison(n->a_expr);
  }
  return kAny;
}

}  // namespace

bool never_true(const PgQuery__Node* predicate) {
  return predicate != nullptr && (truth(predicate) & kTrue) == 0;
}

bool is_zero_limit(const PgQuery__Node* limit_count) {
  if (!IS(limit_count, A_CONST) || limit_count->a_const->isnull) return false;
  return limit_count->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL &&
         (limit_count->a_const->ival == nullptr || limit_count->a_const->ival->ival == 0);
}

}  // namespace blueshift::rewrite
