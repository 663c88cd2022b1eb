// A statement that runs upstream as another text: routing's result (partition filters
// added to external scans, tiers chosen). The proxy runs `sql` in place of the client's
// text, and the policies check `sql`: what runs is what is governed.
#pragma once

#include <string>
#include <vector>

namespace blueshift::rewrite {

struct RoutedText {
  std::string sql;
  // One line per scan changed, for the audit log, NOTICEs and refusals, e.g.
  // "spectrum_schema.sales: sale_date 2024-01-01..2024-02-29 -> ("year" = 2024 AND "month" BETWEEN 1 AND 2)".
  std::vector<std::string> routes;
};

}  // namespace blueshift::rewrite
