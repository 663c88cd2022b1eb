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
using fuzz::scans_of;

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
  const std::string sql(reinterpret_cast<const char*>(data), size);
  AnalysisContext ctx;
  ctx.search_path = {"public", "spectrum_schema"};
  const QueryFacts facts = analyze(sql, ctx);
  TierOptions options;
  options.filters.clock.now = absl::FromUnixSeconds(1731664800);  // fixed: runs repeat
  options.filters.search_path_uncertain = size % 2 == 1;
  options.tier = static_cast<Tier>(size % 3);
  const bool known = size % 5 != 0;
  options.split = [known](const TierPair&) { return known ? std::optional(absl::CivilDay(2024, 10, 1)) : std::nullopt; };
  const auto routed = route_tiers(
      sql, facts, [](std::string_view s, std::string_view n) { return s == "public" && n == "sales_fact" ? &kPair : nullptr; },
      [](std::string_view s, std::string_view n) { return s == "spectrum_schema" && n == "sales" ? &kSales : nullptr; },
      options);
  if (!routed) return 0;
  const QueryFacts after = fuzz::check_routed(sql, facts, *routed, ctx);
  // A scan of the local table is replaced by a scan of the lake, or by one of each.
  check(scans_of(after, "sales_fact") + scans_of(after, "sales") >= scans_of(facts, "sales_fact") + scans_of(facts, "sales"));
  check(writes_of(after) == writes_of(facts));
  return 0;
}
