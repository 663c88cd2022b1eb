#include "rewrite/literal_template.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "rewrite/pg_parser.h"

namespace blueshift::rewrite {
namespace {

// The text of a token as written.
std::string_view token_text(const std::string& sql, const pg::Token& t) {
  return std::string_view(sql).substr(static_cast<size_t>(t.start), static_cast<size_t>(t.end - t.start));
}

// Whether a word token is w (lower case), folded as the scanner's words are. The tokens
// come from pg::scan_unfolded: folding a copy of every word would cost more than the
// few comparisons here.
bool is_word(const std::string& sql, const pg::Token& t, std::string_view w) {
  if (t.kind != pg::TokenKind::Word) return false;
  const std::string_view text = token_text(sql, t);
  return text.size() == w.size() && std::equal(text.begin(), text.end(), w.begin(), [](char c, char l) {
           return (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) == l;
         });
}

// A token after which a constant is an operand: an operator, '(' , ',' or a keyword that
// takes an expression.
bool opens_operand(const std::string& sql, const pg::Token& t) {
  switch (t.kind) {
    case pg::TokenKind::Op:
    case pg::TokenKind::LParen:
    case pg::TokenKind::Comma:
      return true;
    case pg::TokenKind::Word:
      for (std::string_view w : {"and", "or", "not", "between", "like", "ilike", "when", "then", "else"}) {
        if (is_word(sql, t, w)) return true;
      }
      return false;
    default:
      return false;
  }
}

// Declared types of the lifted values, as PostgreSQL types the literals: decode_param then
// reads a number as a number and a string as a string, as analysis of the text does.
constexpr uint32_t kInt4Oid = 23;
constexpr uint32_t kInt8Oid = 20;
constexpr uint32_t kNumericOid = 1700;
constexpr uint32_t kUnknownOid = 705;  // a quoted literal before context resolves it

// Lifted literals to make room for when the first is found.
constexpr size_t kLiftedReserve = 8;

// PostgreSQL's scanner reads decimal digits that fit an int4 as that integer (ICONST), so
// `month = 01` compares with the value 1 and analysis as written says "month = 1"; longer
// digits, fractions and exponents it keeps as written (FCONST), and so does analysis.
// The int4's own text, or nullopt when `digits` is not one.
std::optional<std::string> int4_text(std::string_view digits) {
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
    if (v > INT32_MAX) return std::nullopt;
  }
  if (digits.empty()) return std::nullopt;
  return std::to_string(v);
}

// Whether a cast applies to the constant at tokens[i]: `'2024-01-05 10:00'::date`,
// CAST('1' AS int), CONVERT(int, '1'). What the cast makes of the value (a date without
// its time, a number from a string) is known only while the literal is there to see.
bool cast_operand(const std::string& sql, const std::vector<pg::Token>& tokens, size_t i) {
  if (i + 1 < tokens.size()) {
    const pg::Token& next = tokens[i + 1];
    if (next.kind == pg::TokenKind::Op && token_text(sql, next) == "::") return true;
    if (is_word(sql, next, "as")) return true;  // CAST(x AS type); `SELECT 'a' AS c` bounds nothing either way
  }
  // CONVERT(type words, x)
  if (i < 2 || tokens[i - 1].kind != pg::TokenKind::Comma) return false;
  const size_t last_word = i - 2;
  size_t k = last_word;
  while (k > 0 && tokens[k].kind == pg::TokenKind::Word) --k;
  return k < last_word && k > 0 && tokens[k].kind == pg::TokenKind::LParen && is_word(sql, tokens[k - 1], "convert");
}

bool is_literal(const pg::Token& t) { return t.kind == pg::TokenKind::Number || t.kind == pg::TokenKind::String; }

// A number token's lifted value, or nullopt for spellings other than decimal digits, '.'
// and an exponent (0x.., 1_000). Digits alone are an integer to the warehouse, which
// prunes partitions on it; a fraction or exponent makes the value numeric, which it does
// not (Value::prunes).
std::optional<ParamValue> number_value(std::string_view text) {
  bool plain = !text.empty();
  for (char c : text) plain = plain && ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-');
  if (!plain) return std::nullopt;
  if (auto integer = int4_text(text)) return ParamValue{std::move(*integer), false, kInt4Oid};
  return ParamValue{std::string(text), false, text.find_first_of(".eE") == std::string_view::npos ? kInt8Oid : kNumericOid};
}

// A '...' token's lifted value ('' is a quote), or nullopt when the token is more than one
// such string: adjacent literals split by a newline arrive as one token with the break
// inside, and are not lifted.
std::optional<ParamValue> string_value(std::string_view quoted) {
  if (quoted.size() < 2 || quoted.front() != '\'' || quoted.back() != '\'') return std::nullopt;
  std::string value;
  for (size_t k = 1; k + 1 < quoted.size(); ++k) {
    if (quoted[k] == '\'') {
      if (k + 2 >= quoted.size() || quoted[k + 1] != '\'') return std::nullopt;
      ++k;
    }
    value += quoted[k];
  }
  return ParamValue{std::move(value), false, kUnknownOid};
}

// Where the '...' string starting at sql[at] ends (one past its closing quote), or npos.
// With standard strings, as the scanner reads them, only a quote is special: '' is one.
size_t string_end(std::string_view sql, size_t at) {
  if (at >= sql.size() || sql[at] != '\'') return std::string_view::npos;
  for (size_t k = at + 1;;) {
    const size_t quote = sql.find('\'', k);
    if (quote == std::string_view::npos) return quote;
    if (quote + 1 < sql.size() && sql[quote + 1] == '\'') {
      k = quote + 2;
      continue;
    }
    return quote + 1;
  }
}

// Where the run of decimal digits starting at sql[at] ends, or npos when there is none.
size_t digits_end(std::string_view sql, size_t at) {
  size_t k = at;
  while (k < sql.size() && sql[k] >= '0' && sql[k] <= '9') ++k;
  return k == at ? std::string_view::npos : k;
}

bool all_digits(std::string_view text) { return !text.empty() && digits_end(text, 0) == text.size(); }

// Whether the constant at tokens[i] is compared with another constant (`1 <> 1`, `1 = 0`):
// analysis folds such a comparison (a probe that reads nothing, rewrite/constant_truth.h)
// only while both literals are there to see. Also true of `a + 1 <> 0`, which then merely
// keeps its text.
bool beside_literal(const std::vector<pg::Token>& tokens, size_t i) {
  const bool after = i >= 2 && tokens[i - 1].kind == pg::TokenKind::Op && is_literal(tokens[i - 2]);
  const bool before = i + 2 < tokens.size() && tokens[i + 1].kind == pg::TokenKind::Op && is_literal(tokens[i + 2]);
  return after || before;
}

}  // namespace

