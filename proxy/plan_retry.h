// Retry of a staged transaction the warehouse aborted as a serialization failure (issue 12):
// PostgreSQL's 40001, Redshift's error 1023 "Serializable isolation violation". Only a plan
// run in a transaction of the proxy's own is retried, and only while the client has seen
// nothing of its statement's reply: the aborted attempt left no trace, so the client cannot
// tell a retry from a first run. Simple protocol: the script's own BEGIN ... COMMIT, outside
// the client's block. Extended protocol: the implicit transaction up to the client's Sync,
// when the plan's steps are all it holds (outside a block, nothing run before them in the
// batch, the Sync right after the Execute); the client's tag then waits for that Sync's
// ReadyForQuery, so that a failure at the commit is retried too.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/codec.h"
#include "proxy/reply_positions.h"
#include "rewrite/plan.h"

namespace blueshift::proxy {

struct PlanRun;

// An extended-protocol run that may be retried, until the client's next message shows
// whether it is the Sync that ends the run's implicit transaction.
struct RetryHold {
  std::shared_ptr<PlanRun> run;
  ReplyPosition end;  // where its steps end: a Sync there follows them at once
  std::string steps;  // a lone Execute's steps, held until that message (a folded run's wait in InProgress::unsent)
};

// Whether the plan may be retried at all: retries configured, and none of its steps passes
// rows to the client (which would have seen the failed attempt's).
[[nodiscard]] bool retries(const rewrite::Plan& plan);

// A run's ErrorResponse `f`: true (and the run marked retrying) when the attempt is to be
// tried again, its error then swallowed: the run is the proxy's own transaction, the client
// has none of its errors, attempts are left, and the error is a serialization failure.
[[nodiscard]] bool retry_on_failure(PlanRun& run, const protocol::Frame& f);

// An ErrorResponse's SQLSTATE and message: whether it is a serialization failure.
[[nodiscard]] bool serialization_failure(std::string_view sqlstate, std::string_view message);

// The wait before retry number `attempt` (1, 2, ...): backoff_ms doubled each time, at most
// kMaxRetryDelay.
inline constexpr std::chrono::milliseconds kMaxRetryDelay{5000};
[[nodiscard]] std::chrono::milliseconds retry_delay(uint32_t backoff_ms, uint32_t attempt);

}  // namespace blueshift::proxy
