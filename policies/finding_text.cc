#include "policies/finding_text.h"

#include <algorithm>
#include <cctype>

namespace blueshift::policies::text {
namespace {

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

std::string upper_kind(rewrite::StatementKind kind) {
  std::string s = kind_name(kind);
  for (auto& c : s) c = c == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string message(const Rule& rule, const std::string& subject) {
  const char* verb = rule.mode == Mode::Enforce ? "refused by" : rule.mode == Mode::Warn ? "breaks" : "matched";
  return "blueshift: " + subject + " " + verb + " rule \"" + rule.name + "\" (" + to_string(rule.type) + ")";
}

std::string query_on(const std::string& table) { return "query on " + table; }

std::string statement_on(rewrite::StatementKind kind, const std::string& table) {
  return upper_kind(kind) + (table.empty() ? std::string(" statement") : " on " + table);
}

std::string partitions_match(int64_t n) {
  return std::to_string(n) + (n == 1 ? " partition matches" : " partitions match");
}

std::string filter_detail(const std::vector<ColumnState>& columns, std::optional<int64_t> matching) {
  // "year is bounded (year = 2024), month is not": after the first clause, an
  // unrestricted column is said in short.
  std::vector<std::string> parts;
  for (const auto& c : columns) {
    if (c.finite) {
      parts.push_back(c.column + " is bounded (" + c.bound + ")");
    } else if (!c.bound.empty()) {
      parts.push_back(c.column + " is not bounded to a finite set of values (" + c.bound + ")");
    } else {
      parts.push_back(c.column + (parts.empty() ? " is not bounded" : " is not"));
    }
  }
  std::string out = join(parts, ", ");
  if (matching) out += "; " + partitions_match(*matching);
  return out;
}

std::string filter_hint(const std::string& table, const std::vector<std::string>& required,
                        const std::vector<std::string>& partition_columns, bool any_one) {
  std::vector<std::string> eqs;
  for (const auto& c : required) eqs.push_back(c + " = ...");
  const std::string where = any_one ? "add a filter on one of them, e.g. WHERE " + eqs.front()
                                    : "add WHERE " + join(eqs, " AND ");
  return where + " (partition columns of " + table + ": " + join(partition_columns, ", ") + ")";
}

std::string max_detail(int64_t matching, int64_t limit, const std::vector<ColumnState>& columns,
                       const std::vector<std::string>& combinations) {
  std::string out = std::to_string(matching) + (matching == 1 ? " partition matches" : " partitions match") +
                    ", the limit is " + std::to_string(limit);
  std::vector<std::string> found;
  for (const auto& c : columns) {
    if (!c.bound.empty()) found.push_back(c.bound);
  }
  std::string text = join(found, ", ");
  if (!combinations.empty()) {
    text += (text.empty() ? "" : "; in combination: ") + join(combinations, " AND ");
  }
  if (!text.empty()) out += " (filter found: " + text + ")";
  return out;
}

std::string max_hint(const std::string& table, const std::vector<std::string>& partition_columns, int64_t limit) {
  return "narrow the filter on " + join(partition_columns, ", ") + " (partition columns of " + table +
         ") so that at most " + std::to_string(limit) + (limit == 1 ? " partition matches" : " partitions match") +
         ", or split the query";
}

std::string max_unknown_note(const std::string& table) {
  return "the partitions of " + table + " are not known (it is not an external table of the loaded catalog), "
         "so max_partitions was not checked";
}

std::string star_detail(const std::string& table, bool external) {
  return "SELECT * reads every column of " + table +
         (external ? "; external tables are billed by the columns a query reads"
                   : "; columnar storage is billed by the columns a query reads");
}

std::string star_hint() { return "name the columns you need instead of *"; }

std::string statements_detail(rewrite::StatementKind kind, const Rule& rule, const std::string& user) {
  std::string out = upper_kind(kind) + " statements";
  if (!rule.schemas.empty()) {
    out += " on " + std::string(rule.schemas.size() == 1 ? "schema " : "schemas ") + join(rule.schemas, ", ");
  }
  return out + " are not allowed for user " + user;
}

std::string statements_untargeted_detail(rewrite::StatementKind kind, const Rule& rule, const std::string& user,
                                         const std::string& schema) {
  return statements_detail(kind, rule, user) + ": the proxy cannot tell which objects this one acts on, and schema " +
         schema + " is named in it or on its search_path";
}

std::string statements_any_schema_detail(rewrite::StatementKind kind, const Rule& rule, const std::string& user,
                                         const std::string& why) {
  return statements_detail(kind, rule, user) + ", and this one may act on every schema: " + why;
}

std::string statements_hint(const Rule& rule) {
  return "ask an administrator to run it, or to change rule \"" + rule.name + "\"";
}

std::string unanalysed_message(const Rule& rule, const std::string& subject) {
  return message(rule, subject) + ": the proxy could not analyse it";
}

std::string unanalysed_detail(const std::string& parser_error) {
  return parser_error.empty() ? "the SQL parser rejected the statement"
                              : "the SQL parser rejected the statement: " + parser_error;
}

std::string opaque_detail(const std::string& what, const std::string& dynamic) {
  if (!dynamic.empty()) return "the proxy does not analyse " + what + ", and it cannot check it by its names: " + dynamic;
  return "the proxy does not analyse " + what + ", and it names what the rule protects";
}

std::string opaque_hint() {
  return "run the statements themselves rather than inside a DO block or function, so the proxy can check them, or "
         "ask an administrator to create the function";
}

std::string unpruned_hint(const std::string& c) {
  return "; the warehouse prunes partitions only when the column itself is compared with a value of its own type: " +
         c + " = 2024, " + c + " IN (2023, 2024), " + c + " BETWEEN 2023 AND 2024, " + c +
         " = '2024' or a parameter of that type, not " + c + " = 2024.0, " + c + " = 2024::numeric, a numeric or "
         "float parameter, or IS NOT DISTINCT FROM";
}

std::string sql_text_detail(const std::string& function) {
  return function + " runs SQL text (or reads a table named in text) that the proxy does not analyse";
}

std::string sql_text_hint(const std::string& function) {
  return "run the query itself rather than through " + function + ", so the proxy can check it";
}

std::string unanalysed_hint() {
  return "check the statement's syntax; a statement that names a governed table must be understood by the proxy "
         "before it runs";
}

std::string catalog_missing_message(const Rule& rule, const std::string& subject) {
  return message(rule, subject) + ": the warehouse catalog has not loaded yet";
}

std::string catalog_missing_detail(const std::string& table) {
  return "the proxy could not read the warehouse catalog, so it cannot tell whether " + table +
         " is a governed external table or which partitions it has";
}

std::string catalog_missing_hint() {
  return "try again in a minute: the proxy retries loading the catalog; an administrator can check its catalog "
         "connection";
}

}  // namespace blueshift::policies::text
