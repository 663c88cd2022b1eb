#include "rewrite/dialect.h"

#include <algorithm>
#include <string_view>

#include "rewrite/identifiers.h"

namespace blueshift::rewrite {
namespace {

using pg::Token;
using pg::TokenKind;

class Rewriter {
 public:
  Rewriter(const std::string& text, const std::vector<Token>& tokens, bool case_sensitive)
      : in_(text), t_(tokens), cs_(case_sensitive) {
    out_.text = text;
    depth_.resize(t_.size());
    int d = 0;
    for (size_t i = 0; i < t_.size(); ++i) {
      if (t_[i].kind == TokenKind::RParen || t_[i].kind == TokenKind::RBracket) d = std::max(0, d - 1);
      depth_[i] = d;
      if (t_[i].kind == TokenKind::LParen || t_[i].kind == TokenKind::LBracket) ++d;
    }
  }

  DialectRewrite run() {
    temp_names();
    if (word(0) == "unload" && kind(1) == TokenKind::LParen && kind(2) == TokenKind::String) {
      out_.form = DialectRewrite::Form::Unload;
      out_.inner_query = redshift_literal(static_cast<size_t>(t_[2].start));
      return std::move(out_);
    }
    if (word(0) == "create" && word(1) == "external") {
      create_external();
      return std::move(out_);
    }
    static constexpr std::string_view kDataless[] = {"vacuum", "show", "grant", "revoke", "cancel"};
    if (std::find(std::begin(kDataless), std::end(kDataless), word(0)) != std::end(kDataless)) {
      out_.dataless_command = std::string(word(0));
      if (word(0) == "vacuum") vacuum_name();
    }
    if (word(0) == "alter" && word(1) == "table") {
      size_t j = 2;
      if (word(j) == "if" && word(j + 1) == "exists") j += 2;
      out_.alter_table = qualified_name(j, &out_.name) > j;
    }
    if (word(0) == "create") create_table_options();
    if (word(0) == "create") view_binding();
    if (word(0) == "copy") copy_options();
    pivots();
    for (size_t i = 0; i < t_.size(); ++i) {
      top(i);
      qualify(i);
      convert_type(i);
      unpivot_navigation(i);
      if (word(i) == "approximate" && (word(i + 1) == "count" || word(i + 1) == "percentile_disc")) blank(i, i);
      if ((word(i) == "ignore" || word(i) == "respect") && word(i + 1) == "nulls") blank(i, i + 1);
      if (word(i) == "max" && i >= 2 && kind(i - 1) == TokenKind::LParen && kind(i + 1) == TokenKind::RParen &&
          is_string_type(word(i - 2)) && !blanked(i)) {
        out_.text.replace(static_cast<size_t>(t_[i].start), 3, "999");
        out_.changed = true;
      }
    }
    return std::move(out_);
  }

 private:
  [[nodiscard]] std::string_view word(size_t i) const {
    return i < t_.size() && t_[i].kind == TokenKind::Word ? std::string_view(t_[i].word) : std::string_view();
  }
  [[nodiscard]] TokenKind kind(size_t i) const { return i < t_.size() ? t_[i].kind : TokenKind::Other; }
  [[nodiscard]] std::string_view raw(size_t i) const {
    return std::string_view(in_).substr(static_cast<size_t>(t_[i].start), static_cast<size_t>(t_[i].end - t_[i].start));
  }

  void blank_bytes(int from, int to) {
    for (int k = from; k < to && k < static_cast<int>(out_.text.size()); ++k) {
      if (out_.text[static_cast<size_t>(k)] != '\n') out_.text[static_cast<size_t>(k)] = ' ';
    }
    out_.changed = true;
  }
  void blank(size_t first, size_t last) {
    if (first >= t_.size()) return;
    last = std::min(last, t_.size() - 1);
    blank_bytes(t_[first].start, t_[last].end);
  }

  // Whether an earlier rule blanked token i.
  [[nodiscard]] bool blanked(size_t i) const { return out_.text[static_cast<size_t>(t_[i].start)] == ' '; }

  // A name that can be an alias here: quoted, or a word that is no keyword at all (so
  // not JOIN, LEFT, ...), nor a Redshift clause word PostgreSQL does not know.
  [[nodiscard]] bool alias_word(size_t i) const {
    if (kind(i) == TokenKind::QuotedIdent) return true;
    if (i >= t_.size() || t_[i].kind != TokenKind::Word || t_[i].keyword) return false;
    const std::string_view w = t_[i].word;
    return w != "qualify" && w != "pivot" && w != "unpivot";
  }

