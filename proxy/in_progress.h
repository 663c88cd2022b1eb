// What a Conversation holds only while something is under way: a plan waiting for the
// upstream to be quiet, an upsert COPY or folded run, a retry, a message held back, a long
// analysis. Boxed (Conversation::progress()) so that an idle session carries one pointer
// instead of about 180 bytes: idle sessions come in thousands (issue 15's memory target).
// An internal header of conversation*.cc.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "proxy/text_analysis.h"
#include "rewrite/plan.h"

namespace blueshift::proxy {

class BlockBegun;
struct HeldRoute;
struct PlanRun;
struct RetryHold;
struct UpsertBatch;

struct InProgress {
  InProgress();
  ~InProgress();  // where the boxed types are complete (conversation.cc)

  // Whether a client message must be inspected whatever its kind (Conversation::inspects_client).
  [[nodiscard]] bool holds_messages() const { return retryable_run || batch || retry_hold || cut_message; }

  rewrite::PlanPtr held_plan;          // a plan waiting for the upstream to be quiet
  std::weak_ptr<PlanRun> copy_in_run;  // an upsert COPY waiting for the client's CopyDone
  bool copy_in_wrap = false;           // its merge runs in a transaction of the proxy's
  std::unique_ptr<TextAnalysis> held_check;  // a Query's analysis while it waits for a budget lease
  std::unique_ptr<HeldRoute> held_route;     // a message's routing while it waits
  std::function<TextAnalysis()> analysis;    // Analyse: the analysis to run off the thread
  std::unique_ptr<TextAnalysis> analysed;    // its result, for the message presented again
  std::shared_ptr<PlanRun> retryable_run;    // a run that may be retried: client messages wait
  std::shared_ptr<PlanRun> retry_due;        // a run whose next attempt waits for its backoff
  std::unique_ptr<RetryHold> retry_hold;     // an extended run that may yet be retried
  std::unique_ptr<UpsertBatch> batch;        // a folded upsert run being held (upsert_batch.h)
  std::unique_ptr<BlockBegun> block_begun;   // the client's BEGIN in this batch
  std::unique_ptr<std::string> cut_message;  // the message hold_cut keeps
  std::string unsent;                        // a run to send before the message that waits
};

}  // namespace blueshift::proxy
