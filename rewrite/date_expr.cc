#include "rewrite/date_expr.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include "rewrite/constants.h"
#include "rewrite/identifiers.h"
#include "rewrite/pg_parser.h"

namespace blueshift::rewrite {
namespace {

using Node = PgQuery__Node;
using pg::last_name;
using pg::str_node;

// Units as the recipe spells them; plural and abbreviated forms as PostgreSQL and
// Redshift accept them in intervals, DATEADD and DATE_TRUNC.
std::string unit_name(std::string_view word) {
  const std::string w = ascii_lower(word);
  static constexpr std::pair<std::string_view, std::string_view> kUnits[] = {
      {"year", "year"},     {"years", "year"},    {"y", "year"},        {"yr", "year"},       {"yrs", "year"},
      {"yy", "year"},       {"yyyy", "year"},     {"quarter", "quarter"}, {"quarters", "quarter"},
      {"qtr", "quarter"},   {"q", "quarter"},     {"month", "month"},   {"months", "month"},  {"mon", "month"},
      {"mons", "month"},    {"mm", "month"},      {"week", "week"},     {"weeks", "week"},    {"w", "week"},
      {"wk", "week"},       {"day", "day"},       {"days", "day"},      {"d", "day"},         {"dd", "day"},
      {"hour", "hour"},     {"hours", "hour"},    {"h", "hour"},        {"hr", "hour"},       {"hrs", "hour"},
      {"minute", "minute"}, {"minutes", "minute"}, {"min", "minute"},   {"mins", "minute"},   {"m", "minute"},
      {"second", "second"}, {"seconds", "second"}, {"sec", "second"},   {"secs", "second"},   {"s", "second"},
  };
  for (const auto& [from, to] : kUnits) {
    if (w == from) return std::string(to);
  }
  return "";
}

std::optional<long> integer(std::string_view s) {
  long v = 0;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v < -100000 || v > 100000) return std::nullopt;
  return v;
}

std::string add_op(long n, const std::string& unit) { return (n < 0 ? "" : "+") + std::to_string(n) + ":" + unit; }

// '1 day', '-30 days', '1 year 2 months', '2 weeks', negated when `minus`.
std::optional<std::string> interval_ops(std::string_view text, bool minus) {
  std::string out;
  size_t i = 0;
  auto skip = [&] { while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i; };
  skip();
  if (i == text.size()) return std::nullopt;
  while (i < text.size()) {
    const size_t n0 = i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    auto n = integer(text.substr(n0, i - n0));
    skip();
    const size_t u0 = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const std::string unit = unit_name(text.substr(u0, i - u0));
    if (!n || unit.empty()) return std::nullopt;
    skip();
    if (!out.empty()) out += ' ';
    out += add_op(minus ? -*n : *n, unit);
  }
  return out;
}

// INTERVAL '...' (without a typmod: INTERVAL '1' DAY is not read).
std::optional<std::string> interval_of(const Node* n, bool minus) {
  if (!IS(n, TYPE_CAST) || n->type_cast->type_name == nullptr) return std::nullopt;
  const PgQuery__TypeName* tn = n->type_cast->type_name;
  if (ascii_lower(last_name(tn->names, tn->n_names)) != "interval" || tn->n_typmods > 0) return std::nullopt;
  auto v = const_value(n->type_cast->arg);
  if (!v || v->kind != Value::Kind::Constant || v->numeric) return std::nullopt;
  return interval_ops(v->text, minus);
}

// A string constant's text, or the word of a one-field column reference (DATEADD(month, ...)).
std::optional<std::string> word_of(const Node* n) {
  if (IS(n, COLUMN_REF) && n->column_ref->n_fields == 1 && IS(n->column_ref->fields[0], STRING)) {
    return std::string(str_node(n->column_ref->fields[0]));
  }
  auto v = const_value(n);
  if (!v || v->kind != Value::Kind::Constant || v->numeric) return std::nullopt;
  return v->text;
}

// TO_DATE / TO_TIMESTAMP format fields this reader knows; anything else fails the read.
std::optional<std::string> apply_format(std::string_view text, std::string_view format) {
  int year = -1, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  size_t t = 0, f = 0;
  auto digits = [&](size_t max, int* out) {
    const size_t t0 = t;
    while (t < text.size() && t - t0 < max && std::isdigit(static_cast<unsigned char>(text[t]))) ++t;
    if (t == t0) return false;
    *out = std::stoi(std::string(text.substr(t0, t - t0)));
    return true;
  };
  const std::string fmt = ascii_lower(format);
  while (f < fmt.size()) {
    const std::string_view rest = std::string_view(fmt).substr(f);
    bool ok = true;
    if (rest.starts_with("yyyy")) ok = digits(4, &year), f += 4;
    else if (rest.starts_with("hh24")) ok = digits(2, &hour), f += 4;
    else if (rest.starts_with("mm")) ok = digits(2, &month), f += 2;
    else if (rest.starts_with("dd")) ok = digits(2, &day), f += 2;
    else if (rest.starts_with("hh")) ok = digits(2, &hour), f += 2;
    else if (rest.starts_with("mi")) ok = digits(2, &minute), f += 2;
    else if (rest.starts_with("ss")) ok = digits(2, &second), f += 2;
    else if (std::isalpha(static_cast<unsigned char>(fmt[f]))) return std::nullopt;
    else if (t < text.size() && !std::isalnum(static_cast<unsigned char>(text[t]))) ++t, ++f;
    else return std::nullopt;
    if (!ok) return std::nullopt;
  }
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour, minute, second);
  return std::string(buf);
}