  // Index of the token closing the bracket opened at i (or the last token).
  [[nodiscard]] size_t closing(size_t i) const {
    for (size_t j = i + 1; j < t_.size(); ++j) {
      if (depth_[j] == depth_[i] && (t_[j].kind == TokenKind::RParen || t_[j].kind == TokenKind::RBracket)) return j;
    }
    return t_.empty() ? 0 : t_.size() - 1;
  }

  // name ( . name )*, returns the index after it.
  size_t qualified_name(size_t j, std::vector<std::string>* parts) const {
    auto is_name = [&](size_t k) {
      return k < t_.size() && (t_[k].kind == TokenKind::QuotedIdent || (t_[k].kind == TokenKind::Word && !t_[k].reserved));
    };
    if (!is_name(j)) return j;
    parts->push_back(fold_written(raw(j), cs_));
    ++j;
    while (kind(j) == TokenKind::Dot && is_name(j + 1)) {
      parts->push_back(fold_written(raw(j + 1), cs_));
      j += 2;
    }
    return j;
  }

  // `#name` in a name position (not `a #b`, Redshift's XOR) -> `_name`.
  void temp_names() {
    static constexpr std::string_view kBefore[] = {"update", "truncate", "exists", "analyze", "vacuum", "lock", "table"};
    for (size_t i = 0; i + 1 < t_.size(); ++i) {
      if (t_[i].kind != TokenKind::Op || t_[i].end - t_[i].start != 1 || in_[static_cast<size_t>(t_[i].start)] != '#') continue;
      if (t_[i + 1].kind != TokenKind::Word || t_[i + 1].start != t_[i].end) continue;
      if (i > 0) {
        const Token& p = t_[i - 1];
        bool operand = false;
        switch (p.kind) {
          case TokenKind::QuotedIdent:
          case TokenKind::String:
          case TokenKind::Number:
          case TokenKind::Param:
          case TokenKind::RParen:
          case TokenKind::RBracket:
            operand = true;
            break;
          case TokenKind::Word:
            operand = !p.reserved &&
                      std::find(std::begin(kBefore), std::end(kBefore), std::string_view(p.word)) == std::end(kBefore);
            break;
          default:
            break;
        }
        if (operand) continue;
      }
      out_.text[static_cast<size_t>(t_[i].start)] = '_';
      out_.temp_positions.push_back(t_[i].start);
      out_.temp_names.push_back("_" + t_[i + 1].word);
      out_.changed = true;
    }
  }

  // A Redshift string literal starting at `pos` (the quote): '' and \' both escape a quote.
  [[nodiscard]] std::string redshift_literal(size_t pos) const {
    std::string out;
    if (pos < in_.size() && (in_[pos] == 'e' || in_[pos] == 'E')) ++pos;
    if (pos < in_.size() && in_[pos] == '$') {  // $tag$...$tag$
      const size_t close_tag = in_.find('$', pos + 1);
      if (close_tag == std::string::npos) return out;
      const std::string tag = in_.substr(pos, close_tag - pos + 1);
      const size_t end = in_.find(tag, close_tag + 1);
      return in_.substr(close_tag + 1, end == std::string::npos ? std::string::npos : end - close_tag - 1);
    }
    for (size_t i = pos + 1; i < in_.size(); ++i) {
      const char c = in_[i];
      if (c == '\\' && i + 1 < in_.size()) {
        out += in_[++i];
      } else if (c == '\'') {
        if (i + 1 < in_.size() && in_[i + 1] == '\'') {
          out += '\'';
          ++i;
        } else {
          break;
        }
      } else {
        out += c;
      }
    }
    return out;
  }

  static bool is_string_type(std::string_view w) {
    return w == "varchar" || w == "varying" || w == "char" || w == "character" || w == "nvarchar" ||
           w == "varbyte" || w == "varbinary" || w == "bpchar" || w == "nchar";
  }

  void top(size_t i) {
    if (word(i) != "select") return;
    size_t j = i + 1;
    if (word(j) == "all" || word(j) == "distinct") ++j;
    if (word(j) == "top" && kind(j + 1) == TokenKind::Number) {
      blank(j, j + 1);
      if (j + 2 < t_.size()) out_.limited_selects.push_back(t_[j + 2].start);
    }
  }

