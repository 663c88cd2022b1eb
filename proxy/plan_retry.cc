// Conversation's side of a staged transaction's retry (plan_retry.h): the failed attempt's
// error and ReadyForQuery are swallowed (conversation_replies.cc), the session waits the
// backoff (session_retry.cc) and the same script goes up again, folded into the same run.
#include "proxy/plan_retry.h"

#include <algorithm>

#include "proxy/conversation.h"
#include "proxy/expectation.h"

namespace blueshift::proxy {

namespace {

// The Sync that ends an extended run's implicit transaction: its ReadyForQuery ends the
// attempt (finish_one), with the client's tag, or swallowed when the attempt is retried.
Expectation run_end(const std::shared_ptr<PlanRun>& run, ReplyPosition at) {
  Expectation e;
  e.kind = Expectation::Kind::PlanStep;
  e.at = at;
  e.whole_batch = true;
  e.run = run;
  e.last = true;
  return e;
}

}  // namespace

bool serialization_failure(std::string_view sqlstate, std::string_view message) {
  // Redshift reports its error 1023 under SQLSTATE XX000, naming it in the message.
  return sqlstate == "40001" || message.find("Serializable isolation violation") != std::string_view::npos;
}

std::chrono::milliseconds retry_delay(uint32_t backoff_ms, uint32_t attempt) {
  const uint64_t doubled = static_cast<uint64_t>(backoff_ms) << std::min<uint32_t>(attempt - 1, 16);
  return std::min(std::chrono::milliseconds(doubled), kMaxRetryDelay);
}

bool retries(const rewrite::Plan& plan) {
  return plan.retry.attempts > 0 && std::none_of(plan.steps.begin(), plan.steps.end(), [](const rewrite::PlanStep& s) {
           return s.replies == rewrite::PlanStep::Replies::Rows;
         });
}

bool retry_on_failure(PlanRun& run, const protocol::Frame& f) {
  if (!run.own_transaction || run.error_sent || run.done || run.attempt > run.plan->retry.attempts ||
      !retries(*run.plan))
    return false;
  auto decoded = protocol::decode_backend(f.code, f.body);
  if (!decoded.ok()) return false;
  const auto& error = std::get<protocol::ErrorResponse>(*decoded);
  const std::string* sqlstate = error.find('C');
  const std::string* message = error.find('M');
  if (!serialization_failure(sqlstate != nullptr ? *sqlstate : "", message != nullptr ? *message : "")) return false;
  run.retrying = true;
  return true;
}

void Conversation::end_attempt(const std::shared_ptr<PlanRun>& run) {
  if (run->retrying) {
    progress().retry_due = run;
    return;
  }
  if (seen().retryable_run == run) progress().retryable_run = nullptr;
}

std::chrono::milliseconds Conversation::retry_wait() const {
  const auto& due = seen().retry_due;
  if (due && due->replaying) return std::chrono::milliseconds(0);  // upsert_batch.h
  return due ? retry_delay(due->plan->retry.backoff_ms, due->attempt) : std::chrono::milliseconds(0);
}

void Conversation::retry(std::string* out) {
  if (!seen().retry_due) return;
  const std::shared_ptr<PlanRun> run = std::exchange(progress().retry_due, nullptr);
  if (run->replaying) return replay_run(*run, out);  // a failed folded upsert run (upsert_batch.h)
  run->retrying = false;
  run->rows = 0;
  run->script_at = 0;
  run->inserted.clear();
  ++run->attempt;
  if (!run->extended) {
    send_script(run, out);
    return;
  }
  send_plan_steps(run, out);
  protocol::encode(protocol::FrontendMessage{protocol::Sync{}}, *out);
  expect(run_end(run, positions_.on_forward(protocol::Sync::kCode)));
}

// ------------------------------------------------------------------ extended protocol


void Conversation::note_extended_run(const std::shared_ptr<PlanRun>& run) {
  if (seen().retry_hold) {
    batch_ran_ = true;  // an earlier run of the batch went up as it was
    progress().retry_hold.reset();
  }
  if (batch_ran_ || transaction_status_ != 'I' || !retries(*run->plan)) {
    batch_ran_ = true;
    return;
  }
  progress().retry_hold = std::make_unique<RetryHold>(RetryHold{run, positions_.next_send(), {}});
}

void Conversation::hold_steps(std::string* out) {
  // Only a run this Execute started, its steps the last thing positioned.
  const auto& hold = seen().retry_hold;
  if (!hold || !hold->steps.empty() || hold->end != positions_.next_send() || out->empty()) return;
  progress().retry_hold->steps = std::move(*out);
  out->clear();
}

void Conversation::release_hold(char code) {
  const std::unique_ptr<RetryHold> hold = std::move(progress().retry_hold);
  progress().unsent += hold->steps;
  // The Sync right after the steps, every earlier batch answered (so that the status read
  // is the one this batch starts in): the implicit transaction holds the plan alone.
  if (code != protocol::Sync::kCode || batch_ran_ || hold->end != positions_.next_send() ||
      positions_.awaiting_reply() || transaction_status_ != 'I') {
    batch_ran_ = true;
    return;
  }
  hold->run->own_transaction = true;
  progress().retryable_run = hold->run;
  expect(run_end(hold->run, positions_.next_send()));  // the client's Sync goes up next
}

void Conversation::note_batch(char code) {
  if (ReplyPositions::ends_batch(code)) {
    batch_ran_ = false;
  } else if (code == protocol::Execute::kCode && !seen().batch && !(seen().retry_hold && !seen().retry_hold->steps.empty())) {
    batch_ran_ = true;  // not a run held for a retry: it ran
  }
}

}  // namespace blueshift::proxy
