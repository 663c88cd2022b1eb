// What the proxy expects of the replies to one message it wrote upstream, beyond passing
// them to the client: the pairing of requests and replies that Conversation keeps (an
// internal header of conversation*.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/codec.h"
#include "proxy/plan_script.h"
#include "proxy/reply_positions.h"
#include "rewrite/plan.h"
#include "rewrite/proxy_statement.h"

namespace blueshift::policies {
class BudgetReservation;
}

namespace blueshift::proxy {

struct UpsertBatch;  // proxy/upsert_batch.h

// One backend message, encoded (the proxy's own replies).
inline std::string encode_backend(const protocol::BackendMessage& m) {
  std::string out;
  protocol::encode(m, out);
  return out;
}

// The statement requests of one SQL PREPARE, DEALLOCATE [ALL] or DISCARD ALL, in text
// order: they take effect when the server answers `tag`.
struct SqlRequest {
  std::string tag;
  std::vector<std::pair<std::string, uint64_t>> tickets;  // name, ticket
};

// What to do with the replies to one message written upstream, beyond passing them.
struct Expectation {
  enum class Kind : uint8_t {
    Refusal,         // its ErrorResponse is replaced by `bytes` (a refused statement's substitute)
    Notice,          // `bytes` go to the client before its batch's ReadyForQuery
    Statement,       // a Parse or Close of statement `name`: takes effect on its completion
    Portal,          // a Bind or Close of portal `name`: the same
    SearchPath,      // a text that sets search_path: applied when it succeeded
    AnswerQuery,     // the empty Query carrying a proxy answer: answered at ReadyForQuery
    AnswerDescribe,  // Describe of a proxy-answered statement: NoData becomes `bytes`
    AnswerExecute,   // Execute of a proxy-answered portal: EmptyQueryResponse becomes the answer
    PlanDescribe,    // Describe of a planned statement: ParameterDescription becomes `bytes`
    PlanStep,        // one message of a plan's steps
    Budget,          // holds `reservation` until its batch ends: the statement's estimate is then settled
    SqlPrepared,     // a text's SQL PREPARE/DEALLOCATE: `sql_requests`, confirmed by their tags
  };
  Kind kind = Kind::Refusal;
  ReplyPosition at;
  bool whole_batch = false;  // a Query: every reply of the rest of the batch is its own
  bool failed = false;       // an ErrorResponse arrived for it
  bool completed = false;    // its completion message arrived
  std::string bytes;
  std::string name;
  uint64_t ticket = 0;
  std::shared_ptr<const rewrite::ProxyStatement> answer;
  std::optional<std::vector<std::string>> new_search_path;
  bool path_uncertain = false;
  bool was_certain = false;  // SearchPath: the session's path was certain before the text
  std::shared_ptr<PlanRun> run;
  rewrite::PlanStep::Replies replies = rewrite::PlanStep::Replies::Swallow;
  const rewrite::PlanStep* step = nullptr;  // PlanStep: the plan's step (null for BEGIN/COMMIT)
  bool last = false;  // PlanStep: the step whose completion or ReadyForQuery ends the plan
  bool execute = false;  // PlanStep (extended): the step's Execute
  bool script = false;   // PlanStep (simple): the Query of the run's script; `step` follows it
  int text_offset = 0;   // PlanStep: where `step`'s text starts in the text sent (script)
  uint32_t row = 0;      // PlanStep (extended): the bound row of a folded run (upsert_batch.h)
  std::shared_ptr<policies::BudgetReservation> reservation;  // Budget
  std::vector<SqlRequest> sql_requests;  // SqlPrepared: the ones not confirmed yet, in order
};

// The folding state of one plan being run.
struct PlanRun {
  rewrite::PlanPtr plan;
  uint64_t rows = 0;
  bool error_sent = false;  // the client has its statement's error; later ones are the plan's own
  PlanScript script;        // simple protocol: the steps sent as one Query
  size_t script_at = 0;     // the script's step whose replies come now
  bool done = false;        // the client has its statement's tag
  std::string sqlstate;     // the client's error's
  // A folded run (upsert_batch.h): its held messages by code ("" when not folded), and the
  // Flags step's word on each row.
  std::string held;
  std::vector<bool> inserted;
  // A folded run rolled back and replayed row by row when it fails (upsert_batch.h): its
  // held rows; whether it failed (its replies then swallowed); a row of such a replay.
  std::shared_ptr<const UpsertBatch> replay;
  bool replaying = false;
  bool replay_row = false;
  // Retry (plan_retry.h): the run is the proxy's own transaction; which attempt this is;
  // the attempt failed in a way that is retried.
  bool own_transaction = false;
  uint32_t attempt = 1;
  bool retrying = false;
  // Extended protocol (Conversation::run_plan): what its steps are bound with, kept so that
  // a retry sends them again.
  bool extended = false;
  bool unnamed_rows = false;
  std::vector<int32_t> param_types;
  std::vector<std::shared_ptr<const protocol::Bind>> bound;
  // Called once the last reply of the run was folded (its audit line): when the last
  // expectation holding the run goes, whichever way the plan ended.
  std::function<void(const PlanRun&)> on_end;
  PlanRun() = default;
  PlanRun(const PlanRun&) = delete;
  PlanRun& operator=(const PlanRun&) = delete;
  ~PlanRun() {
    if (on_end) on_end(*this);
  }
};

}  // namespace blueshift::proxy
