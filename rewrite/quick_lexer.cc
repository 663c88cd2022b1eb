#include "rewrite/quick_lexer.h"

#include <algorithm>
#include <cstring>

#include "rewrite/identifiers.h"

namespace blueshift::rewrite {
namespace {

enum class Kind { Word, Quoted, String, Number, Param, Op, LParen, RParen, LBracket, RBracket, Comma, Dot, Semicolon };

struct Tok {
  Kind kind;
  size_t start;
  size_t end;
};

bool ident_start(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; }
bool ident_cont(unsigned char c) { return ident_start(c) || (c >= '0' && c <= '9') || c == '$'; }
bool digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool op_char(unsigned char c) { return std::strchr("~!@#^&|`?+-*/%<>=:", c) != nullptr && c != 0; }

// Calls f(Tok) for each token; comments and whitespace are skipped.
template <typename F>
void lex(std::string_view s, F&& f) {
  const size_t n = s.size();
  size_t i = 0;
  auto skip_quoted = [&](size_t from, char q, bool backslash) {
    // from points at the opening quote; returns the index after the closing one.
    size_t j = from + 1;
    while (j < n) {
      if (backslash && s[j] == '\\') {
        j += 2;
        continue;
      }
      if (s[j] == q) {
        if (j + 1 < n && s[j + 1] == q) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      ++j;
    }
    return n;
  };
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      while (i < n && s[i] != '\n' && s[i] != '\r') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      int depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
      continue;
    }
    const size_t start = i;
    if (c == '\'') {
      i = skip_quoted(i, '\'', false);
      f(Tok{Kind::String, start, i});
      continue;
    }
    if (c == '"') {
      i = skip_quoted(i, '"', false);
      f(Tok{Kind::Quoted, start, i});
      continue;
    }
    if ((c == 'e' || c == 'E') && i + 1 < n && s[i + 1] == '\'') {
      i = skip_quoted(i + 1, '\'', true);
      f(Tok{Kind::String, start, i});
      continue;
    }
    if ((c == 'b' || c == 'B' || c == 'x' || c == 'X' || c == 'n' || c == 'N') && i + 1 < n && s[i + 1] == '\'') {
      i = skip_quoted(i + 1, '\'', false);
      f(Tok{Kind::String, start, i});
      continue;
    }
    if ((c == 'u' || c == 'U') && i + 2 < n && s[i + 1] == '&' && (s[i + 2] == '\'' || s[i + 2] == '"')) {
      const char q = s[i + 2];
      i = skip_quoted(i + 2, q, false);
      f(Tok{q == '"' ? Kind::Quoted : Kind::String, start, i});
      continue;
    }
    if (c == '$') {
      if (i + 1 < n && digit(static_cast<unsigned char>(s[i + 1]))) {
        ++i;
        while (i < n && digit(static_cast<unsigned char>(s[i]))) ++i;
        f(Tok{Kind::Param, start, i});
        continue;
      }
      // $tag$ ... $tag$ (tag may be empty)
      size_t j = i + 1;
      if (j < n && ident_start(static_cast<unsigned char>(s[j]))) {
        while (j < n && ident_cont(static_cast<unsigned char>(s[j])) && s[j] != '$') ++j;
      }
      if (j < n && s[j] == '$') {
        const std::string_view tag = s.substr(i, j - i + 1);
        const size_t close = s.find(tag, j + 1);
        i = close == std::string_view::npos ? n : close + tag.size();
        f(Tok{Kind::String, start, i});
        continue;
      }
      ++i;
      f(Tok{Kind::Op, start, i});
      continue;
    }
    if (ident_start(c)) {
      while (i < n && ident_cont(static_cast<unsigned char>(s[i]))) ++i;
      f(Tok{Kind::Word, start, i});
      continue;
    }
    if (digit(c) || (c == '.' && i + 1 < n && digit(static_cast<unsigned char>(s[i + 1])))) {
      while (i < n && (digit(static_cast<unsigned char>(s[i])) || s[i] == '.' || s[i] == '_')) ++i;
      if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-')) ++j;
        if (j < n && digit(static_cast<unsigned char>(s[j]))) {
          i = j;
          while (i < n && digit(static_cast<unsigned char>(s[i]))) ++i;
        }
      }
      f(Tok{Kind::Number, start, i});
      continue;
    }
    switch (c) {
      case '(': f(Tok{Kind::LParen, start, ++i}); continue;
      case ')': f(Tok{Kind::RParen, start, ++i}); continue;
      case '[': f(Tok{Kind::LBracket, start, ++i}); continue;
      case ']': f(Tok{Kind::RBracket, start, ++i}); continue;
      case ',': f(Tok{Kind::Comma, start, ++i}); continue;
      case ';': f(Tok{Kind::Semicolon, start, ++i}); continue;
      case '.': f(Tok{Kind::Dot, start, ++i}); continue;
      default: break;
    }
    if (op_char(c)) {
      // Each operator character counts as one operator: over-counts `<=` and `::`, which
      // is the safe direction. Comment starts inside an operator run end it.
      ++i;
      f(Tok{Kind::Op, start, i});
      continue;
    }
    ++i;  // anything else (stray bytes): PostgreSQL rejects it; count it as an operator
    f(Tok{Kind::Op, start, i});
  }
}

