#include "rewrite/copy_upsert.h"

#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "rewrite/identifiers.h"
#include "rewrite/pg_parser.h"
#include "rewrite/staged_text.h"

namespace blueshift::rewrite {
namespace {

using pg::Token;
using pg::TokenKind;
using staged::cut;
using staged::refusal;
using staged::step;

constexpr std::string_view kMarker = "blueshift:upsert";
constexpr std::string_view kKeyHint =
    "Name the key as /* blueshift:upsert key=(col, ...) */ in the COPY, or SET blueshift.copy_upsert_key = "
    "'col, ...'.";

// The text after the marker in the first /* blueshift:upsert ... */ comment. Comments lie
// between the scanner's tokens, which leave them out.
std::optional<std::string_view> marker_comment(std::string_view sql, const std::vector<Token>& tokens) {
  size_t from = 0;
  for (size_t i = 0; i <= tokens.size(); ++i) {
    const size_t to = i < tokens.size() ? static_cast<size_t>(tokens[i].start) : sql.size();
    const std::string_view gap = sql.substr(from, to - from);
    for (size_t open = gap.find("/*"); open != std::string_view::npos; open = gap.find("/*", open + 2)) {
      std::string_view body = gap.substr(open + 2, gap.find("*/", open + 2) - open - 2);
      while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front()))) body.remove_prefix(1);
      if (body.starts_with(kMarker)) return body.substr(kMarker.size());
    }
    if (i < tokens.size()) from = static_cast<size_t>(tokens[i].end);
  }
  return std::nullopt;
}

// The column names of tokens [i, end), `a, "B"`, quoted for SQL; empty when they are not
// such a list.
std::vector<std::string> columns(std::string_view text, const std::vector<Token>& t, size_t i, size_t end) {
  std::vector<std::string> out;
  for (; i < end; i += 2) {
    if (t[i].kind == TokenKind::Word && !t[i].reserved) {
      out.push_back(quote_identifier(t[i].word));
    } else if (t[i].kind == TokenKind::QuotedIdent) {
      out.emplace_back(text.substr(static_cast<size_t>(t[i].start), static_cast<size_t>(t[i].end - t[i].start)));
    } else {
      return {};
    }
    if (i + 1 < end && (t[i + 1].kind != TokenKind::Comma || i + 2 == end)) return {};
  }
  return out;
}

// The key of a marker comment (`key=(a, b)`) or of the session setting (`a, b`).
std::vector<std::string> read_key(std::string_view spec, bool comment) {
  const std::string text(spec);
  std::vector<Token> t;
  std::string error;
  if (!pg::scan(text, &t, &error)) return {};
  if (!comment) return columns(text, t, 0, t.size());
  const bool framed = t.size() >= 4 && t[0].word == "key" && t[1].kind == TokenKind::Op &&
                      text.substr(static_cast<size_t>(t[1].start), 1) == "=" && t[1].end == t[1].start + 1 &&
                      t[2].kind == TokenKind::LParen && staged::past_group(t, 2) == t.size();
  return framed ? columns(text, t, 3, t.size() - 1) : std::vector<std::string>{};
}

// A `COPY t [(cols)] FROM source [options]` at the start of the text.
struct Copy {
  size_t after_name = 0;  // the token after the target's name
  bool from_stdin = false;
  int end = 0;            // where the statement's text ends (before a ';')
  bool more = false;      // another statement follows
};

bool read_copy(const std::vector<Token>& t, Copy* c) {
  if (t.size() < 4 || t[0].kind != TokenKind::Word || t[0].word != "copy") return false;
  c->after_name = staged::past_name(t, 1);
  size_t i = c->after_name;
  if (i == 1) return false;
  if (i < t.size() && t[i].kind == TokenKind::LParen) i = staged::past_group(t, i);
  if (i + 1 >= t.size() || t[i].word != "from") return false;
  c->from_stdin = t[i + 1].kind == TokenKind::Word && t[i + 1].word == "stdin";
  size_t last = i + 1;
  while (last + 1 < t.size() && t[last + 1].kind != TokenKind::Semicolon) ++last;
  c->end = t[last].end;
  for (size_t k = last + 1; k < t.size(); ++k) c->more = c->more || t[k].kind != TokenKind::Semicolon;
  return true;
}

// PostgreSQL's ON CONFLICT DO UPDATE fails with 21000 on a key it meets twice; so does
// the COPY (rather than a silent "last wins"), changing nothing. NULL keys never meet.
PlanStep duplicate_check(const std::vector<std::string>& keys, const std::string& stage) {
  std::string not_null, list;
  for (const std::string& k : keys) {
    not_null += (not_null.empty() ? "" : " AND ") + k + " IS NOT NULL";
    list += (list.empty() ? "" : ", ") + k;
  }
  PlanStep s = step("SELECT count(*) / 0 FROM (SELECT 1 AS blueshift_one FROM " + stage + " WHERE " + not_null +
                    " GROUP BY " + list + " HAVING count(*) > 1) AS blueshift_twice HAVING count(*) > 0");
  s.error_as = PlanStep::Error{"21000", std::string(kCopyKeyTwice),
                               "Ensure that no rows of the COPY have duplicate values of the upsert key."};
  return s;
}