  void qualify(size_t i) {
    if (word(i) != "qualify" || i == 0) return;
    const TokenKind pk = kind(i - 1);
    if (pk == TokenKind::Dot || pk == TokenKind::Comma || pk == TokenKind::LParen || word(i - 1) == "as" ||
        word(i - 1) == "select") {
      return;
    }
    const TokenKind nk = kind(i + 1);
    if (nk == TokenKind::Dot || nk == TokenKind::Comma || nk == TokenKind::RParen || nk == TokenKind::Other ||
        word(i + 1) == "from" || word(i + 1) == "as" || i + 1 >= t_.size()) {
      return;
    }
    bool having = false;
    for (size_t k = i; k-- > 0;) {
      if (depth_[k] != depth_[i]) continue;
      if (word(k) == "having") having = true;
      if (word(k) == "select") break;
    }
    const std::string_view replacement = having ? "AND    " : "HAVING ";
    out_.text.replace(static_cast<size_t>(t_[i].start), 7, replacement);
    out_.changed = true;
  }

  // VACUUM [FULL | SORT ONLY | DELETE ONLY | REINDEX | RECLUSTER] [table] [TO n PERCENT] [BOOST]
  void vacuum_name() {
    static constexpr std::string_view kOptions[] = {"full", "sort", "delete", "only", "reindex", "recluster"};
    size_t j = 1;
    while (std::find(std::begin(kOptions), std::end(kOptions), word(j)) != std::end(kOptions)) ++j;
    (void)qualified_name(j, &out_.name);
  }

  // CONVERT(type, expr): PostgreSQL reads a one-word type as a column reference (which the
  // walker then skips) but rejects varchar(30), decimal(2,1), double precision, timestamp
  // with time zone: keep the type's first word, blank the rest.
  void convert_type(size_t i) {
    if (word(i) != "convert" || kind(i + 1) != TokenKind::LParen || (i > 0 && kind(i - 1) == TokenKind::Dot)) return;
    const size_t open = i + 1;
    const size_t close = closing(open);
    const int inside = depth_[open] + 1;
    size_t comma = 0;
    for (size_t k = open + 1; k < close; ++k) {
      if (depth_[k] != inside || kind(k) != TokenKind::Comma) continue;
      if (comma != 0) return;  // a third argument: PostgreSQL's convert(bytes, from, to)
      comma = k;
    }
    const size_t first = open + 1;
    if (comma == 0 || kind(first) != TokenKind::Word || comma <= first + 1) return;
    for (size_t k = first + 1; k < comma; ++k) {
      const TokenKind tk = kind(k);
      const bool type_part = tk == TokenKind::Word || tk == TokenKind::Number ||
                             (depth_[k] > inside && tk == TokenKind::Comma) || tk == TokenKind::LParen ||
                             tk == TokenKind::RParen;
      if (!type_part) return;
    }
    blank(first + 1, comma - 1);
  }

  // Whether a PIVOT or UNPIVOT clause starts at token i: the keyword, for UNPIVOT an
  // optional INCLUDE/EXCLUDE NULLS, then ( ... FOR name IN ( ... ) ). *open: its "(".
  bool pivot_clause(size_t i, size_t* open) const {
    const std::string_view w = word(i);
    if (w != "pivot" && w != "unpivot") return false;
    size_t j = i + 1;
    if (w == "unpivot" && (word(j) == "include" || word(j) == "exclude") && word(j + 1) == "nulls") j += 2;
    if (kind(j) != TokenKind::LParen) return false;
    const size_t close = closing(j);
    for (size_t k = j + 1; k + 2 < close; ++k) {
      if (depth_[k] == depth_[j] + 1 && word(k) == "for" &&
          (kind(k + 1) == TokenKind::Word || kind(k + 1) == TokenKind::QuotedIdent) && word(k + 2) == "in" &&
          kind(k + 3) == TokenKind::LParen) {
        *open = j;
        return true;
      }
    }
    return false;
  }

