// Facts in one line of text, for logs, audit lines and table-driven tests:
//   "Select: read spectrum_schema.sales AS s WHERE year = 2024 AND month IN (1, 2)"
// A statement lists its reads (with bounds per column, in column order), then writes,
// other objects ("object schema prod"), "any schema", "targets unknown", "opaque" (or
// "opaque dynamic"), then a search_path change; statements of one text are joined by " | ".
#pragma once

#include <string>

#include "rewrite/facts.h"

namespace blueshift::rewrite {

[[nodiscard]] std::string describe(const TableRef& table);
// "read schema.table [AS alias] [WHERE col-bound AND ... [AND (disjunction) ...]]"
[[nodiscard]] std::string describe(const Scan& scan);
[[nodiscard]] std::string describe(const StatementFacts& statement);
[[nodiscard]] std::string describe(const QueryFacts& facts);

}  // namespace blueshift::rewrite
