#include "rewrite/bounds.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "rewrite/array_value.h"

namespace blueshift::rewrite {
namespace {

// The type PostgreSQL gives a quoted literal before context resolves it.
constexpr uint32_t kUnknownOid = 705;

// A decimal number as sign, integer digits (no leading zeros) and fraction digits (no
// trailing zeros), so that equal numbers have equal representations ("01" = "1.0").
struct Decimal {
  bool negative = false;
  std::string integer;
  std::string fraction;
};

std::optional<Decimal> parse_decimal(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  Decimal d;
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') {
    d.negative = s[i] == '-';
    ++i;
  }
  std::string digits;
  int point = -1;
  bool any = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      digits += c;
      any = true;
    } else if (c == '.' && point < 0) {
      point = static_cast<int>(digits.size());
    } else {
      break;
    }
  }
  if (!any) return std::nullopt;
  if (point < 0) point = static_cast<int>(digits.size());
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return std::nullopt;
    ++i;
    bool neg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (i >= s.size()) return std::nullopt;
    long exp = 0;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      exp = exp * 10 + (s[i] - '0');
      if (exp > 1000) return std::nullopt;  // not a partition value anyone writes
    }
    point += static_cast<int>(neg ? -exp : exp);
  }
  while (point < 0) {
    digits.insert(digits.begin(), '0');
    ++point;
  }
  while (static_cast<int>(digits.size()) < point) digits += '0';
  d.integer = digits.substr(0, static_cast<size_t>(point));
  d.fraction = digits.substr(static_cast<size_t>(point));
  const size_t nz = d.integer.find_first_not_of('0');
  d.integer = nz == std::string::npos ? "" : d.integer.substr(nz);
  const size_t last = d.fraction.find_last_not_of('0');
  d.fraction = last == std::string::npos ? "" : d.fraction.substr(0, last + 1);
  if (d.integer.empty() && d.fraction.empty()) d.negative = false;  // -0 = 0
  return d;
}

// [+-]digits, at most 18 digits (no overflow), nothing else: the value.
std::optional<int64_t> small_integer(std::string_view s) {
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size() || s.size() - i > 18) return std::nullopt;
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return negative ? -v : v;
}

