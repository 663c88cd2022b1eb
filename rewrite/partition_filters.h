// Partition predicates for external scans filtered on their date column only.
//
// BI tools filter on the date column (`sale_date >= DATE '2024-01-01' AND sale_date <
// DATE '2024-03-01'`), never on `year`/`month`, and Spectrum cannot prune from the date
// column. For each scan of a configured external table with a date filter and no filter on
// any partition column, the table reference is replaced by a derived table under the same
// name, `(SELECT "amount", "sale_date" FROM spectrum_schema.sales WHERE ("year" = 2024 AND
// "month" BETWEEN 1 AND 2)) AS sales`, spliced at the reference's location: a derived table
// filters the scan itself, which is right wherever its filter came from (WHERE, or the ON
// of an outer join, where a WHERE predicate would drop null-extended rows). The added predicate is implied
// by the client's own (rewrite/date_bounds.h), which stays in the statement: results never
// change; the warehouse prunes and the partition-filter policies see a bounded scan.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rewrite/date_bounds.h"
#include "rewrite/facts.h"
#include "rewrite/plan.h"
#include "rewrite/routed_text.h"

namespace blueshift::rewrite {

// An external table whose partitions derive from a date column.
struct DatePartitionedTable {
  std::string schema;       // folded
  std::string name;         // folded
  std::string date_column;  // folded
  PartitionScheme partitions;
  [[nodiscard]] std::string qualified() const { return schema + "." + name; }
};

// The configured table a scan reads, or null.
using DatePartitionedLookup = std::function<const DatePartitionedTable*(std::string_view schema, std::string_view name)>;

struct PartitionFilterOptions {
  DateClock clock;
  // An unqualified name may resolve elsewhere than the analysis assumed (the session's
  // search_path is not known for sure): then only names written with their schema change.
  bool search_path_uncertain = false;
  // Whether a routed text parses (unset: parsed here). The proxy answers with the analysis
  // the policies then check the text with, so that it is parsed once, and once per text.
  std::function<bool(std::string_view sql)> is_sql;
};

// `sql` (whose analysis is `facts`) with partition predicates added to every scan that
// needs them, or nullopt when none does. Only reads change: scans of SELECT, of the query
// of INSERT ... SELECT and CREATE TABLE AS, and of EXPLAIN's statement. A text the
// splice would leave unparseable (FROM ONLY t, t TABLESAMPLE ...) stays as written.
[[nodiscard]] std::optional<RoutedText> add_partition_filters(std::string_view sql, const QueryFacts& facts,
                                                              const DatePartitionedLookup& lookup,
                                                              const PartitionFilterOptions& options);

// Whether a scan that add_partition_filters would narrow by its date bound has a $n in that
// bound: a prepared statement whose partition predicates come from each Bind's values.
[[nodiscard]] bool dated_by_params(const QueryFacts& facts, const DatePartitionedLookup& lookup,
                                   const PartitionFilterOptions& options);

// The same edits, appended to *edits and their route lines to *routes, for a caller that
// splices other edits of the same text in one pass (tier routing, rewrite/tier_routing.h).
void partition_filter_edits(std::string_view sql, const QueryFacts& facts, const DatePartitionedLookup& lookup,
                            const PartitionFilterOptions& options, std::vector<Splice>* edits,
                            std::vector<std::string>* routes);

// ---- shared by the routing rewrites

// Whether routing may change the statement's scans: only reads (SELECT, the query of
// INSERT ... SELECT and CREATE TABLE AS, EXPLAIN's statement); writes never.
[[nodiscard]] bool reads_only(StatementKind kind);
// The statement's own text within sql.
[[nodiscard]] std::string_view statement_text(std::string_view sql, const StatementFacts& st);
// Whether the statement may name a column through the table's name (`schema.sales.amount`,
// `"sales".amount` after `FROM spectrum_schema.sales`): under a derived table only the
// bare name is a range variable, so such text is left as written. Errs towards "yes".
[[nodiscard]] bool qualifies_columns_by_schema(std::string_view text, const std::string& name);
// YYYY-MM-DD, "" for none.
[[nodiscard]] std::string day_text(const std::optional<absl::CivilDay>& day);
// sql with the edits spliced in, or nullopt when there is none or the result would not
// parse (options.is_sql; then the text runs as written).
[[nodiscard]] std::optional<RoutedText> finish_routing(std::string_view sql, std::vector<Splice> edits,
                                                       std::vector<std::string> routes,
                                                       const PartitionFilterOptions& options);

}  // namespace blueshift::rewrite
