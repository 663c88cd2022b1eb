#include "rewrite/sql_prepared.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "rewrite/pg_parser.h"
#include "rewrite/quick_lexer.h"

namespace blueshift::rewrite {
namespace {

// Texts up to this nesting bound parse on the caller's stack (as the analyzer parses them
// inline); deeper ones are not read here.
constexpr int kMaxNesting = 256;
constexpr uint32_t kNumeric = 1700;

SqlArgument argument_of(const PgQuery__Node* n) {
  SqlArgument a;
  if (IS(n, PARAM_REF)) {
    a.kind = SqlArgument::Kind::Param;
    a.param = n->param_ref->number;
    return a;
  }
  if (!IS(n, A_CONST)) return a;  // Unknown
  const PgQuery__AConst* c = n->a_const;
  if (c->isnull) {
    a.kind = SqlArgument::Kind::Null;
    return a;
  }
  a.kind = SqlArgument::Kind::Constant;
  switch (c->val_case) {
    case PG_QUERY__A__CONST__VAL_IVAL: a.text = std::to_string(c->ival->ival); break;
    case PG_QUERY__A__CONST__VAL_BOOLVAL: a.text = c->boolval->boolval ? "true" : "false"; break;
    case PG_QUERY__A__CONST__VAL_SVAL: a.text = std::string(pg::sv(c->sval->sval)); break;
    // A decimal (2024.5, or an integer too long for int4) becomes the parameter's type
    // with rounding the proxy does not model: unknown.
    default: a.kind = SqlArgument::Kind::Unknown; break;
  }
  return a;
}

uint32_t type_of(const PgQuery__Node* n) {
  if (!IS(n, TYPE_NAME)) return kNumeric;
  const PgQuery__TypeName* t = n->type_name;
  std::string name(pg::last_name(t->names, t->n_names));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return prepare_type_oid(name, t->n_array_bounds > 0 || t->setof || t->pct_type);
}

// The text after PREPARE's AS: the first AS at bracket depth 0 of the statement.
std::string prepared_body(const std::string& text, int begin, int end) {
  std::vector<pg::Token> tokens;
  std::string error;
  const std::string statement = text.substr(begin, end - begin);
  if (!pg::scan(statement, &tokens, &error)) return {};
  int depth = 0;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    const pg::Token& t = tokens[i];
    if (t.kind == pg::TokenKind::LParen) ++depth;
    if (t.kind == pg::TokenKind::RParen) --depth;
    if (depth == 0 && t.kind == pg::TokenKind::Word && t.word == "as") {
      const int from = tokens[i + 1].start;
      return statement.substr(from);
    }
  }
  return {};
}

SqlPreparedStep execute_step(const PgQuery__ExecuteStmt* e) {
  SqlPreparedStep s;
  s.kind = SqlPreparedStep::Kind::Execute;
  s.name = pg::sv(e->name);
  for (size_t i = 0; i < e->n_params; ++i) s.args.push_back(argument_of(e->params[i]));
  return s;
}

// EXECUTE itself, or under EXPLAIN [ANALYZE] and CREATE TABLE ... AS, which run it.
const PgQuery__ExecuteStmt* execute_in(const PgQuery__Node* n) {
  for (int hops = 0; n != nullptr && hops < 4; ++hops) {
    if (IS(n, EXECUTE_STMT)) return n->execute_stmt;
    if (IS(n, EXPLAIN_STMT)) n = n->explain_stmt->query;
    else if (IS(n, CREATE_TABLE_AS_STMT)) n = n->create_table_as_stmt->query;
    else return nullptr;
  }
  return nullptr;
}

}  // namespace

uint32_t prepare_type_oid(std::string_view name, bool array) {
  static constexpr std::array<std::pair<std::string_view, uint32_t>, 16> kKnown = {{
      {"int2", 21}, {"smallint", 21}, {"int4", 23}, {"int", 23}, {"integer", 23}, {"int8", 20}, {"bigint", 20},
      {"text", 25}, {"varchar", 1043}, {"bpchar", 1042}, {"date", 1082}, {"timestamp", 1114},
      {"timestamptz", 1184}, {"bool", 16}, {"float4", 700}, {"float8", 701},
  }};
  if (array) return kNumeric;
  for (const auto& [known, oid] : kKnown) {
    if (known == name) return oid;
  }
  return kNumeric;
}

bool may_use_sql_prepared(StatementWords words) {
  return (words & (kWordPrepare | kWordExecute | kWordDeallocate | kWordDiscard)) != 0;
}

SqlPreparedText scan_sql_prepared(std::string_view sql) {
  SqlPreparedText out;
  const std::string text(sql.substr(0, sql.find('\0')));
  if (nesting_bound(text) > kMaxNesting) {
    out.unread = true;
    return out;
  }
  const pg::ParseOutcome parsed = pg::parse(text);
  if (!parsed.tree) return out;  // the server rejects the whole text too
  out.statements = parsed.tree->n_stmts;
  for (size_t i = 0; i < parsed.tree->n_stmts; ++i) {
    const PgQuery__RawStmt* raw = parsed.tree->stmts[i];
    const PgQuery__Node* n = raw->stmt;
    SqlPreparedStep s;
    if (IS(n, PREPARE_STMT)) {
      const PgQuery__PrepareStmt* p = n->prepare_stmt;
      s.kind = SqlPreparedStep::Kind::Prepare;
      s.tag = "PREPARE";
      s.name = pg::sv(p->name);
      for (size_t k = 0; k < p->n_argtypes; ++k) s.param_types.push_back(type_of(p->argtypes[k]));
      const int end = raw->stmt_len == 0 ? static_cast<int>(text.size()) : raw->stmt_location + raw->stmt_len;
      s.query = prepared_body(text, raw->stmt_location, end);
    } else if (IS(n, DEALLOCATE_STMT)) {
      s.name = pg::sv(n->deallocate_stmt->name);
      s.kind = s.name.empty() ? SqlPreparedStep::Kind::DeallocateAll : SqlPreparedStep::Kind::Deallocate;
      s.tag = s.name.empty() ? "DEALLOCATE ALL" : "DEALLOCATE";
    } else if (IS(n, DISCARD_STMT) && n->discard_stmt->target == PG_QUERY__DISCARD_MODE__DISCARD_ALL) {
      s.kind = SqlPreparedStep::Kind::DeallocateAll;
      s.tag = "DISCARD ALL";
    } else if (const PgQuery__ExecuteStmt* e = execute_in(n)) {
      s = execute_step(e);
    } else {
      continue;
    }
    out.steps.push_back(std::move(s));
  }
  return out;
}

}  // namespace blueshift::rewrite
