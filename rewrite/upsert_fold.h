// Which planned upserts may fold (Plan::Fold): a run of Executes of one prepared
// INSERT ... ON CONFLICT (psycopg's executemany, a JDBC batch) run as one staged transaction
// whose load step is bound once per row (proxy/upsert_batch.h). Only shapes where that gives
// exactly what the Executes one by one give: rows with distinct keys touch distinct target
// rows, and nothing a row computes reads another row's effect.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rewrite/pg_parser.h"
#include "rewrite/plan.h"

namespace blueshift::rewrite {

// The fold of `ins`, whose conflict target is `keys` (quoted columns): its source is one
// VALUES row under a column list that gives every key column as a $n, and nothing in the
// statement is a subquery. nullopt otherwise. The caller rules out $n in SET and a WHERE.
[[nodiscard]] std::optional<Plan::Fold> fold_shape(const PgQuery__InsertStmt& ins,
                                                   const std::vector<std::string>& keys);

// DO NOTHING folded: one row per staged row, in load order, saying whether it inserts (its
// key is new to `table` and to the rows before it; a NULL key always inserts).
// `probe_index` (PostgreSQL): the key looked up a row at a time, as a scalar subquery: a NOT
// EXISTS in the select list becomes a hashed SubPlan over the whole target, which the
// nested-loop planner settings do not reach (216 ms a 1,000-row batch into 150,000 rows,
// against 3 ms for the probes).
[[nodiscard]] PlanStep inserted_flags(const std::string& table, const std::vector<std::string>& keys,
                                      const std::string& stage, const std::string& ord, bool probe_index);

// The staged rows whose key an earlier staged row has, deleted (DO NOTHING keeps the first),
// found by a window, which stays linear under the nested-loop planner settings.
[[nodiscard]] PlanStep later_duplicates_deleted(const std::vector<std::string>& keys, const std::string& stage,
                                                const std::string& ord);

}  // namespace blueshift::rewrite