  // table_reference PIVOT (...) [[AS] alias], clauses possibly chained. The clauses go;
  // the FROM item they apply to (everything back to the comma or FROM before it) is
  // recorded: its table names by position, its parenthesised subqueries by range.
  void pivots() {
    for (size_t i = 1; i < t_.size(); ++i) {
      size_t open = 0;
      if (!pivot_clause(i, &open)) continue;
      const TokenKind before = kind(i - 1);
      if (before != TokenKind::RParen && before != TokenKind::QuotedIdent && before != TokenKind::Word) continue;
      const int d = depth_[i];
      size_t first = i;
      while (first > 0) {
        const size_t k = first - 1;
        if (depth_[k] < d || (depth_[k] == d && (kind(k) == TokenKind::Comma || word(k) == "from"))) break;
        first = k;
      }
      if (first == i) continue;
      PivotMark mark;
      for (size_t k = first; k < i; ++k) {
        if (depth_[k] != d) continue;
        if (kind(k) == TokenKind::LParen) {
          const size_t c = closing(k);
          mark.subqueries.emplace_back(t_[k].start, t_[c].end);
          k = c;
        } else if ((kind(k) == TokenKind::Word || kind(k) == TokenKind::QuotedIdent) &&
                   (k == first || kind(k - 1) != TokenKind::Dot)) {
          mark.tables.push_back(t_[k].start);
        }
      }
      size_t last = closing(open);
      std::vector<std::pair<size_t, size_t>> clauses{{i, last}};
      while (pivot_clause(last + 1, &open)) {
        clauses.emplace_back(last + 1, closing(open));
        last = clauses.back().second;
      }
      for (const auto& [keyword, close] : clauses) pivot_names(keyword, close, &mark.names);
      out_.pivots.push_back(std::move(mark));
      const bool alias_after = word(last + 1) == "as" || alias_word(last + 1);
      // An alias written before the clause: [AS] name after a name or a ")".
      size_t alias_first = i;
      if (alias_word(i - 1) && i >= 2) {
        if (word(i - 2) == "as") {
          alias_first = i - 2;
        } else if (kind(i - 2) == TokenKind::RParen || alias_word(i - 2)) {
          alias_first = i - 1;
        }
      }
      bool keep_keyword = false;
      if (alias_after) {
        if (alias_first < i) blank(alias_first, i - 1);  // the alias after the clause names the result
      } else if (alias_first == i && before == TokenKind::RParen) {
        keep_keyword = true;  // PostgreSQL wants a subquery aliased: the keyword is a fine name
      }
      for (size_t c = 0; c < clauses.size(); ++c) {
        blank(c == 0 && keep_keyword ? clauses[c].first + 1 : clauses[c].first, clauses[c].second);
      }
      if (keep_keyword) out_.changed = true;
      i = last;
    }
  }

  // Every name, string and number inside a pivot clause but its own keywords.
  void pivot_names(size_t keyword, size_t close, std::vector<std::string>* names) const {
    for (size_t k = keyword + 1; k < close; ++k) {
      const std::string_view w = word(k);
      if (w == "for" || w == "in" || w == "as" || w == "include" || w == "exclude" || w == "nulls") continue;
      const std::string_view r = raw(k);
      switch (kind(k)) {
        case TokenKind::Word:
        case TokenKind::QuotedIdent:
          names->push_back(fold_written(r, cs_));
          break;
        case TokenKind::Number:
          names->emplace_back(r);
          break;
        case TokenKind::String:
          // 'high' names a column high; the quotes are not part of the name.
          if (r.size() >= 2 && r.front() == '\'' && r.back() == '\'') names->push_back(ascii_lower(r.substr(1, r.size() - 2)));
          break;
        default:
          break;
      }
    }
  }

  // FROM t, UNPIVOT t.obj AS v [AT a]: Redshift's unpivoting of a SUPER object reads as
  // the navigation FROM t, t.obj AS v (the attribute alias goes).
  void unpivot_navigation(size_t i) {
    if (word(i) != "unpivot" || i == 0) return;
    if (kind(i - 1) != TokenKind::Comma && word(i - 1) != "from" && word(i - 1) != "join") return;
    if (kind(i + 1) == TokenKind::LParen || word(i + 1) == "include" || word(i + 1) == "exclude") return;
    blank(i, i);
    for (size_t k = i + 1; k + 1 < t_.size() && depth_[k] >= depth_[i]; ++k) {
      if (depth_[k] != depth_[i]) continue;
      if (kind(k) == TokenKind::Comma || (t_[k].reserved && word(k) != "as")) return;
      if (word(k) == "as" && word(k + 2) == "at" && k + 3 < t_.size()) {
        blank(k + 2, k + 3);
        return;
      }
    }
  }

