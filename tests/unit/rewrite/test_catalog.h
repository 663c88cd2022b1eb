// A small fake catalog for analysis tests: which relations exist and their columns.
#pragma once

#include <map>
#include <ostream>
#include <optional>
#include <string>
#include <vector>

#include "rewrite/analyzer.h"

namespace blueshift::rewrite::testing {

// One table-driven analysis case: SQL in, describe()d facts out.
struct AnalysisRow {
  const char* name;
  const char* sql;
  const char* expected;
};

// Failures print the row's name and SQL rather than bytes.
inline void PrintTo(const AnalysisRow& row, std::ostream* os) { *os << row.name << ": " << row.sql; }

inline const std::map<std::string, std::vector<std::string>>& test_tables() {
  static const std::map<std::string, std::vector<std::string>> tables = {
      {"spectrum_schema.sales", {"sale_id", "customer_id", "amount", "sale_date", "year", "month"}},
      {"public.sales_fact", {"sale_id", "customer_id", "amount", "sale_date"}},
      {"public.customers", {"id", "name", "region", "signup_year"}},
      {"public.sales", {"id", "amount"}},
      {"marketing.campaigns", {"id", "year", "name"}},
      {"public.customer_orders", {"id", "name", "year", "c_orders"}},
      {"c.c_orders", {"id"}},
      {"pg_catalog.pg_class", {"oid", "relname"}},
  };
  return tables;
}

// The catalog-aware context: relation_exists and columns_of answer from test_tables().
inline AnalysisContext catalog_context(std::vector<std::string> search_path = {"public"}) {
  AnalysisContext ctx;
  ctx.search_path = std::move(search_path);
  ctx.relation_exists = [](std::string_view schema, std::string_view name) {
    return test_tables().count(std::string(schema) + "." + std::string(name)) > 0;
  };
  ctx.columns_of = [](std::string_view schema, std::string_view name) -> std::optional<std::vector<std::string>> {
    auto it = test_tables().find(std::string(schema) + "." + std::string(name));
    if (it == test_tables().end()) return std::nullopt;
    return it->second;
  };
  return ctx;
}

}  // namespace blueshift::rewrite::testing