int compare_magnitude(const Decimal& a, const Decimal& b) {
  if (a.integer.size() != b.integer.size()) return a.integer.size() < b.integer.size() ? -1 : 1;
  if (const int c = a.integer.compare(b.integer); c != 0) return c < 0 ? -1 : 1;
  const int c = a.fraction.compare(b.fraction);  // no trailing zeros: plain order works
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

int compare_decimal(const Decimal& a, const Decimal& b) {
  if (a.negative != b.negative) return a.negative ? -1 : 1;
  const int m = compare_magnitude(a, b);
  return a.negative ? -m : m;
}

enum class Cmp { Less, Equal, Greater, Unknown, Null };

Cmp compare_with(std::string_view partition_value, const Value& v) {
  if (v.kind == Value::Kind::Param || v.kind == Value::Kind::DateExpr) return Cmp::Unknown;
  if (v.kind == Value::Kind::Null) return Cmp::Null;
  const int c = compare_values(partition_value, v.text);
  return c < 0 ? Cmp::Less : c == 0 ? Cmp::Equal : Cmp::Greater;
}

bool is_null_partition(std::string_view v) { return v.empty() || v == "__HIVE_DEFAULT_PARTITION__"; }

bool has_lower(const Bound& b);
bool has_upper(const Bound& b);

// `col < ALL($1)`, `col = ALL($1)` before Bind: true for an empty array, so no limit yet.
bool all_of_unknown_array(const Bound& b) {
  return b.values.size() == 1 && b.values[0].kind == Value::Kind::Param && b.values[0].array && b.values[0].all;
}

bool has_lower(const Bound& b) {
  if (all_of_unknown_array(b)) return false;
  switch (b.op) {
    case Bound::Op::Eq:
    case Bound::Op::In:
    case Bound::Op::Between:
    case Bound::Op::False:
    case Bound::Op::Gt:
    case Bound::Op::Ge:
      return true;
    case Bound::Op::And:
      for (const auto& c : b.children) {
        if (has_lower(c)) return true;
      }
      return false;
    case Bound::Op::Or:
      for (const auto& c : b.children) {
        if (!has_lower(c)) return false;
      }
      return true;
    default:
      return false;
  }
}

bool has_upper(const Bound& b) {
  if (all_of_unknown_array(b)) return false;
  switch (b.op) {
    case Bound::Op::Eq:
    case Bound::Op::In:
    case Bound::Op::Between:
    case Bound::Op::False:
    case Bound::Op::Lt:
    case Bound::Op::Le:
      return true;
    case Bound::Op::And:
      for (const auto& c : b.children) {
        if (has_upper(c)) return true;
      }
      return false;
    case Bound::Op::Or:
      for (const auto& c : b.children) {
        if (!has_upper(c)) return false;
      }
      return true;
    default:
      return false;
  }
}

Bound simplify(Bound b) {
  if (b.op != Bound::Op::And && b.op != Bound::Op::Or) return b;
  const bool is_and = b.op == Bound::Op::And;
  std::vector<Bound> kids;
  for (auto& c : b.children) {
    Bound s = simplify(std::move(c));
    if (is_and ? s.op == Bound::Op::True : s.op == Bound::Op::False) continue;
    if (is_and ? s.op == Bound::Op::False : s.op == Bound::Op::True) return s;
    kids.push_back(std::move(s));
  }
  if (kids.empty()) {
    Bound out;
    out.op = is_and ? Bound::Op::True : Bound::Op::False;
    return out;
  }
  if (kids.size() == 1) return std::move(kids[0]);
  b.children = std::move(kids);
  return b;
}

// The array's non-NULL elements; *had_null (if given) says whether it held a NULL or was
// NULL. An untyped literal's ('{01,02}', declared unknown) elements are strings.
std::optional<std::vector<Value>> decode_array(const ParamValue& p, bool* had_null) {
  std::vector<Value> out;
  if (had_null) *had_null = !p.value;
  if (!p.value) return out;  // = ANY(NULL) is never true
  ArrayElements elements;
  uint32_t element_type = 0;
  if (p.binary) {
    auto a = parse_array_binary(*p.value);
    if (!a) return std::nullopt;
    element_type = a->element_type;
    elements = std::move(a->elements);
  } else {
    auto a = parse_array_text(*p.value);
    if (!a) return std::nullopt;
    element_type = p.type_oid == kUnknownOid ? kUnknownOid : array_element_type(p.type_oid);
    elements = std::move(*a);
  }
  out.reserve(elements.size());
  for (auto& e : elements) {
    if (!e) {  // a NULL element equals nothing
      if (had_null) *had_null = true;
      continue;
    }
    auto v = decode_param(ParamValue{std::move(e), p.binary, element_type});
    if (!v) return std::nullopt;
    out.push_back(std::move(*v));
  }
  return out;
}

// Values a bound compares with, each $n replaced by its Bind value where there is one.
Bound substitute(const Bound& b, const std::vector<ParamValue>& params) {
  Bound out = b;
  if (b.op == Bound::Op::And || b.op == Bound::Op::Or) {
    for (auto& c : out.children) c = substitute(c, params);
    return out;
  }
  if (b.op != Bound::Op::In && b.values.size() == 1 && b.values[0].array && b.values[0].kind == Value::Kind::Param &&
      b.values[0].param >= 1 && static_cast<size_t>(b.values[0].param) <= params.size()) {
    // col < ANY($1), col = ALL($1), ...: the bound the elements give, once readable.
    bool had_null = false;
    auto elements = decode_array(params[static_cast<size_t>(b.values[0].param) - 1], &had_null);
    if (!elements) return out;
    for (auto& e : *elements) e.prunes = e.prunes && b.values[0].prunes;
    return quantified(b.op, b.values[0].all, std::move(*elements), had_null);
  }
  bool null = false;
  bool expanded = false;
  std::vector<Value> kept;
  for (const auto& v : b.values) {
    if (v.kind != Value::Kind::Param || v.param < 1 || static_cast<size_t>(v.param) > params.size()) {
      kept.push_back(v);
      continue;
    }
    const ParamValue& p = params[static_cast<size_t>(v.param) - 1];
    if (v.array) {
      std::optional<std::vector<Value>> elements = decode_array_param(p);
      if (!elements) {
        kept.push_back(v);
        continue;
      }
      for (auto& e : *elements) {
        e.prunes = e.prunes && v.prunes;
        kept.push_back(std::move(e));
      }
      expanded = true;
      continue;
    }
    std::optional<Value> r = decode_param(p);
    if (!r) {
      kept.push_back(v);
    } else if (r->kind == Value::Kind::Null) {
      null = true;
    } else {
      r->prunes = r->prunes && v.prunes;  // $1::numeric stays unpruned whatever $1's type
      kept.push_back(std::move(*r));
    }
  }
  if (null && b.op != Bound::Op::In) {
    Bound f;
    f.op = Bound::Op::False;  // a comparison with NULL is never true
    return f;
  }
  if (b.op == Bound::Op::In && kept.empty()) {
    Bound f;
    f.op = Bound::Op::False;
    return f;
  }
  if (expanded && b.op == Bound::Op::In && kept.size() == 1) out.op = Bound::Op::Eq;  // = ANY('{2024}')
  out.values = std::move(kept);
  return out;
}

bool numeric_oid(uint32_t oid) {
  return oid == 20 || oid == 21 || oid == 23 || oid == 26 || oid == 700 || oid == 701 || oid == 1700;
}

bool text_oid(uint32_t oid) { return oid == 25 || oid == 1043 || oid == 1042 || oid == 19 || oid == 705 || oid == 18; }

int64_t be_signed(const std::string& s) {
  uint64_t v = 0;
  for (unsigned char c : s) v = (v << 8) | c;
  const unsigned bits = static_cast<unsigned>(s.size() * 8);
  if (bits < 64 && (v >> (bits - 1)) & 1u) v |= ~uint64_t{0} << bits;  // sign-extend
  return static_cast<int64_t>(v);
}

std::string civil_from_days(int64_t days_since_2000) {
  // Howard Hinnant's days_from_civil inverse, from 1970-01-01 (2000-01-01 is day 10957).
  int64_t z = days_since_2000 + 10957 + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y), static_cast<long long>(m),
                static_cast<long long>(d));
  return buf;
}