  void create_table_options() {
    size_t k = 1;
    while (k < t_.size() && k < 6 && word(k) != "table") {
      static constexpr std::string_view kPrefix[] = {"local", "global", "temp", "temporary", "unlogged", "or", "replace"};
      if (std::find(std::begin(kPrefix), std::end(kPrefix), word(k)) == std::end(kPrefix)) return;
      ++k;
    }
    if (word(k) != "table") return;
    size_t end = t_.size();
    for (size_t j = k + 1; j + 1 < t_.size(); ++j) {
      if (depth_[j] == 0 && word(j) == "as" &&
          (word(j + 1) == "select" || word(j + 1) == "with" || kind(j + 1) == TokenKind::LParen)) {
        end = j;
        break;
      }
    }
    for (size_t j = k + 1; j < end; ++j) {
      const std::string_view w = word(j);
      if (w.empty()) continue;
      if (w == "distkey" || w == "sortkey") {
        size_t last = j;
        if (kind(j + 1) == TokenKind::LParen) {
          last = closing(j + 1);
        } else if (w == "sortkey" && word(j + 1) == "auto") {
          last = j + 1;
        }
        size_t first = j;
        if (j > 0 && (word(j - 1) == "compound" || word(j - 1) == "interleaved")) first = j - 1;
        blank(first, last);
        j = last;
      } else if (w == "diststyle" || w == "encode") {
        if (j + 1 < end && (t_[j + 1].kind == TokenKind::Word || t_[j + 1].kind == TokenKind::QuotedIdent)) {
          blank(j, j + 1);
          ++j;
        }
      } else if (w == "backup" && (word(j + 1) == "yes" || word(j + 1) == "no")) {
        blank(j, j + 1);
        ++j;
      } else if (w == "identity" && kind(j + 1) == TokenKind::LParen && kind(j + 2) == TokenKind::Number) {
        const size_t last = closing(j + 1);
        // GENERATED BY DEFAULT AS IDENTITY(1,1) keeps IDENTITY; bare IDENTITY(1,1) goes.
        blank(word(j - 1) == "as" ? j + 1 : j, last);
        j = last;
      }
    }
  }

  void view_binding() {
    for (size_t j = 0; j + 3 < t_.size(); ++j) {
      if (depth_[j] == 0 && word(j) == "with" && word(j + 1) == "no" && word(j + 2) == "schema" &&
          word(j + 3) == "binding") {
        blank(j, j + 3);
        return;
      }
    }
  }

  void copy_options() {
    for (size_t j = 1; j + 1 < t_.size(); ++j) {
      if (depth_[j] != 0) continue;
      if (word(j) == "from" || word(j) == "to") {
        if (t_[j + 1].kind == TokenKind::String && j + 2 < t_.size()) blank(j + 2, t_.size() - 1);
        return;
      }
    }
  }

  void create_external() {
    out_.form = DialectRewrite::Form::CreateExternal;
    if (word(2) == "schema") {
      out_.external_schema = true;
      size_t j = 3;
      if (word(j) == "if" && word(j + 1) == "not" && word(j + 2) == "exists") j += 3;
      (void)qualified_name(j, &out_.name);
      return;
    }
    if (word(2) != "table") return;
    size_t j = 3;
    if (word(j) == "if" && word(j + 1) == "not" && word(j + 2) == "exists") j += 3;
    j = qualified_name(j, &out_.name);
    for (; j + 1 < t_.size(); ++j) {
      if (depth_[j] == 0 && word(j) == "as" &&
          (word(j + 1) == "select" || word(j + 1) == "with" || kind(j + 1) == TokenKind::LParen)) {
        out_.inner_query = in_.substr(static_cast<size_t>(t_[j + 1].start));
        return;
      }
    }
  }

  const std::string& in_;
  const std::vector<Token>& t_;
  bool cs_;
  std::vector<int> depth_;
  DialectRewrite out_;
};

}  // namespace

DialectRewrite redshift_rewrite(const std::string& text, const std::vector<pg::Token>& tokens, bool case_sensitive) {
  return Rewriter(text, tokens, case_sensitive).run();
}

}  // namespace blueshift::rewrite
