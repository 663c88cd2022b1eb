// Upsert COPY (issue 12, the seed's Strategy 3: stage, then merge on a key). A COPY into
// t marked as an upsert on key columns loads a temp staging table (LIKE t) instead, then,
// in one transaction: a check that no key comes twice (21000, as ON CONFLICT DO UPDATE),
// LOCK t, DELETE FROM t USING the staging table on the key, INSERT INTO t SELECT * from
// it, and the staging table dropped. The client's tag is PostgreSQL's `COPY n`.
//
// Marking, either of:
//   COPY t FROM STDIN /* blueshift:upsert key=(sale_id, region) */   (the comment: any
//     place in the text; column names as in SQL, "Quoted" kept as written);
//   SET blueshift.copy_upsert_key = 'sale_id, region'                (every COPY ... FROM
//     of the session until RESET; the COPY names the table; a comment wins over it).
// COPY ... FROM STDIN streams the client's rows into the staging table (Plan::copy_in);
// any other source (Redshift's `FROM 's3://...' IAM_ROLE ... FORMAT AS PARQUET`) becomes a
// COPY into the staging table, spliced from the client's text, then the merge.
#pragma once

#include <string_view>

#include "rewrite/plan.h"
#include "rewrite/upsert_plan.h"

namespace blueshift::rewrite {

// The plan for `sql` when it is a COPY ... FROM marked as an upsert (its comment, else
// `session_key` when not empty); a plan that only refuses for a marked COPY that cannot
// run (an unreadable key list, several statements, a table `rewrites` does not list, FROM
// STDIN on Redshift, which loads only from S3); null for any other statement.
[[nodiscard]] PlanPtr plan_copy_upsert(std::string_view sql, const UpsertTargets& rewrites,
                                       std::string_view session_key = {},
                                       Warehouse warehouse = Warehouse::PostgreSQL);
// plan_copy_upsert's first test, on the text's statement_words: false when it answers null.
[[nodiscard]] bool may_plan_copy_upsert(StatementWords words);

// The message of the error a COPY that brings a key twice gets (SQLSTATE 21000).
inline constexpr std::string_view kCopyKeyTwice = "upsert COPY cannot affect row a second time";

}  // namespace blueshift::rewrite
