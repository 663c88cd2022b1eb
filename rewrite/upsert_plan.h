// Staged upserts: `INSERT ... ON CONFLICT (key) DO UPDATE | DO NOTHING`, which Redshift
// cannot run, planned as the staged transaction it can (issue 12): a temp staging table
// loaded with the client's own source text, a duplicate-key check, LOCK, UPDATE ... FROM
// for the matched keys, INSERT ... SELECT for the new ones, the staging table dropped.
// The client's tag is PostgreSQL's `INSERT 0 n` (inserted + updated).
#pragma once

#include <string_view>

#include "rewrite/plan.h"

namespace blueshift::rewrite {

// The plan for `sql` when it is one INSERT ... ON CONFLICT statement; a plan that only
// refuses (Plan::refusal, 0A000) for forms it cannot run exactly (RETURNING, several
// statements in one text, no conflict target yet); null for any other statement.
[[nodiscard]] PlanPtr plan_upsert(std::string_view sql);

// The message of the error a DO UPDATE that meets a key twice gives (SQLSTATE 21000).
inline constexpr std::string_view kAffectRowTwice = "ON CONFLICT DO UPDATE command cannot affect row a second time";

}  // namespace blueshift::rewrite
