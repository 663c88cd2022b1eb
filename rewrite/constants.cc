#include "rewrite/constants.h"

#include <algorithm>
#include <string_view>

#include "rewrite/array_value.h"
#include "rewrite/identifiers.h"
#include "rewrite/pg_parser.h"

namespace blueshift::rewrite {
namespace {

using Node = PgQuery__Node;

using pg::last_name;
using pg::str_node;
using pg::sv;

bool is_numeric_type(std::string_view t) {
  static constexpr std::string_view kTypes[] = {"int2", "int4", "int8", "smallint", "integer", "int", "bigint",
                                                "numeric", "decimal", "float4", "float8", "real", "float", "double"};
  return std::find(std::begin(kTypes), std::end(kTypes), t) != std::end(kTypes);
}

// A partition column is an integer, a string or a date: a comparison with a decimal or
// floating-point value casts the column, and the warehouse no longer prunes on it.
bool is_unpruned_type(std::string_view t) {
  static constexpr std::string_view kTypes[] = {"numeric", "decimal", "float4", "float8", "real", "float", "double"};
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

// A constant as a cast to `type` leaves it, in the form partition values compare with;
// nullopt when that form is not known.
std::optional<Value> cast_constant(Value v, std::string_view type) {
  if (is_unpruned_type(type)) v.prunes = false;
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

}  // namespace

std::string convert_type(const PgQuery__FuncCall* fc) {
  if (fc->n_args != 2 || ascii_lower(last_name(fc->funcname, fc->n_funcname)) != "convert") return "";
  const Node* a = fc->args[0];
  if (!IS(a, COLUMN_REF) || a->column_ref->n_fields != 1 || !IS(a->column_ref->fields[0], STRING)) return "";
  return ascii_lower(str_node(a->column_ref->fields[0]));
}

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
        // 2024.0 or 2e3 is numeric; an integer too long for int4 (also an FVAL) is not.
        v.prunes = v.text.find_first_of(".eE") == std::string::npos;
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
    if (v && v->kind == Value::Kind::Param && is_unpruned_type(type)) v->prunes = false;  // $1::numeric
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
    v.prunes = !is_unpruned_type(element_type);  // $1::numeric[]
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

std::optional<std::vector<Value>> const_list(Node* const* items, size_t n) {
  std::vector<Value> values;
  for (size_t i = 0; i < n; ++i) {
    auto v = const_value(items[i]);
    if (!v) return std::nullopt;
    if (v->kind == Value::Kind::Null) continue;
    values.push_back(std::move(*v));
  }
  return values;
}

}  // namespace blueshift::rewrite