// The staged rows replace the target's rows of their keys, under LOCK (COPY runs in the
// simple protocol only: always in a block, where LOCK runs).
void merge_steps(const std::string& table, const std::string& relname, const std::string& stage,
                 const std::vector<std::string>& keys, Warehouse warehouse, Plan* plan) {
  plan->steps.push_back(duplicate_check(keys, stage));
  plan->steps.push_back(staged::lock_steps(table, false).front());
  // PostgreSQL: the DELETE probes t's index per staged row (staged_text.h); it read all of
  // t for every COPY, 0.36 of native's rows/s into 100,000 rows.
  if (warehouse == Warehouse::PostgreSQL) plan->steps.push_back(staged::joins_probe_indexes());
  plan->steps.push_back(step("DELETE FROM " + table + " USING " + stage + " WHERE " +
                             staged::key_match(keys, relname, stage)));
  if (warehouse == Warehouse::PostgreSQL) plan->steps.push_back(staged::joins_restored());
  plan->steps.push_back(step("INSERT INTO " + table + " SELECT * FROM " + stage));
}

PlanPtr build(std::string_view sql, const std::vector<Token>& t, const Copy& c, const std::vector<std::string>& keys,
              Warehouse warehouse, const std::string& stage) {
  const std::string table = cut(sql, t[1].start, t[c.after_name - 1].end);
  const std::string relname = cut(sql, t[c.after_name - 1].start, t[c.after_name - 1].end);
  auto plan = std::make_shared<Plan>();
  plan->tag = "COPY {rows}";
  plan->copy_in = c.from_stdin;
  plan->target = table;
  plan->form = "copy";
  const std::string create = "CREATE TEMP TABLE " + stage + " (LIKE " + table + " INCLUDING DEFAULTS)";
  // The client's own COPY, its target spliced to the staging table.
  const std::string load = "COPY " + stage + " " + cut(sql, t[c.after_name].start, c.end);
  if (c.from_stdin) {
    // One text: a COPY that fails takes the staging table with it (one implicit transaction).
    plan->steps.push_back(step(create + "; " + load, PlanStep::Replies::Count));
  } else {
    plan->steps.push_back(step(create));
    plan->steps.push_back(step(load, PlanStep::Replies::Count));
  }
  merge_steps(table, relname, stage, keys, warehouse, plan.get());
  plan->steps.push_back(step((c.from_stdin ? "DROP TABLE IF EXISTS " : "DROP TABLE ") + stage));
  return plan;
}

}  // namespace

bool may_plan_copy_upsert(StatementWords words) { return (words & kWordCopy) != 0; }

PlanPtr plan_copy_upsert(std::string_view sql, const UpsertTargets& rewrites, std::string_view session_key,
                         Warehouse warehouse) {
  if (!may_plan_copy_upsert(statement_words(sql))) return nullptr;
  const std::string text(sql);
  std::vector<Token> t;
  std::string error;
  Copy c;
  if (!pg::scan(text, &t, &error) || !read_copy(t, &c)) return nullptr;
  const std::optional<std::string_view> comment = marker_comment(sql, t);
  if (!comment && session_key.empty()) return nullptr;
  const std::vector<std::string> keys = comment ? read_key(*comment, true) : read_key(session_key, false);
  if (keys.empty()) return refusal("blueshift: cannot read the upsert COPY's key", std::string(kKeyHint), "42601");
  if (c.more)
    return refusal("blueshift: an upsert COPY must be the only statement of its query",
                   "Send the COPY in a query of its own.");
  const std::vector<std::string> name = written_name_at(sql, t[1].start, true);
  if (name.empty() || (rewrites && !rewrites(name.size() > 1 ? name[name.size() - 2] : "", name.back())))
    return refusal("blueshift: upserts are not enabled for table " + cut(sql, t[1].start, t[c.after_name - 1].end),
                   "List the table in the proxy's upserts.tables, or load it with a plain COPY.");
  if (c.from_stdin && warehouse == Warehouse::Redshift)
    return refusal("blueshift: Redshift cannot COPY FROM STDIN",
                   "Load the rows from S3 (COPY t FROM 's3://...') with the same upsert key.");
  return staged::built_twice({staged::stage_name("copy")}, [&](const std::vector<std::string>& stages) {
    return build(sql, t, c, keys, warehouse, stages.front());
  });
}

}  // namespace blueshift::rewrite
