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
    std::string value;
    uint32_t type = kUnknownOid;
    if (t.kind == pg::TokenKind::Number) {
      value.assign(token_text(sql, t));
      // Decimal digits, '.', and an exponent only (no 0x.. or 1_000 spellings).
      bool plain = !value.empty();
      for (char c : value) plain = plain && ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-');
      if (!plain) continue;
      // Digits alone are an integer to the warehouse, which prunes partitions on it; a
      // fraction or exponent makes the value numeric, which it does not (Value::prunes).
      type = value.find_first_of(".eE") == std::string::npos ? kInt8Oid : kNumericOid;
      if (auto integer = int4_text(value)) {
        value = std::move(*integer);
        type = kInt4Oid;
      }
    } else if (t.kind == pg::TokenKind::String && sql[static_cast<size_t>(t.start)] == '\'') {
      const std::string_view quoted = token_text(sql, t);
      if (quoted.size() < 2 || quoted.back() != '\'') continue;
      // One '...' token; '' is a quote. (Adjacent literals split by a newline arrive as one
      // token with the break inside: not lifted.)
      bool simple = true;
      for (size_t k = 1; k + 1 < quoted.size(); ++k) {
        if (quoted[k] == '\'') {
          if (k + 2 < quoted.size() && quoted[k + 1] == '\'') {
            value += '\'';
            ++k;
            continue;
          }
          simple = false;
          break;
        }
        value += quoted[k];
      }
      if (!simple) continue;
    } else {
      continue;
    }
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
    out.values.push_back(ParamValue{std::move(value), false, type});
    out.text += '$';
    out.text += std::to_string(out.values.size());
    out.shifts.push_back(LiteralTemplate::Shift{static_cast<int>(out.text.size()), t.end});
    copied = static_cast<size_t>(t.end);
  }
  if (out.values.empty()) return std::nullopt;
  out.text.append(sql, copied, std::string::npos);
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