std::optional<std::string> recipe(const Node* n, int depth);

std::optional<std::string> with(std::optional<std::string> base, const std::string& op) {
  if (!base) return std::nullopt;
  return *base + " " + op;
}

std::optional<std::string> function_recipe(const PgQuery__FuncCall* fc, int depth) {
  const std::string name = ascii_lower(last_name(fc->funcname, fc->n_funcname));
  if (fc->n_args == 0) {
    static constexpr std::string_view kNow[] = {"now", "getdate", "sysdate", "transaction_timestamp",
                                                "statement_timestamp", "clock_timestamp"};
    for (auto f : kNow) {
      if (name == f) return "now";
    }
    return std::nullopt;
  }
  if (name == "date_trunc" && fc->n_args == 2) {
    auto unit = word_of(fc->args[0]);
    const std::string u = unit ? unit_name(*unit) : "";
    if (u.empty()) return std::nullopt;
    return with(recipe(fc->args[1], depth + 1), "trunc:" + u);
  }
  if (name == "dateadd" && fc->n_args == 3) {
    auto unit = word_of(fc->args[0]);
    const std::string u = unit ? unit_name(*unit) : "";
    auto n = const_value(fc->args[1]);
    auto count = n && n->kind == Value::Kind::Constant && n->numeric ? integer(n->text) : std::nullopt;
    if (u.empty() || !count) return std::nullopt;
    return with(recipe(fc->args[2], depth + 1), add_op(*count, u));
  }
  if ((name == "to_date" || name == "to_timestamp") && fc->n_args == 2) {
    auto text = const_value(fc->args[0]);
    auto format = const_value(fc->args[1]);
    if (!text || !format || text->kind != Value::Kind::Constant || format->kind != Value::Kind::Constant) {
      return std::nullopt;
    }
    return apply_format(text->text, format->text);
  }
  if ((name == "trunc" || name == "date") && fc->n_args == 1) return with(recipe(fc->args[0], depth + 1), "trunc:day");
  return std::nullopt;
}