std::optional<LiteralTemplate> lift_literals(const std::string& sql) {
  std::vector<pg::Token> tokens;
  std::string error;
  if (!pg::scan_unfolded(sql, &tokens, &error) || tokens.empty()) return std::nullopt;
  if (!is_word(sql, tokens[0], "select") && !is_word(sql, tokens[0], "with")) return std::nullopt;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].kind == pg::TokenKind::Param) return std::nullopt;
    if (tokens[i].kind == pg::TokenKind::Semicolon && i + 1 != tokens.size()) return std::nullopt;
  }

  LiteralTemplate out;
  out.text.reserve(sql.size() + 16);  // "$n" is rarely longer than the literal it replaces
  size_t copied = 0;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const pg::Token& t = tokens[i];
    const pg::Token& prev = tokens[i - 1];
    std::optional<ParamValue> value;
    if (t.kind == pg::TokenKind::Number) {
      value = number_value(token_text(sql, t));
    } else if (t.kind == pg::TokenKind::String && sql[static_cast<size_t>(t.start)] == '\'') {
      value = string_value(token_text(sql, t));
    }
    if (!value) continue;
    if (!opens_operand(sql, prev) || cast_operand(sql, tokens, i) || beside_literal(tokens, i)) continue;
    if (prev.kind == pg::TokenKind::Op) {
      // A sign: "- 5" after an operator, '(' , ',' or a keyword is a negative literal, which
      // the analysis reads as one value; keep it as written.
      const std::string_view op = token_text(sql, prev);
      if ((op == "-" || op == "+") && (i < 2 || opens_operand(sql, tokens[i - 2]) ||
                                       (tokens[i - 2].kind == pg::TokenKind::Word && tokens[i - 2].keyword))) {
        continue;
      }
    }
    out.text.append(sql, copied, static_cast<size_t>(t.start) - copied);
    if (out.values.empty()) {
      // Room for a typical statement's literals at once, not one reallocation each.
      out.values.reserve(kLiftedReserve);
      out.shifts.reserve(kLiftedReserve);
    }
    out.values.push_back(std::move(*value));
    out.text += '$';
    out.text += std::to_string(out.values.size());
    out.shifts.push_back(LiteralTemplate::Shift{static_cast<int>(out.text.size()), t.end});
    copied = static_cast<size_t>(t.end);
  }
  if (out.values.empty()) return std::nullopt;
  out.text.append(sql, copied, std::string::npos);
  return out;
}

