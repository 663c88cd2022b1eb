// Tier routing on arbitrary text: no crash, and the text is either left as it is or comes
// out as SQL the parser accepts, with every statement still there, every scan of the local
// table still read (inside its derived table) and every write target unchanged.
#include <cstdint>
#include <string>
#include <string_view>

#include "rewrite/analyzer.h"
#include "rewrite/tier_routing.h"
#include "routed_checks.h"

namespace {

using namespace blueshift::rewrite;
using fuzz::check;

const PartitionScheme kYearMonth{{"year", PartitionField::Year}, {"month", PartitionField::Month}};
const TierPair kPair{"public", "sales_fact", "spectrum_schema", "sales", "sale_date",
                     {"sale_id", "customer_id", "amount", "sale_date"}, {{"amount", "amt"}}, kYearMonth};
const DatePartitionedTable kSales{"spectrum_schema", "sales", "sale_date", kYearMonth};

size_t writes_of(const QueryFacts& facts) {
  size_t n = 0;
  for (const auto& st : facts.statements) n += st.writes.size();
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Input in(data, size, {"public", "spectrum_schema"});
  TierOptions options;
  options.filters = fuzz::filter_options(size, 1731664800);
  options.tier = static_cast<Tier>(size % 3);
  const bool known = size % 5 != 0;
  options.split = [known](const TierPair&) { return known ? std::optional(absl::CivilDay(2024, 10, 1)) : std::nullopt; };
  const auto routed = route_tiers(
      in.sql, in.facts,
      [](std::string_view s, std::string_view n) { return s == "public" && n == "sales_fact" ? &kPair : nullptr; },
      [](std::string_view s, std::string_view n) { return s == "spectrum_schema" && n == "sales" ? &kSales : nullptr; },
      options);
  if (!routed) return 0;
  // A scan of the local table is replaced by a scan of the lake, or by one of each.
  const QueryFacts after = fuzz::check_routed_scans(in, *routed, "sales_fact", "sales");
  check(writes_of(after) == writes_of(in.facts));
  return 0;
}
