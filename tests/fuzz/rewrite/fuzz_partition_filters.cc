// The partition-filter rewrite on arbitrary text: no crash, and the text is either left
// as it is or comes out as SQL the parser accepts, with every statement still there and
// the configured table still read (the client's predicates are never dropped).
#include <cstdint>
#include <string>
#include <string_view>

#include "rewrite/analyzer.h"
#include "rewrite/partition_filters.h"
#include "routed_checks.h"

namespace {

using namespace blueshift::rewrite;
using fuzz::check;
using fuzz::scans_of;

const DatePartitionedTable kSales{"spectrum_schema", "sales", "sale_date",
                                  {{"year", PartitionField::Year}, {"month", PartitionField::Month}}};
const DatePartitionedTable kEvents{"spectrum_schema", "events", "dt_time", {{"dt", PartitionField::Date}}};

const DatePartitionedTable* lookup(std::string_view schema, std::string_view name) {
  if (schema == "spectrum_schema" && name == "sales") return &kSales;
  if (schema == "spectrum_schema" && name == "events") return &kEvents;
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string sql(reinterpret_cast<const char*>(data), size);
  AnalysisContext ctx;
  ctx.search_path = {"spectrum_schema", "public"};
  const QueryFacts facts = analyze(sql, ctx);
  PartitionFilterOptions options;
  options.clock.now = absl::FromUnixSeconds(1715769000);  // fixed: runs repeat
  options.search_path_uncertain = size % 2 == 1;
  const auto routed = add_partition_filters(sql, facts, lookup, options);
  if (!routed) return 0;
  const QueryFacts after = fuzz::check_routed(sql, facts, *routed, ctx);
  // Each changed scan is read again inside its derived table: never fewer scans.
  check(scans_of(after, "sales") + scans_of(after, "events") >= scans_of(facts, "sales") + scans_of(facts, "events"));
  // Routing twice adds nothing: the partition columns are filtered now.
  check(!add_partition_filters(routed->sql, after, lookup, options));
  return 0;
}
