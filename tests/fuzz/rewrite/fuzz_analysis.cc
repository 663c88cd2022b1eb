// analyze() on arbitrary bytes must not crash, hang or break its own invariants; the
// helpers are run over whatever facts come out.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rewrite/analyzer.h"
#include "rewrite/array_value.h"
#include "rewrite/bounds.h"
#include "rewrite/facts_text.h"
#include "rewrite/prefilter.h"

namespace {

using namespace blueshift::rewrite;

void check(bool ok) {
  if (!ok) std::abort();
}

void exercise(const QueryFacts& facts, size_t size, std::string_view input) {
  // The input also stands for array parameters, text and binary.
  const QueryFacts bound = substitute_params(
      facts, {ParamValue{std::string(input), false, 1007}, ParamValue{std::string(input), true, 0}, ParamValue{}});
  (void)describe(bound);
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
      for (const auto& d : scan.disjunctions) {
        check(d.size() >= 2 && d.size() <= kMaxBranches);
        for (const auto& branch : d) check(!branch.empty());
        (void)describe(d);
        (void)describe(d, {"year", "month"});
        (void)has_params(d);
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
  exercise(a, text_size, sql);

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
  exercise(analyze(sql, catalog), text_size, sql);

  // The array value decoders on the raw bytes.
  if (const auto elements = parse_array_text(sql)) check(elements->size() <= kMaxArrayElements);
  if (const auto array = parse_array_binary(sql)) check(array->elements.size() <= kMaxArrayElements);

  (void)may_reference(sql, {"sales", "my table"});
  return 0;
}
