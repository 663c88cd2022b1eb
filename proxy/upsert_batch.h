// A run of Executes of one planned upsert, gathered into one staged transaction (issue 12).
// psycopg's executemany and a JDBC batch send one prepared INSERT ... ON CONFLICT as many
// Bind/[Describe]/Execute before one Sync; run one by one, each is a staged transaction of
// its own (dozens of upstream messages, a temp table made and dropped: 38 rows/s against
// 5,500 natively). The Conversation holds such messages back (nothing of them goes upstream)
// while they are the same portal's Bind, Describe and Execute of the same foldable plan
// (rewrite/upsert_fold.h; DO UPDATE: while the rows' keys differ), and at any other message
// runs the plan once, its load step bound once per row (Conversation::run_plan). The client
// gets the replies the held messages would have had (BindComplete, NoData, each Execute's
// tag) after the run's last step; an error of row n's load comes after rows 1..n-1's.
// A run whose error cannot land where PostgreSQL puts it (a set-wise step fails, keys equal
// in the database but not in bytes meet, DO NOTHING's counts are not known yet) is rolled
// back and run again row by row, each row its own plan, where nothing else the client ran
// is lost by that: a run a Sync ends, in a block (the client's, also one its BEGIN opened
// earlier in the same batch, as pgjdbc and psycopg send it: under a savepoint of the
// proxy's) or alone in its implicit transaction (the Sync ends it; the replay is the next).
// A run cut before its Sync (a Flush; a Parse or Bind of another statement, as pgjdbc's
// reWriteBatchedInserts sends its remainder and psycopg a key past int2; the row cap; a
// repeated DO UPDATE key) is undone and replayed the same way: a Flush after it brings its
// outcome, and the client's next messages (the cutting one too, unless a Flush) wait for it;
// on failure the proxy's own Sync ends the skipping, the replay follows without one, and the
// client's messages go on in the same transaction, as after the Execute that fails natively.
// A run that cannot be undone (after other work of its implicit transaction, an earlier
// batch's status not known yet, a held Bind with no Execute after it, the server already
// skipping, a cut that does not wait) stays folded, ended by its Sync or cut: its failure
// fails what the native one fails (the implicit transaction, the block), but at the run's
// first row (a load's error at its own row). One by one, such executemany ran at 0.01 of
// native speed, 37 to 58 times slower cut. What a fold alone gets wrong, DO UPDATE keys
// equal in the database but not in bytes (21000 where one by one succeeds), stays so there.
// Redshift has no SAVEPOINT: there a run in a block is not undone either, and stays folded.
// An internal header of conversation*.cc.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "protocol/codec.h"
#include "proxy/object_table.h"
#include "rewrite/plan.h"

namespace blueshift::proxy {

struct PlanRun;

// A run held so far.
struct UpsertBatch {
  InfoPtr portal;  // the first Execute's portal: the plan, its parameter types, its Bind
  std::string portal_name;
  std::string statement;
  std::vector<std::shared_ptr<const protocol::Bind>> rows;  // one a held Execute
  std::string held;  // the held messages after the first Execute, by code ('B', 'D', 'E')
  std::string tail;  // the bytes of a held Bind (and Describe) whose Execute has not come
  std::shared_ptr<const protocol::Bind> next;        // that Bind
  std::unordered_set<std::string> keys;              // DO UPDATE: the keys of the rows
  bool repeated_key = false;  // DO UPDATE: ended by a Bind whose key it has
  bool cut = false;  // ended before its Sync: a failure is replayed without one (upsert_batch.h)
  // A cut run's failure: the proxy's Sync went up, the replay is next (its only change
  // after the run started, which is why it may change through the run's const view).
  mutable bool synced = false;
};

// The most rows one run holds.
inline constexpr size_t kMaxFoldRows = 1000;

// The key of a bound row (formats and bytes of its key parameters); nullopt when a key
// value is NULL (such a row meets no other) or a parameter is missing.
[[nodiscard]] std::optional<std::string> row_key(const rewrite::Plan::Fold& fold, const protocol::Bind& b);

// The client's replies to a folded run's held messages (run.held) before row `upto`'s
// Execute (rows from 0; the first Execute is row 0's); all of them for upto >= the rows.
[[nodiscard]] std::string held_replies(const PlanRun& run, size_t upto);

// A Flags step's DataRow: the next row's count (rewrite::PlanStep::Replies::Flags).
void note_flag(PlanRun& run, const protocol::Frame& f);

// A run's ErrorResponse: true (and the run marked replaying, its error then swallowed) when
// the run is replayed row by row rather than failed (flush_batch made it replayable).
[[nodiscard]] bool replay_on_failure(PlanRun& run);

// A message's bytes as received.
[[nodiscard]] std::string frame_bytes(const protocol::Frame& f);

// The message that starts at `at` in bytes made by frame_bytes (they outlive the frame).
[[nodiscard]] protocol::Frame frame_at(const std::string& bytes, size_t at);

// Whether a message that cuts a replayable run may wait for the run's outcome: the client
// sends more before it waits for a reply (a Sync or Flush at the latest).
[[nodiscard]] bool waits_for_cut_run(char code);

}  // namespace blueshift::proxy
