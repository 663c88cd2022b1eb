#include "rewrite/proxy_statement.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include "rewrite/pg_parser.h"

namespace blueshift::rewrite {
namespace {

// Every proxy setting is "blueshift.<name>": anchor on the dots (memchr, fast), then look
// back over white space for the word. A form this misses (a comment before the dot) goes
// upstream, which rejects the unknown parameter: never a way around anything.
bool mentions_blueshift(std::string_view sql) {
  constexpr std::string_view word = "blueshift";
  const char* const begin = sql.data();
  const char* const end = begin + sql.size();
  for (const char* dot = begin; (dot = static_cast<const char*>(std::memchr(dot, '.', end - dot))) != nullptr; ++dot) {
    const char* p = dot;
    while (p > begin && std::isspace(static_cast<unsigned char>(p[-1]))) --p;
    if (p - begin < static_cast<std::ptrdiff_t>(word.size())) continue;
    const char* w = p - word.size();
    bool same = true;
    for (size_t k = 0; k < word.size() && same; ++k) same = (w[k] | 0x20) == word[k];
    if (same) return true;
  }
  return false;
}

bool is_proxy_name(std::string_view name) {
  return name.size() > kProxySettingPrefix.size() && name.substr(0, kProxySettingPrefix.size()) == kProxySettingPrefix;
}

// The text of one SET argument as SHOW would print it.
std::string const_text(const PgQuery__Node* n) {
  if (!IS(n, A_CONST)) return {};
  const PgQuery__AConst* c = n->a_const;
  switch (c->val_case) {
    case PG_QUERY__A__CONST__VAL_IVAL: return std::to_string(c->ival->ival);
    case PG_QUERY__A__CONST__VAL_FVAL: return std::string(pg::sv(c->fval->fval));
    case PG_QUERY__A__CONST__VAL_BOOLVAL: return c->boolval->boolval ? "on" : "off";
    case PG_QUERY__A__CONST__VAL_SVAL: return std::string(pg::sv(c->sval->sval));
    default: return {};
  }
}

// The proxy statement a parsed statement is, if any; *unsupported says why a blueshift.*
// statement cannot be taken.
std::optional<ProxyStatement> proxy_statement_of(const PgQuery__Node* stmt, std::string* unsupported) {
  ProxyStatement out;
  if (IS(stmt, VARIABLE_SHOW_STMT)) {
    out.name = pg::sv(stmt->variable_show_stmt->name);
    if (!is_proxy_name(out.name)) return std::nullopt;
    out.action = ProxyStatement::Action::Show;
    return out;
  }
  if (!IS(stmt, VARIABLE_SET_STMT)) return std::nullopt;
  const PgQuery__VariableSetStmt* s = stmt->variable_set_stmt;
  out.name = pg::sv(s->name);
  if (!is_proxy_name(out.name)) return std::nullopt;
  switch (s->kind) {
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE:
      out.action = ProxyStatement::Action::Set;
      for (size_t i = 0; i < s->n_args; ++i) {
        if (i > 0) out.value += ", ";
        out.value += const_text(s->args[i]);
      }
      return out;
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
      out.action = ProxyStatement::Action::Set;
      out.to_default = true;
      return out;
    case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
      out.action = ProxyStatement::Action::Reset;
      return out;
    default:
      *unsupported = "blueshift: SET " + out.name + " FROM CURRENT is not supported";
      return std::nullopt;
  }
}

}  // namespace

ProxyStatementScan scan_proxy_statement(std::string_view sql) {
  ProxyStatementScan scan;
  if (!mentions_blueshift(sql)) return scan;
  if (sql.find('\0') != std::string_view::npos) return scan;
  const pg::ParseOutcome parsed = pg::parse(std::string(sql));
  if (!parsed.tree) return scan;  // unparsable: the upstream answers with its own error
  size_t found = 0;
  std::string unsupported;
  for (size_t i = 0; i < parsed.tree->n_stmts; ++i) {
    auto statement = proxy_statement_of(parsed.tree->stmts[i]->stmt, &unsupported);
    if (!statement && unsupported.empty()) continue;
    if (++found == 1 && statement) scan.statement = std::move(*statement);
  }
  if (found == 0) return scan;
  if (!unsupported.empty()) {
    scan.kind = ProxyStatementScan::Kind::Mixed;
    scan.error = unsupported;
  } else if (found > 1 || parsed.tree->n_stmts > 1) {
    scan.kind = ProxyStatementScan::Kind::Mixed;
    scan.error = "blueshift: SET, RESET and SHOW of blueshift.* settings must be sent on their own, "
                 "not with other statements in the same query";
  } else {
    scan.kind = ProxyStatementScan::Kind::Single;
  }
  return scan;
}

}  // namespace blueshift::rewrite
