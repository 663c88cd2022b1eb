// Turns one parsed statement (a libpg_query protobuf node) into StatementFacts: kind,
// tables read and written (resolved through aliases, CTEs, subqueries and search_path),
// and per-scan column bounds from the predicates that really restrict each scan.
// Internal to rewrite/; analyzer.cc drives it.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rewrite/analyzer.h"
#include "rewrite/dialect.h"
#include "rewrite/facts.h"

namespace blueshift::rewrite {

struct WalkInput {
  const AnalysisContext* context = nullptr;
  // Effective search_path for this statement; a SET search_path statement updates it so
  // later statements of the same text resolve as the server would.
  std::vector<std::string>* search_path = nullptr;
  // The text that was parsed (locations index it), and its byte offset within the
  // caller's text.
  std::string_view text;
  int location_offset = 0;
  // Absolute byte offsets of `#name` temp-table names the dialect pass rewrote to `_name`.
  const std::vector<int>* temp_positions = nullptr;
  // The rewritten names themselves ("_name"), for names the tree gives without location.
  const std::vector<std::string>* temp_names = nullptr;
  // Absolute byte offsets of the first select-list item of SELECT TOP n blocks whose TOP
  // the dialect pass blanked (sorted): such a block is still row-limited.
  const std::vector<int>* limited_selects = nullptr;
  // PIVOT/UNPIVOT clauses the dialect pass removed, with absolute offsets.
  const std::vector<PivotMark>* pivots = nullptr;
};

// Fills kind, scans, writes, sets_search_path. Location/length are the caller's.
void walk_statement(const PgQuery__Node* stmt, const WalkInput& input, StatementFacts* out);

// The schema an unqualified relation name resolves to: pg_catalog first (unless listed),
// then the search_path schemas the callback knows it in; else pg_catalog for system
// names (pg_*, stl_*, svv_*, ...), else the first search_path schema.
[[nodiscard]] std::string resolve_relation_schema(const AnalysisContext& ctx, const std::vector<std::string>& path,
                                                  const std::string& name);

// A written name (parts already folded) as a TableRef.
[[nodiscard]] TableRef resolve_table_name(const std::vector<std::string>& parts, const AnalysisContext& ctx,
                                          const std::vector<std::string>& path);

// Highest $n anywhere under msg (0 if none).
[[nodiscard]] int max_param_number(const ProtobufCMessage* msg);

}  // namespace blueshift::rewrite
