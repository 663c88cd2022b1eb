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
  const fuzz::Input in(data, size, {"spectrum_schema", "public"});
  const PartitionFilterOptions options = fuzz::filter_options(size, 1715769000);
  const auto routed = add_partition_filters(in.sql, in.facts, lookup, options);
  if (!routed) return 0;
  const QueryFacts after = fuzz::check_routed_scans(in, *routed, "sales", "events");
  // Routing twice adds nothing: the partition columns are filtered now.
  check(!add_partition_filters(routed->sql, after, lookup, options));
  return 0;
}