std::optional<std::string> recipe(const Node* n, int depth) {
  if (n == nullptr || depth > 16) return std::nullopt;
  if (IS(n, SQLVALUE_FUNCTION)) {
    switch (n->sqlvalue_function->op) {
      case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE: return "today";
      case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
      case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N:
      case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
      case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N: return "now";
      default: return std::nullopt;
    }
  }
  if (IS(n, FUNC_CALL)) return function_recipe(n->func_call, depth);
  if (IS(n, TYPE_CAST) && n->type_cast->type_name != nullptr) {
    const PgQuery__TypeName* tn = n->type_cast->type_name;
    const std::string type = ascii_lower(last_name(tn->names, tn->n_names));
    if (type == "date") return with(recipe(n->type_cast->arg, depth + 1), "trunc:day");
    if (type == "timestamp" || type == "timestamptz") return recipe(n->type_cast->arg, depth + 1);
  }
  if (IS(n, A_EXPR) && n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && n->a_expr->lexpr != nullptr) {
    const std::string_view op = last_name(n->a_expr->name, n->a_expr->n_name);
    if (op != "+" && op != "-") return std::nullopt;
    const bool minus = op == "-";
    const Node* l = n->a_expr->lexpr;
    const Node* r = n->a_expr->rexpr;
    if (!minus && interval_of(l, false)) std::swap(l, r);  // INTERVAL '1 day' + now()
    auto ops = interval_of(r, minus);
    if (!ops) {  // date +/- integer days
      auto days = const_value(r);
      auto count = days && days->kind == Value::Kind::Constant && days->numeric ? integer(days->text) : std::nullopt;
      if (!count) return std::nullopt;
      ops = add_op(minus ? -*count : *count, "day");
    }
    return with(recipe(l, depth + 1), *ops);
  }
  // A constant date or timestamp as a base (DATE '2024-01-01' + INTERVAL '1 month').
  auto v = const_value(n);
  if (v && v->kind == Value::Kind::Constant && !v->numeric && apply_format(v->text, "yyyy-mm-dd")) {
    const bool has_time = v->text.size() > 10;
    return has_time ? apply_format(v->text, "yyyy-mm-dd hh24:mi:ss").value_or(v->text.substr(0, 10))
                    : v->text.substr(0, 10);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Value> date_expression(const PgQuery__Node* n) {
  auto r = recipe(n, 0);
  if (!r) return std::nullopt;
  Value v;
  v.kind = Value::Kind::DateExpr;
  v.text = std::move(*r);
  v.prunes = false;
  return v;
}

const PgQuery__Node* extracted_year_of(const PgQuery__Node* n) {
  if (!IS(n, FUNC_CALL) || n->func_call->n_args != 2) return nullptr;
  const std::string name = ascii_lower(last_name(n->func_call->funcname, n->func_call->n_funcname));
  if (name != "extract" && name != "date_part") return nullptr;
  auto field = word_of(n->func_call->args[0]);
  if (!field || unit_name(*field) != "year") return nullptr;
  return n->func_call->args[1];
}

std::optional<Bound> year_bound(Bound::Op op, const Value& year) {
  if (year.kind != Value::Kind::Constant || !year.numeric) return std::nullopt;
  auto y = integer(year.text);
  if (!y || *y < 1 || *y > 9998) return std::nullopt;
  auto date = [](long y) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04ld-01-01", y);
    Value v;
    v.text = buf;
    v.prunes = false;
    return v;
  };
  switch (op) {
    case Bound::Op::Eq:
      return Bound{Bound::Op::And, {}, {Bound{Bound::Op::Ge, {date(*y)}, {}}, Bound{Bound::Op::Lt, {date(*y + 1)}, {}}}};
    case Bound::Op::Lt: return Bound{Bound::Op::Lt, {date(*y)}, {}};
    case Bound::Op::Le: return Bound{Bound::Op::Lt, {date(*y + 1)}, {}};
    case Bound::Op::Gt: return Bound{Bound::Op::Ge, {date(*y + 1)}, {}};
    case Bound::Op::Ge: return Bound{Bound::Op::Ge, {date(*y)}, {}};
    default: return std::nullopt;
  }
}

}  // namespace blueshift::rewrite
