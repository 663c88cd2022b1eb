// The one place where the words a refused (or warned) person reads are put together:
// message, DETAIL and HINT for every rule type, so they stay consistent and each says
// what was found and how to fix the query.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policies/policy_set.h"

namespace blueshift::policies::text {

// `blueshift: <subject> refused by rule "<name>" (<type>)` (enforce), "breaks rule" (warn),
// "matched rule" (audit). subject: "query on spectrum_schema.sales", "DELETE on public.t".
[[nodiscard]] std::string message(const Rule& rule, const std::string& subject);
[[nodiscard]] std::string query_on(const std::string& table);
[[nodiscard]] std::string statement_on(rewrite::StatementKind kind, const std::string& table);

// What one partition column looks like in a scan.
struct ColumnState {
  std::string column;
  bool finite = false;
  std::string bound;  // describe_bound text, "" when the column is not restricted at all
};

[[nodiscard]] std::string partitions_match(int64_t n);  // "1 partition matches", "12 partitions match"

// require_partition_filter
[[nodiscard]] std::string filter_detail(const std::vector<ColumnState>& columns, std::optional<int64_t> matching);
[[nodiscard]] std::string filter_hint(const std::string& table, const std::vector<std::string>& required,
                                      const std::vector<std::string>& partition_columns, bool any_one);
// max_partitions
// combinations: how an OR pairs up partition columns ("(year = 2024 AND month = 1) OR
// (year = 2023 AND month = 12)"), which the per-column bounds alone do not show.
[[nodiscard]] std::string max_detail(int64_t matching, int64_t limit, const std::vector<ColumnState>& columns,
                                     const std::vector<std::string>& combinations = {});
[[nodiscard]] std::string max_hint(const std::string& table, const std::vector<std::string>& partition_columns,
                                   int64_t limit);
[[nodiscard]] std::string max_unknown_note(const std::string& table);
// appended to filter_hint when comparisons the warehouse does not prune on were ignored
[[nodiscard]] std::string unpruned_hint(const std::string& column);
// deny_select_star
[[nodiscard]] std::string star_detail(const std::string& table, bool external);
[[nodiscard]] std::string star_hint();
// deny_statements
[[nodiscard]] std::string statements_detail(rewrite::StatementKind kind, const Rule& rule, const std::string& user);
// Targets unknown, and `schema` (a rule schema) is named in the statement or on its search_path.
[[nodiscard]] std::string statements_untargeted_detail(rewrite::StatementKind kind, const Rule& rule,
                                                       const std::string& user, const std::string& schema);
// The statement may act on every schema, for the reason given.
[[nodiscard]] std::string statements_any_schema_detail(rewrite::StatementKind kind, const Rule& rule,
                                                       const std::string& user, const std::string& why);
[[nodiscard]] std::string statements_hint(const Rule& rule);
// fail closed on text the parser rejected
[[nodiscard]] std::string unanalysed_message(const Rule& rule, const std::string& subject);
[[nodiscard]] std::string unanalysed_detail(const std::string& parser_error);
[[nodiscard]] std::string unanalysed_hint();
// code inside a statement that is not analysed (a DO block or function body)
[[nodiscard]] std::string opaque_detail(const std::string& what, const std::string& dynamic);
[[nodiscard]] std::string opaque_hint();
// a call of a function that runs SQL text (query_to_xml, dblink, ...)
[[nodiscard]] std::string sql_text_detail(const std::string& function);
[[nodiscard]] std::string sql_text_hint(const std::string& function);
// fail closed on a table that may be governed while the catalog has not loaded
[[nodiscard]] std::string catalog_missing_message(const Rule& rule, const std::string& subject);
[[nodiscard]] std::string catalog_missing_detail(const std::string& table);
[[nodiscard]] std::string catalog_missing_hint();

}  // namespace blueshift::policies::text
