// Conversation, upsert COPY ... FROM STDIN (rewrite/copy_upsert.h): the load step goes up
// at once and the server's CopyInResponse reaches the client, whose CopyData streams into
// the staging table untouched; the merge steps go up only after the client's CopyDone (a
// server in copy-in mode takes nothing else). Had the load already failed, they are not
// sent: the failed load took its staging table with it (outside a block, its own implicit
// transaction; inside one, the client's failed block).
#include "proxy/conversation.h"
#include "proxy/expectation.h"
#include "rewrite/staged_text.h"

namespace blueshift::proxy {

namespace {

constexpr std::string_view kCopyKeySetting = "blueshift.copy_upsert_key";

rewrite::PlanPtr extended_copy_refusal() {
  auto plan = std::make_shared<rewrite::Plan>();
  plan->refusal = rewrite::PlanStep::Error{"0A000", "blueshift: an upsert COPY FROM STDIN runs only as a simple query",
                                           "Send the COPY as a simple query (psql, psycopg's copy())."};
  return plan;
}

}  // namespace

GovernedPlan Conversation::plan_of(std::string_view sql, const std::vector<uint32_t>* parse_types) {
  const bool extended = parse_types != nullptr;
  rewrite::PlanPtr plan;
  if (options_->copy_planner) {
    plan = options_->copy_planner(sql, identity_, settings_.view(kCopyKeySetting));
    if (plan && extended && plan->copy_in) return {extended_copy_refusal(), nullptr, {}};
  }
  if (!plan && options_->planner) plan = options_->planner(sql, identity_);
  // Every step reaches the warehouse: each passes the policies before any runs.
  return governed_steps(options_->governor, identity_, std::move(plan), sql, parse_types);
}

Conversation::Verdict Conversation::copy_in_query(const rewrite::PlanPtr& plan, std::string* out) {
  auto run = start_run(plan);
  progress().copy_in_run = run;
  progress().copy_in_wrap = transaction_status_ == 'I';
  // Until the CopyDone it is the last step: an error before then ends the client's COPY.
  send_query_steps(run, {&plan->steps.front()}, out);
  return Verdict::Replace;
}

Conversation::Verdict Conversation::copy_in_end(const protocol::Frame& f, std::string* out) {
  const std::shared_ptr<PlanRun> run = std::exchange(progress().copy_in_run, {}).lock();
  Expectation* load = nullptr;
  for (auto& e : pending_) {
    if (run && e.run == run) load = &e;
  }
  // A CopyFail fails the load (the server says so); a load that failed already, or ended,
  // has nothing to merge.
  if (f.code != protocol::CopyDoneF::kCode || !run || load == nullptr || load->failed) return forward(f.code);
  load->last = false;
  protocol::encode(protocol::FrontendMessage{protocol::CopyDoneF{}}, *out);
  positions_.on_forward(protocol::CopyDoneF::kCode);
  const auto& steps = run->plan->steps;
  static const rewrite::PlanStep begin = rewrite::staged::step("BEGIN"), commit = rewrite::staged::step("COMMIT");
  std::vector<const rewrite::PlanStep*> after;
  if (seen().copy_in_wrap) after.push_back(&begin);
  for (size_t i = 1; i + 1 < steps.size(); ++i) after.push_back(&steps[i]);
  if (seen().copy_in_wrap) after.push_back(&commit);
  after.push_back(&steps.back());  // dropping the staging table, whatever became of the merge
  send_query_steps(run, after, out);
  return Verdict::Replace;
}

}  // namespace blueshift::proxy
