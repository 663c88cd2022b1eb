// MERGE (issue 12): the forms Redshift runs natively pass through untouched; the others
// (a subquery or VALUES source, WHEN ... AND conditions, several clauses, DO NOTHING) are
// planned as a staged transaction that gives PostgreSQL's results: the source staged in a
// temp table, a check that no target row is affected twice (21000), then one DELETE, one
// UPDATE and an INSERT per clause, each taking the rows for which its clause is the first
// whose condition holds. The client's tag is PostgreSQL's `MERGE n`.
#pragma once

#include <cstdint>
#include <string_view>

#include "rewrite/plan.h"
#include "rewrite/upsert_plan.h"

namespace blueshift::rewrite {

// Native: the forms Redshift runs pass through, the others are staged (the default);
// Staged: every MERGE is staged; Off: every MERGE passes through untouched.
enum class MergeMode : uint8_t { Native, Staged, Off };

// The plan for `sql` when it is one MERGE statement to stage; a plan that only refuses for
// forms the staging cannot run exactly; null for any other statement, for a MERGE that
// passes through (`mode`), and for a target `rewrites` does not list. `warehouse`: how the
// target is locked where LOCK cannot run (staged_text.h, lock_steps).
[[nodiscard]] PlanPtr plan_merge(std::string_view sql, MergeMode mode, const UpsertTargets& rewrites = {},
                                 Warehouse warehouse = Warehouse::PostgreSQL);
// plan_merge's first test, on the text's statement_words: false when it answers null.
[[nodiscard]] bool may_plan_merge(StatementWords words, MergeMode mode);

// The message of PostgreSQL's error for a target row that more than one source row would
// update or delete (SQLSTATE 21000).
inline constexpr std::string_view kMergeAffectRowTwice = "MERGE command cannot affect row a second time";

}  // namespace blueshift::rewrite
