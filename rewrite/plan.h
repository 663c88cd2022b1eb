// A rewrite's plan: what the proxy runs upstream in place of one client statement, and how
// the replies fold back into the one reply the client expects (DESIGN.md, "Execute(plan)").
//
// Plans are immutable values shared by pointer: a null plan means "no rewrite", so telling
// the fast path from a rewrite costs one pointer test, and a plan can be cached per
// statement text. `proxy/` executes plans; nothing here knows sockets or sessions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace blueshift::rewrite {

struct PlanStep {
  std::string sql;  // exactly one statement; may use the client's $n (extended protocol)
  // What the step's replies become for the client:
  //   Swallow: nothing (staging DDL, BEGIN/COMMIT);
  //   Count:   its CommandComplete row count adds to the client's tag (DELETE/INSERT);
  //   Rows:    its RowDescription and DataRows go to the client (at most one step).
  //   Flags:   (a folded batch) one DataRow per bound row, in order: whether it inserted.
  enum class Replies : uint8_t { Swallow, Count, Rows, Flags };
  Replies replies = Replies::Swallow;
  // Extended protocol: the step is bound with the client's parameters (its sql uses $n).
  bool uses_params = false;
  // When set, an error of this step reaches the client as this one instead (a check step
  // that fails on purpose, e.g. ON CONFLICT's 21000 for a key given twice).
  struct Error {
    std::string sqlstate;
    std::string message;
    std::string hint;
  };
  std::optional<Error> error_as;
  // PostgreSQL runs it only in a transaction block (LOCK): skipped where the steps run in
  // the extended protocol's implicit transaction, outside a client block, where the server
  // would refuse it (25P01).
  bool block_only = false;
  // The reverse: runs only where block_only steps are skipped (the extended protocol's
  // implicit transaction, outside a client block), e.g. a lock that takes LOCK's place there.
  bool implicit_only = false;
  // Runs only where the steps run in a transaction of the proxy's own (simple protocol,
  // outside a client block), which ends its effect (SET LOCAL-like planner settings); skipped
  // elsewhere, where it would outlive the plan in the client's transaction.
  bool own_transaction_only = false;
  // An error position in the step's text, plus this, is the same place in the client's
  // text (a step that copies a span of it); 0: positions are passed as they are.
  int position_shift = 0;
  // The step as the policies read it: the same text built again with the plan's staging
  // tables named in pg_temp (staged::built_twice), the client's spans untouched; empty: sql.
  std::string checked;
};

struct Plan {
  std::vector<PlanStep> steps;
  // The CommandComplete tag the client gets; "{rows}" is replaced by the rows counted,
  // e.g. "INSERT 0 {rows}" for an upsert, "MERGE {rows}".
  std::string tag;
  // Outside a client's transaction block the steps run in one transaction, rolled back
  // when any fails; inside one, a failing step fails the client's block, as PostgreSQL
  // would leave it.
  bool atomic = true;
  // When set, nothing runs: the client gets this error (a form the rewrite cannot run
  // exactly, e.g. an upsert with RETURNING), and upstream never sees the statement.
  std::optional<PlanStep::Error> refusal;
  // An upsert COPY ... FROM STDIN (rewrite/copy_upsert.h): steps[0] reads the client's
  // CopyData, the rest run once its CopyDone arrives (simple protocol only). Outside a
  // client block steps[0] is its own implicit transaction, the rest but the last one of the
  // proxy's, and the last (dropping the staging table) runs after it, whatever its outcome.
  bool copy_in = false;
  // For the audit line: the target as written, and the form (on_conflict, merge, copy).
  std::string target;
  std::string form;
  // The whole staged transaction tried again on a serialization failure (proxy/plan_retry.h):
  // up to `attempts` more times, waiting backoff_ms, doubled each time; 0: never.
  struct Retry {
    uint32_t attempts = 0;
    uint32_t backoff_ms = 0;
  };
  Retry retry;
  // Extended protocol: consecutive Executes of this statement whose keys differ may run as
  // one staged transaction, its uses_params steps bound once per row (proxy/upsert_batch.h).
  // Set only for shapes where that is exact: one VALUES row whose key columns are $n.
  struct Fold {
    std::vector<size_t> key_params;  // 0-based: the parameters that are the key's columns
    bool flags = false;              // each row's count from the Flags step (else 1 a row)
    // The warehouse has SAVEPOINT, under which a run in the client's block is undone and
    // replayed row by row when it fails. Redshift has none: there the run stays folded.
    bool savepoints = true;
  };
  std::optional<Fold> fold;
  // A staged upsert's staging table, which its errors name where native ON CONFLICT names
  // the target (PostgreSQL: the load's CHECK and NOT NULL violations), its rows numbered by
  // a last column the target lacks. proxy/stage_error.h maps such errors back.
  struct Staging {
    std::string stage;   // as the server names it (unquoted)
    std::string table;   // the target's relation name, as parsed
    std::string schema;  // the target's schema as written, "" when unqualified
  };
  std::optional<Staging> staging;
};

using PlanPtr = std::shared_ptr<const Plan>;

// The client's tag for `rows` counted rows.
[[nodiscard]] std::string plan_tag(const Plan& plan, uint64_t rows);

// The row count of a CommandComplete tag ("INSERT 0 5" -> 5, "DELETE 3" -> 3); 0 when
// the tag carries none ("CREATE TABLE").
[[nodiscard]] uint64_t tag_rows(std::string_view tag);

// One replacement of text[location, location + length) by `text`.
struct Splice {
  int location = 0;
  int length = 0;
  std::string text;
};
// `sql` with every splice applied (they must not overlap; any order). Rewrites edit the
// client's own text at parse-tree locations, so the statement stays recognisable in the
// warehouse's query history.
[[nodiscard]] std::string splice(std::string_view sql, std::vector<Splice> edits);

}  // namespace blueshift::rewrite