std::optional<std::string> numeric_binary(const std::string& s) {
  if (s.size() < 8) return std::nullopt;
  auto u16 = [&](size_t at) { return static_cast<uint16_t>((static_cast<unsigned char>(s[at]) << 8) | static_cast<unsigned char>(s[at + 1])); };
  const int ndigits = static_cast<int16_t>(u16(0));
  const int weight = static_cast<int16_t>(u16(2));
  const uint16_t sign = u16(4);
  const int dscale = u16(6);
  if (ndigits < 0 || s.size() != 8 + static_cast<size_t>(ndigits) * 2 || sign == 0xC000) return std::nullopt;
  if (weight > 1000 || weight < -1000) return std::nullopt;
  std::string integer, fraction;
  for (int i = 0; i <= weight; ++i) {
    const int d = i < ndigits ? u16(8 + static_cast<size_t>(i) * 2) : 0;
    char buf[8];
    std::snprintf(buf, sizeof buf, i == 0 ? "%d" : "%04d", d);
    integer += buf;
  }
  if (integer.empty()) integer = "0";
  for (int i = weight + 1; i < ndigits; ++i) {
    const int d = i >= 0 ? u16(8 + static_cast<size_t>(i) * 2) : 0;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04d", d);
    fraction += buf;
  }
  while (static_cast<int>(fraction.size()) < dscale) fraction += '0';
  if (static_cast<int>(fraction.size()) > dscale) fraction.resize(static_cast<size_t>(dscale));
  std::string out = (sign == 0x4000 ? "-" : "") + integer;
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

}  // namespace

