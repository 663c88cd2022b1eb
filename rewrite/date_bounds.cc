#include "rewrite/date_bounds.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "rewrite/identifiers.h"

namespace blueshift::rewrite {
namespace {

bool number_at(std::string_view s, size_t at, size_t n, int* out) {
  if (s.size() < at + n) return false;
  const auto r = std::from_chars(s.data() + at, s.data() + at + n, *out);
  return r.ec == std::errc() && r.ptr == s.data() + at + n;
}

// A zone offset after a date, as PostgreSQL JDBC's setDate sends one (" +00", " -05:30").
bool zone_offset(std::string_view s) {
  if (s.size() < 3 || s.size() > 7 || s[0] != ' ' || (s[1] != '+' && s[1] != '-')) return false;
  return std::all_of(s.begin() + 2, s.end(), [](char c) { return (c >= '0' && c <= '9') || c == ':'; });
}

// 'YYYY-MM-DD', optionally followed by [ T]HH:MM[:SS[.ffffff]] and a zone, or by a zone
// alone. A zone (or anything else after the time) makes the instant approximate:
// `computed`, so widened.
std::optional<DateValue> parse_iso(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !number_at(s, 0, 4, &y) || !number_at(s, 5, 2, &mo) ||
      !number_at(s, 8, 2, &d)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  DateValue v;
  v.at = absl::CivilSecond(y, mo, d);
  if (absl::CivilDay(v.at).day() != d) return std::nullopt;  // 2024-02-31
  if (s.size() == 10) return v;
  if (zone_offset(s.substr(10))) {
    v.computed = true;
    return v;
  }
  if ((s[10] != ' ' && s[10] != 'T') || s.size() < 16 || s[13] != ':' || !number_at(s, 11, 2, &h) ||
      !number_at(s, 14, 2, &mi) || h > 24 || mi > 59) {
    return std::nullopt;
  }
  size_t end = 16;
  if (s.size() >= 19 && s[16] == ':' && number_at(s, 17, 2, &se)) end = 19;
  while (end < s.size() && (s[end] == '.' || (s[end] >= '0' && s[end] <= '9'))) ++end;
  v.at = absl::CivilSecond(y, mo, d, h, mi, se);
  if (end < s.size()) v.computed = true;  // a zone, or text we do not read: widen
  return v;
}

absl::CivilSecond add_months(absl::CivilSecond at, long months) {
  // PostgreSQL keeps the day, clamped to the target month's last day (Jan 31 + 1 month is
  // Feb 29), where plain civil normalisation would roll over into March.
  const absl::CivilMonth m = absl::CivilMonth(at) + months;
  const int last = static_cast<int>(absl::CivilDay(m + 1) - 1 - absl::CivilDay(m)) + 1;
  return absl::CivilSecond(m.year(), m.month(), std::min(at.day(), last), at.hour(), at.minute(), at.second());
}

std::optional<absl::CivilSecond> add(absl::CivilSecond at, long n, std::string_view unit) {
  if (unit == "year") return add_months(at, n * 12);
  if (unit == "quarter") return add_months(at, n * 3);
  if (unit == "month") return add_months(at, n);
  if (unit == "week") return at + n * 7 * 86400;
  if (unit == "day") return at + n * 86400;
  if (unit == "hour") return at + n * 3600;
  if (unit == "minute") return at + n * 60;
  if (unit == "second") return at + n;
  return std::nullopt;
}

std::optional<absl::CivilSecond> trunc(absl::CivilSecond at, std::string_view unit) {
  if (unit == "year") return absl::CivilSecond(absl::CivilYear(at));
  if (unit == "quarter") return absl::CivilSecond(at.year(), (at.month() - 1) / 3 * 3 + 1, 1);
  if (unit == "month") return absl::CivilSecond(absl::CivilMonth(at));
  if (unit == "week") return absl::CivilSecond(absl::PrevWeekday(absl::CivilDay(at) + 1, absl::Weekday::monday));
  if (unit == "day") return absl::CivilSecond(absl::CivilDay(at));
  if (unit == "hour") return absl::CivilSecond(absl::CivilHour(at));
  if (unit == "minute") return absl::CivilSecond(absl::CivilMinute(at));
  if (unit == "second") return at;
  return std::nullopt;
}

// A recipe of rewrite/date_expr.h at the clock.
std::optional<DateValue> evaluate(std::string_view recipe, const DateClock& clock) {
  std::vector<std::string_view> words;
  for (size_t at = 0; at < recipe.size();) {
    const size_t end = std::min(recipe.find(' ', at), recipe.size());
    if (end > at) words.push_back(recipe.substr(at, end - at));
    at = end + 1;
  }
  if (words.empty()) return std::nullopt;
  std::optional<DateValue> v;
  size_t i = 0;
  const absl::CivilSecond now = absl::ToCivilSecond(clock.now, absl::UTCTimeZone());
  if (words[0] == "now" || words[0] == "today") {
    v = DateValue{words[0] == "now" ? now : absl::CivilSecond(absl::CivilDay(now)), true};
    i = 1;
  } else {
    v = parse_iso(words[0]);
    i = 1;
  }
  if (!v) return std::nullopt;
  for (; i < words.size(); ++i) {
    const auto colon = words[i].find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view head = words[i].substr(0, colon), unit = words[i].substr(colon + 1);
    std::optional<absl::CivilSecond> next;
    if (head == "trunc") {
      next = trunc(v->at, unit);
    } else {
      long n = 0;
      const std::string_view digits = head.starts_with('+') ? head.substr(1) : head;
      const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return std::nullopt;
      next = add(v->at, n, unit);
    }
    if (!next) return std::nullopt;
    v->at = *next;
  }
  return v;
}

DateInterval unbounded() { return DateInterval{}; }

DateInterval intersect(DateInterval a, const DateInterval& b) {
  if (a.empty || b.empty) return DateInterval{std::nullopt, std::nullopt, true};
  if (b.first && (!a.first || *b.first > *a.first)) a.first = b.first;
  if (b.last && (!a.last || *b.last < *a.last)) a.last = b.last;
  if (a.first && a.last && *a.first > *a.last) return DateInterval{std::nullopt, std::nullopt, true};
  return a;
}

DateInterval hull(DateInterval a, const DateInterval& b) {
  if (b.empty) return a;
  if (a.empty) return b;
  a.first = a.first && b.first ? std::optional(std::min(*a.first, *b.first)) : std::nullopt;
  a.last = a.last && b.last ? std::optional(std::max(*a.last, *b.last)) : std::nullopt;
  return a;
}

// The days one comparison with one value lets through.
DateInterval atom(Bound::Op op, const Value& value, const DateClock& clock) {
  const auto v = date_value(value, clock);
  if (!v) return unbounded();
  const absl::CivilDay day(v->at);
  const bool midnight = absl::CivilSecond(day) == v->at && !v->computed;
  DateInterval out;
  switch (op) {
    case Bound::Op::Eq: out.first = out.last = day; break;
    case Bound::Op::Lt: out.last = midnight ? day - 1 : day; break;
    case Bound::Op::Le: out.last = day; break;
    case Bound::Op::Gt:
    case Bound::Op::Ge: out.first = day; break;
    default: return unbounded();
  }
  if (v->computed) {
    if (out.first) *out.first -= clock.skew_days;
    if (out.last) *out.last += clock.skew_days;
  }
  return out;
}

}  // namespace

std::optional<DateValue> date_value(const Value& value, const DateClock& clock) {
  if (value.kind == Value::Kind::DateExpr) return evaluate(value.text, clock);
  if (value.kind != Value::Kind::Constant || value.numeric) return std::nullopt;
  return parse_iso(value.text);
}

DateInterval date_interval(const Bound& bound, const DateClock& clock) {
  switch (bound.op) {
    case Bound::Op::True: return unbounded();
    case Bound::Op::False: return DateInterval{std::nullopt, std::nullopt, true};
    case Bound::Op::And: {
      DateInterval out;
      for (const auto& c : bound.children) out = intersect(out, date_interval(c, clock));
      return out;
    }
    case Bound::Op::Or: {
      DateInterval out{std::nullopt, std::nullopt, true};
      for (const auto& c : bound.children) out = hull(out, date_interval(c, clock));
      return out;
    }
    case Bound::Op::In: {
      DateInterval out{std::nullopt, std::nullopt, true};
      for (const auto& v : bound.values) out = hull(out, atom(Bound::Op::Eq, v, clock));
      return out;
    }
    case Bound::Op::Between:
      if (bound.values.size() != 2) return unbounded();
      return intersect(atom(Bound::Op::Ge, bound.values[0], clock), atom(Bound::Op::Le, bound.values[1], clock));
    default:
      if (bound.values.size() != 1) return unbounded();
      return atom(bound.op, bound.values[0], clock);
  }
}

std::optional<PartitionField> parse_partition_field(std::string_view word) {
  if (word == "year") return PartitionField::Year;
  if (word == "month") return PartitionField::Month;
  if (word == "date") return PartitionField::Date;
  return std::nullopt;
}

const char* to_string(PartitionField field) {
  switch (field) {
    case PartitionField::Year: return "year";
    case PartitionField::Month: return "month";
    case PartitionField::Date: return "date";
  }
  return "?";
}

namespace {

const PartitionColumn* column_for(const PartitionScheme& scheme, PartitionField field) {
  for (const auto& c : scheme) {
    if (c.field == field) return &c;
  }
  return nullptr;
}

std::string iso(absl::CivilDay d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "'%04d-%02d-%02d'", static_cast<int>(d.year()), d.month(), d.day());
  return buf;
}

std::string range(const std::string& column, const std::optional<std::string>& lo,
                  const std::optional<std::string>& hi) {
  if (lo && hi) return *lo == *hi ? column + " = " + *lo : column + " BETWEEN " + *lo + " AND " + *hi;
  if (lo) return column + " >= " + *lo;
  return column + " <= " + *hi;
}

std::optional<std::string> year_text(const std::optional<absl::CivilDay>& d) {
  if (!d) return std::nullopt;
  return std::to_string(d->year());
}

// Year/month: a partial first year, whole years, a partial last year, ORed. Every branch
// bounds the month too (whole years by 1..12): a rule that wants each partition column
// held to finitely many values then sees the months the dates allow.
std::string year_month(const DateInterval& in, const std::string& year, const std::string& month) {
  struct Piece {
    std::optional<int64_t> from, to;  // years, open when absent
    int first_month, last_month;
  };
  std::vector<Piece> pieces;
  const int m1 = in.first ? in.first->month() : 1;
  const int m2 = in.last ? in.last->month() : 12;
  if (in.first && in.last && in.first->year() == in.last->year()) {
    pieces.push_back({in.first->year(), in.first->year(), m1, m2});
  } else {
    std::optional<int64_t> from = in.first ? std::optional<int64_t>(in.first->year()) : std::nullopt;
    std::optional<int64_t> to = in.last ? std::optional<int64_t>(in.last->year()) : std::nullopt;
    if (m1 > 1) {
      pieces.push_back({from, from, m1, 12});
      from = *from + 1;
    }
    std::optional<Piece> tail;
    if (m2 < 12) {
      tail = Piece{to, to, 1, m2};
      to = *to - 1;
    }
    if (!from || !to || *from <= *to) pieces.push_back({from, to, 1, 12});
    if (tail) pieces.push_back(*tail);
  }
  auto text = [](const std::optional<int64_t>& y) {
    return y ? std::optional<std::string>(std::to_string(*y)) : std::nullopt;
  };
  std::string out;
  for (const auto& p : pieces) {
    if (!out.empty()) out += " OR ";
    out += "(" + range(year, text(p.from), text(p.to)) + " AND " +
           range(month, std::to_string(p.first_month), std::to_string(p.last_month)) + ")";
  }
  return pieces.size() == 1 ? out : "(" + out + ")";
}

}  // namespace

