#include "rewrite/staged_text.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>

#include "rewrite/identifiers.h"

namespace blueshift::rewrite::staged {

using pg::Token;
using pg::TokenKind;

PlanPtr refusal(std::string message, std::string hint, std::string sqlstate) {
  auto plan = std::make_shared<Plan>();
  plan->refusal = PlanStep::Error{std::move(sqlstate), std::move(message), std::move(hint)};
  return plan;
}

PlanStep step(std::string sql, PlanStep::Replies replies, bool params) {
  PlanStep s;
  s.sql = std::move(sql);
  s.replies = replies;
  s.uses_params = params;
  return s;
}

std::vector<PlanStep> lock_steps(std::string_view table, bool advisory) {
  std::vector<PlanStep> out(1, step("LOCK " + std::string(table)));
  out.back().block_only = true;
  if (!advisory) return out;
  // The name as the client wrote it, as an escaped string (E'' reads the same whatever
  // standard_conforming_strings says); the key's first half marks the lock as Blueshift's.
  std::string literal = "E'";
  for (const char ch : table) {
    if (ch == '\\' || ch == '\'') literal += ch;
    literal += ch;
  }
  out.push_back(step("SELECT pg_advisory_xact_lock(1651275109, " + literal + "'::regclass::oid::int)"));
  out.back().implicit_only = true;
  return out;
}

namespace {
constexpr std::string_view kJoins[] = {"enable_hashjoin", "enable_mergejoin"};
}  // namespace

PlanStep joins_probe_indexes() {
  std::string sql = "SELECT ";
  for (const std::string_view j : kJoins)
    sql += "set_config('blueshift_staged." + std::string(j) + "', current_setting('" + std::string(j) + "'), true), ";
  for (const std::string_view j : kJoins) sql += "set_config('" + std::string(j) + "', 'off', true), ";
  sql.resize(sql.size() - 2);
  return step(std::move(sql));
}

PlanStep joins_restored() {
  std::string sql = "SELECT ";
  for (const std::string_view j : kJoins)
    sql += "set_config('" + std::string(j) + "', current_setting('blueshift_staged." + std::string(j) + "'), true), ";
  sql.resize(sql.size() - 2);
  return step(std::move(sql));
}

bool has_param(const ProtobufCMessage* m) {
  if (m == nullptr) return false;
  if (pg::is_node(m) && IS(reinterpret_cast<const PgQuery__Node*>(m), PARAM_REF)) return true;
  bool found = false;
  pg::for_each_child(m, [&](const ProtobufCMessage* c) { found = found || has_param(c); });
  return found;
}

size_t token_at(const std::vector<Token>& tokens, int offset) {
  return static_cast<size_t>(
      std::lower_bound(tokens.begin(), tokens.end(), offset, [](const Token& t, int o) { return t.start < o; }) -
      tokens.begin());
}

size_t past_name(const std::vector<Token>& tokens, size_t i) {
  const auto part = [&](size_t j) {
    return j < tokens.size() && (tokens[j].kind == TokenKind::Word || tokens[j].kind == TokenKind::QuotedIdent);
  };
  if (!part(i)) return i;
  ++i;
  while (i + 1 < tokens.size() && tokens[i].kind == TokenKind::Dot && part(i + 1)) i += 2;
  return i;
}

size_t past_group(const std::vector<Token>& tokens, size_t i) {
  int depth = 0;
  for (; i < tokens.size(); ++i) {
    if (tokens[i].kind == TokenKind::LParen) ++depth;
    if (tokens[i].kind == TokenKind::RParen && --depth == 0) return i + 1;
  }
  return i;
}

std::optional<size_t> find_word(const std::vector<Token>& tokens, size_t i, int end, std::string_view word) {
  int depth = 0;
  for (; i < tokens.size() && tokens[i].start < end; ++i) {
    if (tokens[i].kind == TokenKind::LParen) ++depth;
    if (tokens[i].kind == TokenKind::RParen) --depth;
    if (depth == 0 && tokens[i].kind == TokenKind::Word && tokens[i].word == word) return i;
  }
  return std::nullopt;
}

std::string cut(std::string_view sql, int begin, int end) {
  std::string_view s = sql.substr(static_cast<size_t>(begin), static_cast<size_t>(std::max(end - begin, 0)));
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

int characters(std::string_view utf8) {
  return static_cast<int>(std::count_if(utf8.begin(), utf8.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string key_match(const std::vector<std::string>& keys, std::string_view left, std::string_view right) {
  std::string out;
  for (const std::string& k : keys) {
    if (!out.empty()) out += " AND ";
    out += std::string(left) + "." + k + " = " + std::string(right) + "." + k;
  }
  return out;
}

std::string stage_name(std::string_view kind) {
  static std::atomic<uint64_t> next{0};
  return quote_identifier("blueshift_" + std::string(kind) + "_" + std::to_string(next.fetch_add(1) + 1));
}

PlanPtr built_twice(const std::vector<std::string>& stages,
                    const std::function<PlanPtr(const std::vector<std::string>&)>& build) {
  const PlanPtr ran = build(stages);
  if (!ran || ran->refusal) return ran;
  std::vector<std::string> temporary;
  for (const std::string& stage : stages) temporary.push_back("pg_temp." + stage);
  const PlanPtr checked = build(temporary);
  auto plan = std::make_shared<Plan>(*ran);
  for (size_t i = 0; i < plan->steps.size() && i < checked->steps.size(); ++i)
    plan->steps[i].checked = checked->steps[i].sql;
  return plan;
}

}  // namespace blueshift::rewrite::staged