std::optional<TemplateShape> shape_of(const LiteralTemplate& lifted, std::string_view sql) {
  TemplateShape shape;
  shape.slots.reserve(lifted.shifts.size());
  int template_end = 0;
  int client_end = 0;
  for (size_t i = 0; i < lifted.shifts.size(); ++i) {
    const LiteralTemplate::Shift& s = lifted.shifts[i];
    const int start = s.template_end - 1 - static_cast<int>(std::to_string(i + 1).size());
    // The bytes between literals are the same in both texts, so the literal starts as far
    // after the previous one's end as its $n does.
    const int client_start = start - template_end + client_end;
    if (start < template_end || client_start < client_end || s.client_end > static_cast<int>(sql.size())) {
      return std::nullopt;
    }
    const std::string_view literal = sql.substr(static_cast<size_t>(client_start),
                                                static_cast<size_t>(s.client_end - client_start));
    const bool string = string_value(literal).has_value();
    if (!string && !all_digits(literal)) return std::nullopt;
    shape.slots.push_back(TemplateShape::Slot{start, s.template_end, string});
    template_end = s.template_end;
    client_end = s.client_end;
  }
  return shape;
}

std::optional<LiteralTemplate> relift(std::string_view template_text, const TemplateShape& shape, std::string_view sql) {
  // A NUL ends the scanner's text; such a text is left to it.
  if (shape.slots.empty() || sql.find('\0') != std::string_view::npos) return std::nullopt;
  LiteralTemplate out;
  out.values.reserve(shape.slots.size());
  out.shifts.reserve(shape.slots.size());
  size_t t = 0;  // in template_text
  size_t s = 0;  // in sql
  for (const TemplateShape::Slot& slot : shape.slots) {
    const std::string_view same = template_text.substr(t, static_cast<size_t>(slot.start) - t);
    if (sql.substr(s, same.size()) != same) return std::nullopt;
    s += same.size();
    const size_t end = slot.string ? string_end(sql, s) : digits_end(sql, s);
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view literal = sql.substr(s, end - s);
    auto value = slot.string ? string_value(literal) : number_value(literal);
    if (!value) return std::nullopt;
    out.values.push_back(std::move(*value));
    out.shifts.push_back(LiteralTemplate::Shift{slot.end, static_cast<int>(end)});
    s = end;
    t = static_cast<size_t>(slot.end);
  }
  if (sql.substr(s) != template_text.substr(t)) return std::nullopt;
  out.text.assign(template_text);
  return out;
}

int LiteralTemplate::client_offset(int template_offset) const {
  if (template_offset < 0) return template_offset;
  // The last literal that ends at or before the offset says how far the texts have drifted.
  const auto after = std::upper_bound(shifts.begin(), shifts.end(), template_offset,
                                      [](int offset, const Shift& s) { return offset < s.template_end; });
  if (after == shifts.begin()) return template_offset;
  const Shift& s = *std::prev(after);
  return template_offset - s.template_end + s.client_end;
}

QueryFacts client_facts(const QueryFacts& template_facts, const LiteralTemplate& lifted) {
  QueryFacts out = substitute_params(template_facts, lifted.values);
  auto map = [&](int* location, int* length) {
    if (*location < 0) return;
    const int start = lifted.client_offset(*location);
    if (*length > 0) *length = lifted.client_offset(*location + *length) - start;
    *location = start;
  };
  for (auto& st : out.statements) {
    map(&st.location, &st.length);
    for (auto& scan : st.scans) map(&scan.table.location, &scan.table.length);
    for (auto& w : st.writes) map(&w.location, &w.length);
  }
  return out;
}

}  // namespace blueshift::rewrite
