// What every routing rewrite must give on any text, shared by the routing fuzz targets:
// a routed text differs from the input, says why, parses, and keeps every statement (none
// that parsed becomes unparseable). Aborts on a violation, as libFuzzer expects.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

#include "rewrite/analyzer.h"
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

}  // namespace blueshift::rewrite::fuzz
