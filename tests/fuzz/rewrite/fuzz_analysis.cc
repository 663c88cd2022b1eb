// analyze() on arbitrary bytes must not crash, hang or break its own invariants; the
// helpers are run over whatever facts come out.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rewrite/analyzer.h"
#include "rewrite/bounds.h"
#include "rewrite/facts_text.h"
#include "rewrite/prefilter.h"

namespace {

using namespace blueshift::rewrite;

void check(bool ok) {
  if (!ok) std::abort();
}

void exercise(const QueryFacts& facts, size_t size) {
  for (const auto& st : facts.statements) {
    check(st.location >= 0 && static_cast<size_t>(st.location) <= size);
    check(st.length >= 0 && static_cast<size_t>(st.location) + static_cast<size_t>(st.length) <= size);
    for (const auto& scan : st.scans) {
      for (const auto& [column, bound] : scan.bounds) {
        (void)is_finite(bound);
        (void)matches(bound, "2024");
        (void)matches(bound, "__HIVE_DEFAULT_PARTITION__");
        (void)describe(bound, column);
        const Bound b = substitute_params(bound, std::vector<std::optional<std::string>>{"1", std::nullopt, "x"});
        (void)matches(b, "01");
      }
    }
  }
  (void)describe(facts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view sql(reinterpret_cast<const char*>(data), size);
  AnalysisContext plain;
  const QueryFacts a = analyze(sql, plain);
  const size_t text_size = sql.find('\0') == std::string_view::npos ? size : sql.find('\0');
  exercise(a, text_size);

  AnalysisContext catalog;
  catalog.search_path = {"spectrum_schema", "public"};
  catalog.case_sensitive_identifiers = size % 2 == 1;
  catalog.relation_exists = [](std::string_view schema, std::string_view name) {
    return schema == "spectrum_schema" && (name == "sales" || name == "orders");
  };
  catalog.columns_of = [](std::string_view schema, std::string_view name) -> std::optional<std::vector<std::string>> {
    if (schema == "spectrum_schema" && name == "sales") return std::vector<std::string>{"year", "month", "amount"};
    return std::nullopt;
  };
  exercise(analyze(sql, catalog), text_size);

  (void)may_reference(sql, {"sales", "my table"});
  return 0;
}
