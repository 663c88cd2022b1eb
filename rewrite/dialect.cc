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
    }
    if (word(0) == "alter" && word(1) == "table") {
      size_t j = 2;
      if (word(j) == "if" && word(j + 1) == "exists") j += 2;
      out_.alter_table = qualified_name(j, &out_.name) > j;
    }
    if (word(0) == "create") create_table_options();
    if (word(0) == "create") view_binding();
    if (word(0) == "copy") copy_options();
    for (size_t i = 0; i < t_.size(); ++i) {
      top(i);
      qualify(i);
      if (word(i) == "approximate" && (word(i + 1) == "count" || word(i + 1) == "percentile_disc")) blank(i, i);
      if ((word(i) == "ignore" || word(i) == "respect") && word(i + 1) == "nulls") blank(i, i + 1);
      if (word(i) == "max" && i >= 2 && kind(i - 1) == TokenKind::LParen && kind(i + 1) == TokenKind::RParen &&
          is_string_type(word(i - 2))) {
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