std::string partition_predicate(const DateInterval& interval, const PartitionScheme& scheme) {
  if (interval.empty || interval.unbounded()) return "";
  if (const auto* date = column_for(scheme, PartitionField::Date)) {
    return range(quote_identifier(date->name), interval.first ? std::optional(iso(*interval.first)) : std::nullopt,
                 interval.last ? std::optional(iso(*interval.last)) : std::nullopt);
  }
  const auto* year = column_for(scheme, PartitionField::Year);
  if (year == nullptr) return "";
  const std::string y = quote_identifier(year->name);
  if (const auto* month = column_for(scheme, PartitionField::Month)) {
    return year_month(interval, y, quote_identifier(month->name));
  }
  return range(y, year_text(interval.first), year_text(interval.last));
}

std::optional<std::vector<absl::CivilMonth>> months_of(const DateInterval& interval, size_t limit) {
  if (interval.empty) return std::vector<absl::CivilMonth>{};
  if (!interval.first || !interval.last) return std::nullopt;
  std::vector<absl::CivilMonth> out;
  for (absl::CivilMonth m(*interval.first); m <= absl::CivilMonth(*interval.last); ++m) {
    if (out.size() == limit) return std::nullopt;
    out.push_back(m);
  }
  return out;
}

}  // namespace blueshift::rewrite
