// Staged upserts: `INSERT ... ON CONFLICT (key) DO UPDATE | DO NOTHING`, which Redshift
// cannot run, planned as the staged transaction it can (issue 12): a temp staging table
// loaded with the client's own source text, a duplicate-key check, LOCK, UPDATE ... FROM
// for the matched keys, INSERT ... SELECT for the new ones, the staging table dropped.
// The client's tag is PostgreSQL's `INSERT 0 n` (inserted + updated).
#pragma once

#include <functional>
#include <string_view>

#include "rewrite/plan.h"

namespace blueshift::rewrite {

// The plan for `sql` when it is one INSERT ... ON CONFLICT statement; a plan that only
// refuses (Plan::refusal, 0A000) for forms it cannot run exactly (RETURNING, several
// statements in one text, no conflict target yet); null for any other statement.
// `rewrites` says which targets are rewritten (schema as written, "" when unqualified; the
// relation name as parsed); an upsert of any other table is left alone (null).
using UpsertTargets = std::function<bool(std::string_view schema, std::string_view table)>;
[[nodiscard]] PlanPtr plan_upsert(std::string_view sql, const UpsertTargets& rewrites = {});

// The message of the error a DO UPDATE that meets a key twice gives (SQLSTATE 21000).
inline constexpr std::string_view kAffectRowTwice = "ON CONFLICT DO UPDATE command cannot affect row a second time";

}  // namespace blueshift::rewrite
