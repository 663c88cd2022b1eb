#include "proxy/block_begun.h"

#include <algorithm>

#include "protocol/peek.h"

namespace blueshift::proxy {
namespace {

// ASCII only, as PostgreSQL's scanner reads keywords and blanks; inline, where the <cctype>
// calls cost a library call a byte on every statement the session sends.
bool is_blank(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// The text after leading blanks and comments.
std::string_view skip_blanks(std::string_view sql) {
  for (;;) {
    while (!sql.empty() && is_blank(sql.front())) sql.remove_prefix(1);
    if (sql.substr(0, 2) == "--") {
      const size_t end = sql.find('\n');
      sql.remove_prefix(end == std::string_view::npos ? sql.size() : end);
    } else if (sql.substr(0, 2) == "/*") {
      const size_t end = sql.find("*/");
      if (end == std::string_view::npos) return {};
      sql.remove_prefix(end + 2);
    } else {
      return sql;
    }
  }
}

bool is_word(std::string_view word, std::string_view keyword) {
  return word.size() == keyword.size() && std::equal(word.begin(), word.end(), keyword.begin(), [](char a, char b) {
           return upper(a) == b;
         });
}

}  // namespace

BlockBegun::Kind BlockBegun::kind_of(std::string_view sql) {
  sql = skip_blanks(sql);
  size_t n = 0;
  while (n < sql.size() && is_letter(sql[n])) ++n;
  const std::string_view word = sql.substr(0, n);
  if (is_word(word, "BEGIN") || is_word(word, "START")) return Kind::Begin;
  // PREPARE TRANSACTION ends the block, PREPARE name AS does not: either way not surely a block.
  for (const char* end : {"COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE"})
    if (is_word(word, end)) return Kind::End;
  return Kind::Other;
}

BlockBegun::Kind BlockBegun::find(const std::vector<std::pair<std::string, Kind>>& names,
                                  std::string_view name) const {
  for (const auto& [n, kind] : names)
    if (n == name) return kind;
  return Kind::Other;
}

void BlockBegun::set(std::vector<std::pair<std::string, Kind>>& names, std::string_view name, Kind kind) {
  std::erase_if(names, [&](const auto& entry) { return entry.first == name; });
  if (kind != Kind::Other) names.emplace_back(name, kind);
}

void BlockBegun::note(const protocol::Frame& f) {
  switch (f.code) {
    case protocol::Sync::kCode: case protocol::Query::kCode: case protocol::FunctionCall::kCode:
      begun_ = false;  // the batch's end: its ReadyForQuery says what the server is in
      return;
    case protocol::Parse::kCode: case protocol::Bind::kCode: case protocol::Execute::kCode: break;
    default: return;
  }
  const auto names = protocol::leading_names(f.code, f.body);
  if (!names) return;
  if (f.code == protocol::Parse::kCode) {
    const Kind kind = kind_of(names->second);
    if (kind != Kind::Other || !statements_.empty()) set(statements_, names->first, kind);
  } else if (f.code == protocol::Bind::kCode) {
    if (!statements_.empty() || !portals_.empty()) set(portals_, names->first, find(statements_, names->second));
  } else if (!portals_.empty()) {
    const Kind kind = find(portals_, names->first);
    if (kind != Kind::Other) begun_ = kind == Kind::Begin;
  }
}

}  // namespace blueshift::proxy
