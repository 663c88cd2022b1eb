#include "rewrite/opaque_text.h"

#include <algorithm>

#include "rewrite/identifiers.h"
#include "rewrite/quick_lexer.h"

namespace blueshift::rewrite {
namespace {

// Strings inside strings inside strings: deeper than any real procedure body nests.
constexpr int kMaxStringDepth = 4;

// The content of a string literal token: '...' (with '' and Redshift's \' escapes),
// E'...', $tag$...$tag$. Bit and hex strings hold no names; U&'...' escapes are not
// decoded (a name spelled with them inside a nested string is not seen).
bool literal_content(std::string_view raw, std::string* out) {
  out->clear();
  if (raw.empty()) return false;
  if (raw[0] == '$') {
    const size_t close_tag = raw.find('$', 1);
    if (close_tag == std::string_view::npos) return false;
    const size_t tag_len = close_tag + 1;
    if (raw.size() < 2 * tag_len) return false;
    out->assign(raw.substr(tag_len, raw.size() - 2 * tag_len));
    return true;
  }
  size_t i = 0;
  if (raw[0] == 'e' || raw[0] == 'E') i = 1;
  if (i >= raw.size() || raw[i] != '\'') return false;
  for (++i; i + 1 < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\\' && i + 2 < raw.size()) {
      *out += raw[++i];
    } else if (c == '\'' && raw[i + 1] == '\'') {
      *out += '\'';
      ++i;
    } else {
      *out += c;
    }
  }
  return true;
}

void text_names_into(const std::string& text, bool case_sensitive, int depth, std::vector<std::string>* out);

void token_names_into(const std::string& text, const std::vector<pg::Token>& tokens, bool case_sensitive, int depth,
                      std::vector<std::string>* out) {
  std::string dotted;
  bool chain = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const pg::Token& t = tokens[i];
    const std::string_view raw =
        std::string_view(text).substr(static_cast<size_t>(t.start), static_cast<size_t>(t.end - t.start));
    if (t.kind == pg::TokenKind::String && depth < kMaxStringDepth) {
      std::string content;
      if (literal_content(raw, &content) && !content.empty()) text_names_into(content, case_sensitive, depth + 1, out);
    }
    const bool name = t.kind == pg::TokenKind::QuotedIdent || (t.kind == pg::TokenKind::Word && !t.reserved);
    if (name) {
      std::string n = fold_written(raw, case_sensitive);
      if (chain) {
        dotted += "." + n;
        out->push_back(dotted);
      } else {
        dotted = n;
      }
      out->push_back(std::move(n));
      chain = i + 1 < tokens.size() && tokens[i + 1].kind == pg::TokenKind::Dot;
      if (chain) ++i;
      continue;
    }
    chain = false;
  }
}

void text_names_into(const std::string& text, bool case_sensitive, int depth, std::vector<std::string>* out) {
  std::vector<pg::Token> tokens;
  std::string error;
  if (pg::scan(text, &tokens, &error)) {
    token_names_into(text, tokens, case_sensitive, depth, out);
  } else {
    auto names = lex_names(text, case_sensitive);
    out->insert(out->end(), names.begin(), names.end());
  }
}

void sort_unique(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

bool is_untrusted_language(std::string_view l) {
  static constexpr std::string_view kNames[] = {"c",          "internal",   "plpythonu", "plpython2u",
                                                "plpython3u", "plperlu",    "pltclu",    "pljavau"};
  return std::find(std::begin(kNames), std::end(kNames), l) != std::end(kNames);
}

}  // namespace

std::vector<std::string> token_names(const std::string& text, const std::vector<pg::Token>& tokens,
                                     bool case_sensitive) {
  std::vector<std::string> out;
  token_names_into(text, tokens, case_sensitive, 0, &out);
  sort_unique(&out);
  return out;
}

std::vector<std::string> text_names(const std::string& text, bool case_sensitive) {
  std::vector<std::string> out;
  text_names_into(text, case_sensitive, 0, &out);
  sort_unique(&out);
  return out;
}

RoutineBody read_routine_body(const std::string& body, std::string_view language, bool case_sensitive) {
  RoutineBody r;
  const std::string lang = ascii_lower(language);
  if (is_untrusted_language(lang)) {
    r.read = false;
    return r;
  }
  if (lang != "sql" && lang != "plpgsql") {
    // PL/Perl, PL/Tcl, PL/v8, ...: their own syntax, and an SPI call can run any text.
    r.dynamic = "a body in language " + lang + " can run SQL the proxy cannot see";
    return r;
  }
  std::vector<pg::Token> tokens;
  std::string error;
  if (!pg::scan(body, &tokens, &error)) {
    r.dynamic = "the body could not be read: " + error;
    return r;
  }
  r.names = token_names(body, tokens, case_sensitive);
  if (lang == "plpgsql") {
    // PL/pgSQL's EXECUTE (also RETURN QUERY EXECUTE, FOR ... IN EXECUTE, OPEN ... FOR
    // EXECUTE) runs a string built at run time.
    const bool execute = std::any_of(tokens.begin(), tokens.end(), [](const pg::Token& t) {
      return t.kind == pg::TokenKind::Word && t.word == "execute";
    });
    if (execute) r.dynamic = "EXECUTE runs SQL built at run time";
  }
  return r;
}

}  // namespace blueshift::rewrite
