// Staged upserts: `INSERT ... ON CONFLICT (key) DO UPDATE | DO NOTHING`, which Redshift
// cannot run, planned as the staged transaction it can (issue 12): a temp staging table
// loaded with the client's own source text, a duplicate-key check, LOCK, UPDATE ... FROM
// for the matched keys, INSERT ... SELECT for the new ones, the staging table dropped.
// The client's tag is PostgreSQL's `INSERT 0 n` (inserted + updated).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "rewrite/plan.h"

namespace blueshift::rewrite {

// A declared primary key or unique constraint of a table: its name and its columns as
// stored in the catalog (not quoted).
struct UpsertKey {
  std::string name;
  std::vector<std::string> columns;
};

// The declared keys of a target (schema as written, "" when unqualified; the relation
// name as parsed), for `ON CONFLICT ON CONSTRAINT name` and a DO NOTHING without target;
// an error (its message reaches the client) when the catalog cannot tell.
using KeyLookup =
    std::function<absl::StatusOr<std::vector<UpsertKey>>(std::string_view schema, std::string_view table)>;

// The plan for `sql` when it is one INSERT ... ON CONFLICT statement; a plan that only
// refuses (Plan::refusal) for forms it cannot run exactly (RETURNING, several statements in
// one text, a target `keys` cannot resolve); null for any other statement.
// `rewrites` says which targets are rewritten (schema as written, "" when unqualified; the
// relation name as parsed); an upsert of any other table is left alone (null).
using UpsertTargets = std::function<bool(std::string_view schema, std::string_view table)>;
[[nodiscard]] PlanPtr plan_upsert(std::string_view sql, const UpsertTargets& rewrites = {},
                                  const KeyLookup& keys = {});

// The message of the error a DO UPDATE that meets a key twice gives (SQLSTATE 21000).
inline constexpr std::string_view kAffectRowTwice = "ON CONFLICT DO UPDATE command cannot affect row a second time";

// The message of the refusal of a DO NOTHING without target whose rows meet each other on
// different keys in an order the staged statements cannot follow exactly (0A000).
inline constexpr std::string_view kKeysChain =
    "ON CONFLICT DO NOTHING without a conflict target: rows of this statement conflict with each other on "
    "different unique constraints";

}  // namespace blueshift::rewrite