int compare_values(std::string_view a, std::string_view b) {
  // Most partition values and the constants compared with them are plain integers
  // ("2024", "01"): compare those without building Decimals.
  if (const auto x = small_integer(a)) {
    if (const auto y = small_integer(b)) return *x < *y ? -1 : *x > *y ? 1 : 0;
  }
  const auto x = parse_decimal(a);
  if (x) {
    if (const auto y = parse_decimal(b)) return compare_decimal(*x, *y);
  }
  const int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

std::optional<Value> decode_param(const ParamValue& p) {
  Value v;
  if (!p.value) {
    v.kind = Value::Kind::Null;
    return v;
  }
  const std::string& s = *p.value;
  // A parameter typed numeric or floating point casts the column it is compared with.
  v.prunes = p.type_oid != 700 && p.type_oid != 701 && p.type_oid != 1700;
  if (!p.binary) {
    v.text = s;
    v.numeric = numeric_oid(p.type_oid) || (p.type_oid != kUnknownOid && parse_decimal(s).has_value());
    return v;
  }
  switch (p.type_oid) {
    case 21:
    case 23:
    case 20:
      if (s.size() != (p.type_oid == 21 ? 2u : p.type_oid == 23 ? 4u : 8u)) return std::nullopt;
      v.text = std::to_string(be_signed(s));
      v.numeric = true;
      return v;
    case 26:
      if (s.size() != 4) return std::nullopt;
      v.text = std::to_string(static_cast<uint32_t>(be_signed(s)));
      v.numeric = true;
      return v;
    case 700:
    case 701: {
      if (s.size() != (p.type_oid == 700 ? 4u : 8u)) return std::nullopt;
      const uint64_t bits = static_cast<uint64_t>(be_signed(s));
      double d = 0;
      if (p.type_oid == 700) {
        const auto b32 = static_cast<uint32_t>(bits);
        float f = 0;
        std::memcpy(&f, &b32, sizeof f);
        d = f;
      } else {
        std::memcpy(&d, &bits, sizeof d);
      }
      if (!std::isfinite(d)) return std::nullopt;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", d);
      v.text = buf;
      v.numeric = true;
      return v;
    }
    case 16:
      if (s.size() != 1) return std::nullopt;
      v.text = s[0] != 0 ? "true" : "false";
      return v;
    case 1082: {
      if (s.size() != 4) return std::nullopt;
      const int64_t days = be_signed(s);
      if (days == INT32_MIN || days == INT32_MAX) return std::nullopt;
      v.text = civil_from_days(days);
      return v;
    }
    case 1700: {
      auto text = numeric_binary(s);
      if (!text) return std::nullopt;
      v.text = *text;
      v.numeric = true;
      return v;
    }
    default:
      if (!text_oid(p.type_oid)) return std::nullopt;
      v.text = s;
      return v;
  }
}

std::optional<std::vector<Value>> decode_array_param(const ParamValue& p) { return decode_array(p, nullptr); }

Bound quantified(Bound::Op op, bool all, std::vector<Value> elements, bool had_null) {
  auto constant = [](Bound::Op o) {
    Bound b;
    b.op = o;
    return b;
  };
  auto atom = [](Bound::Op o, Value v) {
    Bound b;
    b.op = o;
    b.values.push_back(std::move(v));
    return b;
  };
  // Each element compared on its own, joined as the quantifier joins them.
  auto each = [&](const std::vector<const Value*>& picked) {
    if (picked.size() == 1) return atom(op, *picked[0]);
    Bound b = constant(all ? Bound::Op::And : Bound::Op::Or);
    for (const Value* v : picked) b.children.push_back(atom(op, *v));
    return b;
  };
  if (all && had_null) return constant(Bound::Op::False);  // x op NULL is never true
  if (elements.empty()) return constant(all ? Bound::Op::True : Bound::Op::False);
  bool params = false;
  size_t numbers = 0;
  for (const auto& e : elements) {
    params = params || e.kind != Value::Kind::Constant;
    if (e.kind == Value::Kind::Constant && parse_decimal(e.text)) ++numbers;
  }
  std::vector<const Value*> every;
  for (const auto& e : elements) every.push_back(&e);
  if (op == Bound::Op::Eq && !all) {
    Bound b;
    b.op = elements.size() == 1 ? Bound::Op::Eq : Bound::Op::In;
    b.values = std::move(elements);
    return b;
  }
  if (params) return each(every);  // $n elements: compared once their values are known
  if (op == Bound::Op::Eq) {
    // Equal to every element: to the one value they all equal, if they do.
    for (const auto& e : elements) {
      if (compare_values(e.text, elements[0].text) != 0) return constant(Bound::Op::False);
    }
    return atom(op, elements[0]);
  }
  // Mixed numbers and other text: compare_values is no order over them, keep every one.
  if (numbers != 0 && numbers != elements.size()) return each(every);
  // < ANY and > ALL are decided by the greatest element, > ANY and < ALL by the least.
  const bool greatest = (op == Bound::Op::Lt || op == Bound::Op::Le) != all;
  auto pick = [&](auto cmp) {
    const Value* best = &elements[0];
    for (const auto& e : elements) {
      const int c = cmp(e.text, best->text);
      if (greatest ? c > 0 : c < 0) best = &e;
    }
    return best;
  };
  const Value* in_order = pick([](const std::string& a, const std::string& b) { return compare_values(a, b); });
  // A partition value that is not a number compares with numbers as bytes: "5x" < ANY
  // ('{9,10}') holds by "9", which is not the greatest number.
  const Value* in_bytes = pick([](const std::string& a, const std::string& b) { return a.compare(b); });
  if (in_order->text == in_bytes->text) return atom(op, *in_order);
  return each({in_order, in_bytes});
}

Bound substitute_params(const Bound& bound, const std::vector<ParamValue>& params) {
  return simplify(substitute(bound, params));
}

Bound substitute_params(const Bound& bound, const std::vector<std::optional<std::string>>& params) {
  std::vector<ParamValue> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(ParamValue{p, false, 0});
  return substitute_params(bound, values);
}

Scan substitute_params(const Scan& scan, const std::vector<ParamValue>& params) {
  Scan out = scan;
  for (auto& [column, bound] : out.bounds) bound = substitute_params(bound, params);
  for (auto& disjunction : out.disjunctions) {
    for (auto& branch : disjunction) {
      for (auto& [column, bound] : branch) bound = substitute_params(bound, params);
    }
  }
  return out;
}

std::vector<ParamValue> bind_values(const std::vector<std::optional<std::string>>& params,
                                    const std::vector<int16_t>& param_formats,
                                    const std::vector<uint32_t>& param_types) {
  std::vector<ParamValue> values(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    values[i].value = params[i];
    const int16_t format = param_formats.empty()      ? 0
                           : param_formats.size() == 1 ? param_formats[0]
                           : i < param_formats.size()  ? param_formats[i]
                                                       : 0;
    values[i].binary = format == 1;
    values[i].type_oid = i < param_types.size() ? param_types[i] : 0;
  }
  return values;
}

QueryFacts substitute_params(const QueryFacts& facts, const std::vector<ParamValue>& params) {
  QueryFacts out = facts;
  for (auto& st : out.statements) {
    for (auto& scan : st.scans) scan = substitute_params(scan, params);
  }
  return out;
}

bool has_unpruned(const Bound& b) {
  for (const auto& v : b.values) {
    if (!v.prunes) return true;
  }
  return std::any_of(b.children.begin(), b.children.end(), [](const Bound& c) { return has_unpruned(c); });
}

bool has_unpruned(const Scan& scan) {
  for (const auto& [column, bound] : scan.bounds) {
    if (has_unpruned(bound)) return true;
  }
  for (const auto& d : scan.disjunctions) {
    for (const auto& branch : d) {
      for (const auto& [column, bound] : branch) {
        if (has_unpruned(bound)) return true;
      }
    }
  }
  return false;
}

Bound pruning_bound(const Bound& b) {
  if (b.op == Bound::Op::And || b.op == Bound::Op::Or) {
    Bound out = b;
    for (auto& c : out.children) c = pruning_bound(c);
    return simplify(std::move(out));
  }
  if (!has_unpruned(b)) return b;
  return Bound{};  // True
}

Scan pruning_scan(const Scan& scan) {
  Scan out = scan;
  for (auto& [column, bound] : out.bounds) bound = pruning_bound(bound);
  for (auto& disjunction : out.disjunctions) {
    for (auto& branch : disjunction) {
      for (auto& [column, bound] : branch) bound = pruning_bound(bound);
    }
  }
  return out;
}

bool has_params(const Bound& b) {
  for (const auto& v : b.values) {
    if (v.kind == Value::Kind::Param) return true;
  }
  for (const auto& c : b.children) {
    if (has_params(c)) return true;
  }
  return false;
}

bool has_params(const Disjunction& d) {
  for (const auto& branch : d) {
    for (const auto& [column, bound] : branch) {
      if (has_params(bound)) return true;
    }
  }
  return false;
}

bool is_finite(const Bound& b) { return has_lower(b) && has_upper(b); }

bool matches(const Bound& b, std::string_view value) {
  switch (b.op) {
    case Bound::Op::True: return true;
    case Bound::Op::False: return false;
    case Bound::Op::Eq:
    case Bound::Op::In:
      for (const auto& v : b.values) {
        const Cmp c = compare_with(value, v);
        if (c == Cmp::Equal || c == Cmp::Unknown) return true;
        if (c == Cmp::Null && is_null_partition(value)) return true;
      }
      return false;
    case Bound::Op::Lt:
    case Bound::Op::Le:
    case Bound::Op::Gt:
    case Bound::Op::Ge: {
      if (b.values.empty()) return true;
      const Cmp c = compare_with(value, b.values[0]);
      if (c == Cmp::Unknown) return true;
      if (c == Cmp::Null) return false;
      switch (b.op) {
        case Bound::Op::Lt: return c == Cmp::Less;
        case Bound::Op::Le: return c != Cmp::Greater;
        case Bound::Op::Gt: return c == Cmp::Greater;
        default: return c != Cmp::Less;
      }
    }
    case Bound::Op::Between: {
      if (b.values.size() < 2) return true;
      const Cmp lo = compare_with(value, b.values[0]);
      const Cmp hi = compare_with(value, b.values[1]);
      if (lo == Cmp::Null || hi == Cmp::Null) return false;
      return (lo == Cmp::Unknown || lo != Cmp::Less) && (hi == Cmp::Unknown || hi != Cmp::Greater);
    }
    case Bound::Op::And:
      for (const auto& c : b.children) {
        if (!matches(c, value)) return false;
      }
      return true;
    case Bound::Op::Or:
      for (const auto& c : b.children) {
        if (matches(c, value)) return true;
      }
      return false;
  }
  return true;
}

std::string describe(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Param: return "$" + std::to_string(v.param);
    case Value::Kind::Null: return "NULL";
    case Value::Kind::DateExpr: return "(" + v.text + ")";
    case Value::Kind::Constant: break;
  }
  if (v.numeric) return v.text;
  std::string out = "'";
  for (char c : v.text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string describe(const Bound& b, std::string_view column) {
  const std::string col(column);
  auto v = [&](size_t i) {
    if (i >= b.values.size()) return std::string("?");
    const Value& x = b.values[i];
    if (x.array && b.op != Bound::Op::In) return (x.all ? "ALL(" : "ANY(") + describe(x) + ")";  // year < ALL($1)
    return describe(x);
  };
  switch (b.op) {
    case Bound::Op::True: return "TRUE";
    case Bound::Op::False: return "FALSE";
    case Bound::Op::Eq:
      if (!b.values.empty() && b.values[0].kind == Value::Kind::Null) return col + " IS NULL";
      return col + " = " + v(0);
    case Bound::Op::Lt: return col + " < " + v(0);
    case Bound::Op::Le: return col + " <= " + v(0);
    case Bound::Op::Gt: return col + " > " + v(0);
    case Bound::Op::Ge: return col + " >= " + v(0);
    case Bound::Op::Between: return col + " BETWEEN " + v(0) + " AND " + v(1);
    case Bound::Op::In: {
      if (b.values.size() == 1 && b.values[0].array) return col + " = ANY(" + v(0) + ")";
      std::string out = col + " IN (";
      for (size_t i = 0; i < b.values.size(); ++i) out += (i ? ", " : "") + v(i);
      return out + ")";
    }
    case Bound::Op::And:
    case Bound::Op::Or: {
      const char* sep = b.op == Bound::Op::And ? " AND " : " OR ";
      std::string out;
      for (size_t i = 0; i < b.children.size(); ++i) {
        const auto& c = b.children[i];
        std::string part = describe(c, column);
        if (c.op == Bound::Op::And || c.op == Bound::Op::Or) part = "(" + part + ")";
        out += (i ? sep : "") + part;
      }
      return out;
    }
  }
  return col;
}

std::string describe(const Disjunction& d, const std::vector<std::string>& columns) {
  std::string out;
  std::vector<std::string> parts;
  for (size_t i = 0; i < d.size(); ++i) {
    parts.clear();
    bool conjunction = false;
    auto add = [&](const std::string& column, const Bound& b) {
      std::string part = describe(b, column);
      if (b.op == Bound::Op::Or) part = "(" + part + ")";
      conjunction = conjunction || b.op == Bound::Op::And;
      parts.push_back(std::move(part));
    };
    if (columns.empty()) {
      for (const auto& [column, b] : d[i]) add(column, b);
    } else {
      for (const auto& column : columns) {
        if (auto it = d[i].find(column); it != d[i].end()) add(column, it->second);
      }
    }
    std::string branch;
    for (size_t k = 0; k < parts.size(); ++k) branch += (k ? " AND " : "") + parts[k];
    if (parts.empty()) branch = "TRUE";
    if (parts.size() > 1 || conjunction) branch = "(" + branch + ")";
    out += (i ? " OR " : "") + branch;
  }
  return out;
}

}  // namespace blueshift::rewrite