enum class WordClass { None, Separator, Operator, Chain, Case, End };

WordClass classify(std::string_view w) {
  if (w.size() > 9) return WordClass::None;
  char buf[10];
  for (size_t i = 0; i < w.size(); ++i) buf[i] = ascii_lower(w[i]);
  const std::string_view l(buf, w.size());
  static constexpr std::string_view kSeparators[] = {
      "and", "or", "when", "then", "else", "select", "from", "where", "group", "having", "order", "limit",
      "offset", "on", "using", "returning", "set", "values", "window", "into", "as", "by", "qualify"};
  static constexpr std::string_view kOperators[] = {"not", "is", "isnull", "notnull", "like", "ilike", "similar",
                                                    "between", "in", "at", "collate", "overlaps", "operator",
                                                    "escape", "any", "all", "some", "exists", "array", "row"};
  static constexpr std::string_view kChains[] = {"union", "intersect", "except", "join"};
  if (l == "case") return WordClass::Case;
  if (l == "end") return WordClass::End;
  for (auto s : kChains) {
    if (l == s) return WordClass::Chain;
  }
  for (auto s : kOperators) {
    if (l == s) return WordClass::Operator;
  }
  for (auto s : kSeparators) {
    if (l == s) return WordClass::Separator;
  }
  return WordClass::None;
}

struct Segment {
  bool is_case = false;
  int chains = 0;
  int chain = 0;
  int max_chain = 0;
  int child_max = 0;
  [[nodiscard]] int value() const { return chains + max_chain + 2 + child_max; }
};

}  // namespace

int nesting_bound(std::string_view sql) {
  std::vector<Segment> stack(1);
  stack.reserve(32);
  auto close = [&]() {
    const int v = stack.back().value();
    stack.pop_back();
    stack.back().child_max = std::max(stack.back().child_max, v);
  };
  auto bump = [&](Segment& s) {
    ++s.chain;
    s.max_chain = std::max(s.max_chain, s.chain);
  };
  lex(sql, [&](const Tok& t) {
    Segment& top = stack.back();
    switch (t.kind) {
      case Kind::LParen:
      case Kind::LBracket:
        bump(top);
        stack.emplace_back();
        return;
      case Kind::RParen:
      case Kind::RBracket:
        while (stack.size() > 1 && stack.back().is_case) close();
        if (stack.size() > 1) close();
        return;
      case Kind::Comma:
      case Kind::Semicolon:
        top.chain = 0;
        return;
      case Kind::Op:
        bump(top);
        return;
      case Kind::Word:
        switch (classify(sql.substr(t.start, t.end - t.start))) {
          case WordClass::Separator: top.chain = 0; return;
          case WordClass::Operator: bump(top); return;
          case WordClass::Chain: ++top.chains; return;
          case WordClass::Case:
            bump(top);
            stack.emplace_back();
            stack.back().is_case = true;
            return;
          case WordClass::End:
            if (stack.size() > 1 && stack.back().is_case) close();
            return;
          case WordClass::None: return;
        }
        return;
      default:
        return;
    }
  });
  while (stack.size() > 1) close();
  return stack.back().value();
}

std::vector<std::string> lex_names(std::string_view sql, bool case_sensitive) {
  std::vector<std::string> out;
  std::string dotted;
  bool last_was_name = false, after_dot = false;
  lex(sql, [&](const Tok& t) {
    if (t.kind == Kind::Word || t.kind == Kind::Quoted) {
      std::string name = fold_written(sql.substr(t.start, t.end - t.start), case_sensitive);
      if (after_dot && last_was_name) {
        dotted += "." + name;
        out.push_back(dotted);
      } else {
        dotted = name;
      }
      out.push_back(std::move(name));
      last_was_name = true;
      after_dot = false;
      return;
    }
    if (t.kind == Kind::Dot && last_was_name) {
      after_dot = true;
      return;
    }
    last_was_name = false;
    after_dot = false;
  });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace blueshift::rewrite
