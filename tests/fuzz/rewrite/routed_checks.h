// What every routing rewrite must give on any text, shared by the routing fuzz targets:
// a routed text differs from the input, says why, parses, and keeps every statement (none
// that parsed becomes unparseable). Aborts on a violation, as libFuzzer expects.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rewrite/analyzer.h"
#include "rewrite/partition_filters.h"
#include "rewrite/routed_text.h"

namespace blueshift::rewrite::fuzz {

inline void check(bool ok) {
  if (!ok) std::abort();
}

// The scans of tables with this name, in every statement.
inline size_t scans_of(const QueryFacts& facts, std::string_view name) {
  size_t n = 0;
  for (const auto& st : facts.statements) {
    for (const auto& scan : st.scans) n += scan.table.name == name ? 1 : 0;
  }
  return n;
}

// Checks the routed text against the input's facts; returns the routed text's.
inline QueryFacts check_routed(const std::string& sql, const QueryFacts& facts, const RoutedText& routed,
                               const AnalysisContext& ctx) {
  check(routed.sql != sql && !routed.routes.empty());
  QueryFacts after = analyze(routed.sql, ctx);
  check(after.statements.size() == facts.statements.size());
  for (size_t i = 0; i < facts.statements.size(); ++i) {
    check(facts.statements[i].kind == StatementKind::Unparsed || after.statements[i].kind != StatementKind::Unparsed);
  }
  return after;
}

// One fuzz input as SQL text and its analysis under a search_path.
struct Input {
  Input(const uint8_t* data, size_t size, std::vector<std::string> search_path)
      : sql(reinterpret_cast<const char*>(data), size) {
    ctx.search_path = std::move(search_path);
    facts = analyze(sql, ctx);
  }
  std::string sql;
  AnalysisContext ctx;
  QueryFacts facts;
};

// A routing's filter options: a fixed clock, so that runs repeat, and the search_path
// uncertain for inputs of odd size.
inline PartitionFilterOptions filter_options(size_t size, int64_t now_unix_seconds) {
  PartitionFilterOptions options;
  options.clock.now = absl::FromUnixSeconds(now_unix_seconds);
  options.search_path_uncertain = size % 2 == 1;
  return options;
}

// check_routed, and no scan lost: each changed scan of table a or b is read again (inside
// its derived table, or as a scan of the other). Returns the routed text's facts.
inline QueryFacts check_routed_scans(const Input& in, const RoutedText& routed, std::string_view a,
                                     std::string_view b) {
  QueryFacts after = check_routed(in.sql, in.facts, routed, in.ctx);
  check(scans_of(after, a) + scans_of(after, b) >= scans_of(in.facts, a) + scans_of(in.facts, b));
  return after;
}

}  // namespace blueshift::rewrite::fuzz
