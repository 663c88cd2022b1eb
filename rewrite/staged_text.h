// What the staged plans (upsert_plan, merge_plan) share: cutting the client's text at
// token positions, the steps and refusals they are made of, and the staging table's name.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rewrite/pg_parser.h"
#include "rewrite/plan.h"

namespace blueshift::rewrite::staged {

// A plan that only refuses, with this error.
[[nodiscard]] PlanPtr refusal(std::string message, std::string hint, std::string sqlstate = "0A000");

// A step with its replies and whether it binds the client's parameters.
[[nodiscard]] PlanStep step(std::string sql, PlanStep::Replies replies = PlanStep::Replies::Swallow,
                            bool params = false);

// Whether the subtree holds a $n.
[[nodiscard]] bool has_param(const ProtobufCMessage* m);

// Index of the first token starting at or after `offset`.
[[nodiscard]] size_t token_at(const std::vector<pg::Token>& tokens, int offset);
// Past the dotted name starting at token i (a, a.b, "A" . b).
[[nodiscard]] size_t past_name(const std::vector<pg::Token>& tokens, size_t i);
// Past the parenthesised group opening at token i.
[[nodiscard]] size_t past_group(const std::vector<pg::Token>& tokens, size_t i);
// The first top-level keyword `word` from token i on, before offset `end`.
[[nodiscard]] std::optional<size_t> find_word(const std::vector<pg::Token>& tokens, size_t i, int end,
                                              std::string_view word);
// sql[begin, end) without trailing blanks.
[[nodiscard]] std::string cut(std::string_view sql, int begin, int end);
// The length of `utf8` in characters (PostgreSQL counts error positions in them).
[[nodiscard]] int characters(std::string_view utf8);

// `left.k = right.k AND ...` for every (quoted) key column k.
[[nodiscard]] std::string key_match(const std::vector<std::string>& keys, std::string_view left,
                                    std::string_view right);

// The steps that keep the target's other writers out until the plan's transaction ends:
// LOCK, where PostgreSQL runs it (a transaction block); and, when `advisory` (a PostgreSQL
// warehouse), in the extended protocol's implicit transaction where LOCK fails (25P01), a
// transaction-scoped advisory lock on the table's oid that every staged plan there takes,
// so that they take turns as LOCK makes them do (Redshift's serializable transactions and
// the retry do it there).
[[nodiscard]] std::vector<PlanStep> lock_steps(std::string_view table, bool advisory);

// PostgreSQL: the staged joins with the target probe its index per staged row, as native
// ON CONFLICT does, rather than hash or sort the whole target (the COPY's DELETE of 1,000
// rows took 34 ms that way into 100,000 rows, 2 ms probing). Transaction-local, and given
// back by joins_restored() once the joins are done, so that the rest of the client's
// transaction (its block, or the extended protocol's implicit one) plans as before.
// Redshift has no index to probe.
[[nodiscard]] PlanStep joins_probe_indexes();
[[nodiscard]] PlanStep joins_restored();

// A staging table's name, unique in the process, quoted: "blueshift_<kind>_<n>".
[[nodiscard]] std::string stage_name(std::string_view kind);

// The plan `build` makes with the staging tables `stages`, each step's `checked` text from
// `build` run again with each stage named pg_temp.<stage>: the policies then read the
// plan's own references as the session's temporary tables, and the client's text (an
// identifier, literal or comment spelled like a stage) exactly as it runs.
[[nodiscard]] PlanPtr built_twice(const std::vector<std::string>& stages,
                                  const std::function<PlanPtr(const std::vector<std::string>&)>& build);

}  // namespace blueshift::rewrite::staged
