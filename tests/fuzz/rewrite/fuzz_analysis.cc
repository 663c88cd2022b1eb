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
#include "rewrite/literal_template.h"
#include "rewrite/prefilter.h"

namespace {

using namespace blueshift::rewrite;

void check(bool ok) {
  if (!ok) std::abort();
}

// A table name's location lies inside the text (or is -1, with no length).
void check_location(const TableRef& t, size_t size) {
  if (t.location < 0) {
    check(t.location == -1 && t.length == 0);
    return;
  }
  check(t.length >= 0 && static_cast<size_t>(t.location) + static_cast<size_t>(t.length) <= size);
}

void check_locations(const QueryFacts& facts, size_t size) {
  for (const auto& st : facts.statements) {
    for (const auto& scan : st.scans) check_location(scan.table, size);
    for (const auto& w : st.writes) check_location(w, size);
  }
}

void exercise(const QueryFacts& facts, size_t size, std::string_view input) {
  check_locations(facts, size);
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

  // The template path: locations mapped back must lie inside the client's text.
  if (const auto lifted = lift_literals(std::string(sql.substr(0, text_size)))) {
    check_locations(client_facts(analyze(lifted->text, plain), *lifted), text_size);
  }

  // The array value decoders on the raw bytes.
  if (const auto elements = parse_array_text(sql)) check(elements->size() <= kMaxArrayElements);
  if (const auto array = parse_array_binary(sql)) check(array->elements.size() <= kMaxArrayElements);

  (void)may_reference(sql, {"sales", "my table"});
  return 0;
}
